"""The live loop against fake sources: a slow one and a hung one must not hold up the others."""

import asyncio
import threading
import time

from console.clock import SystemClock
from console.config import Poll, SourcePoll
from console.poller import MIN_GAP, Poller
from console.readings import RedisReading
from console.store import Store


class FakeSource:
    reading_type = RedisReading

    def __init__(self, name, delay=0.0, fail=False, hang=False):
        self.name = name
        self.delay = delay
        self.fail = fail
        self.hang = hang
        self.calls = 0
        self.active = 0
        self.max_active = 0
        self.starts: list[float] = []

    async def read(self):
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self.starts.append(time.monotonic())
        try:
            if self.hang:
                await asyncio.Event().wait()
            await asyncio.sleep(self.delay)
            if self.fail:
                raise ConnectionRefusedError("refused")
            return RedisReading(source=self.name, at=time.time(), used_memory=1, max_memory=2)
        finally:
            self.active -= 1

    async def close(self):
        pass


def poll(**cadence):
    fast = SourcePoll(interval=0.05, timeout=0.2)
    values = {
        n: cadence.get(n, fast)
        for n in ("containers", "pgbouncer", "postgres", "redis", "host", "traffic", "smoke")
    }
    return Poll(**values, max_backoff=0.4)


def make(sources, cadence):
    clock = SystemClock()
    store = Store(clock, 60, {})
    return Poller(sources, store, clock, cadence), store


async def test_hung_and_slow_sources_do_not_delay_others():
    quick = FakeSource("redis")
    slow = FakeSource("postgres", delay=0.15)
    hung = FakeSource("host", hang=True)
    poller, store = make([quick, slow, hung], poll())
    poller.start()
    await asyncio.sleep(1.0)
    await poller.stop()
    # The quick source kept its 50 ms cadence (allow scheduling slack): ~20 polls in 1 s.
    assert quick.calls >= 12
    gaps = [b - a for a, b in zip(quick.starts, quick.starts[1:], strict=False)]
    assert max(gaps) < 0.2
    # The hung one was cut off by its 0.2 s timeout each time and shows why.
    assert store.latest("host").error == "TIMEOUT: no answer in 0.2s"
    assert hung.calls >= 2
    assert store.latest("postgres").ok


async def test_a_source_never_overlaps_itself():
    slow = FakeSource("redis", delay=0.12)  # slower than its 50 ms interval
    poller, _ = make([slow], poll())
    poller.start()
    sweeps = [asyncio.create_task(poller.sweep()) for _ in range(3)]
    await asyncio.sleep(0.6)
    await asyncio.gather(*sweeps)
    await poller.stop()
    assert slow.max_active == 1
    assert slow.calls >= 4


async def test_failures_back_off_and_become_error_readings():
    broken = FakeSource("redis", fail=True)
    poller, store = make([broken], poll())
    for _ in range(4):
        await poller.poll_once(broken)
    assert store.latest("redis").error == "ERROR: ConnectionRefusedError: refused"
    # 0.05 s doubling per failure, capped at max_backoff.
    assert poller.delay_after("redis") == 0.4
    broken.fail = False
    await poller.poll_once(broken)
    assert poller.delay_after("redis") == 0.05


async def test_sweep_is_as_slow_as_the_slowest_source_not_the_sum():
    sources = [FakeSource(n, delay=0.1) for n in ("redis", "postgres", "host", "traffic")]
    poller, _ = make(sources, poll())
    started = time.monotonic()
    readings = await poller.sweep()
    elapsed = time.monotonic() - started
    assert [r.source for r in readings] == ["redis", "postgres", "host", "traffic"]
    assert elapsed < 0.3  # four 0.1 s sources run concurrently, not 0.4 s in sequence


class WakingSource(FakeSource):
    """A source that learns of changes between polls (as the Docker source does from the
    engine's events) and wakes its poll from its own thread."""

    def set_waker(self, wake):
        self.wake = wake


async def test_a_source_woken_from_its_thread_polls_before_its_interval():
    source = WakingSource("containers")
    poller, _ = make([source], poll(containers=SourcePoll(interval=30.0, timeout=1.0)))
    poller.start()
    try:
        while source.calls < 1:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert source.calls == 1  # the next poll is 30 s away
        # A burst of three changes from another thread: one early poll, after MIN_GAP.
        woke = time.monotonic()
        for _ in range(3):
            threading.Thread(target=source.wake).start()
        while source.calls < 2:
            assert time.monotonic() - woke < 10, "not woken"
            await asyncio.sleep(0.01)
        assert source.starts[1] - woke >= MIN_GAP * 0.9
        await asyncio.sleep(MIN_GAP * 2)
        assert source.calls == 2  # the burst cost one poll, not three
    finally:
        await poller.stop()
