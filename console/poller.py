"""The live loop: one asyncio task per source, each with its own cadence and a hard timeout.

- A source's next poll starts only after its previous one ended (no overlap), one interval
  after the previous one started (or at once if that poll took longer).
- Every poll is bounded by `asyncio.timeout`; a timeout or an exception becomes an error
  reading, so a hung or broken system costs its own pane and nothing else.
- A failing source backs off exponentially up to `max_backoff`, then recovers at its normal
  cadence on the first good reading.
- A source that learns of a change between polls (the Docker engine's events) may wake its
  task early through the waker it is given (`set_waker`); a woken task waits `MIN_GAP` for
  the rest of a burst (a restart is four events), so a burst costs one poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from console.clock import Clock
from console.config import Poll
from console.readings import Reading
from console.sources import Source
from console.store import Store

log = logging.getLogger(__name__)

MIN_GAP = 0.25  # seconds a woken poll waits for the rest of a burst of changes


@dataclass(slots=True)
class SourceState:
    interval: float
    timeout: float
    failures: int = 0
    polls: int = 0
    last_duration: float = 0.0


def _log_transition(name: str, failures: int, reading: Reading) -> None:
    """The log keeps what the pane shows only until the next poll: a source going down (its
    first failed poll) and coming back (with how many polls it missed)."""
    if reading.error is not None and failures == 0:
        log.warning("source %s failed: %s", name, reading.error)
    elif reading.error is not None:
        log.debug("source %s still failing (%d): %s", name, failures + 1, reading.error)
    elif failures:
        log.info("source %s recovered after %d failed polls", name, failures)


class Poller:
    def __init__(
        self,
        sources: Sequence[Source],
        store: Store,
        clock: Clock,
        poll: Poll,
        on_reading: Callable[[Reading], None] | None = None,
    ) -> None:
        self.sources = list(sources)
        self.store = store
        self.clock = clock
        self.max_backoff = poll.max_backoff
        self.on_reading = on_reading
        self.state: dict[str, SourceState] = {}
        for source in self.sources:
            cadence = poll.for_source(source.name)
            self.state[source.name] = SourceState(cadence.interval, cadence.timeout)
        self._locks = {s.name: asyncio.Lock() for s in self.sources}
        self._woken = {s.name: asyncio.Event() for s in self.sources}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def poll_once(self, source: Source) -> Reading:
        """Poll one source, bounded by its timeout; never raises (but for cancellation)."""
        state = self.state[source.name]
        async with self._locks[source.name]:  # a sweep never overlaps the loop's own poll
            started = time.monotonic()
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that lands as the read completes, and the loop would never stop.
                async with asyncio.timeout(state.timeout):
                    reading = await source.read()
            except TimeoutError:
                reading = source.reading_type.failed(
                    source.name, self.clock.now(), f"TIMEOUT: no answer in {state.timeout:g}s"
                )
            except Exception as exc:  # a source bug must not kill the loop: show it instead
                reading = source.reading_type.failed(
                    source.name, self.clock.now(), f"ERROR: {type(exc).__name__}: {exc}"
                )
            state.last_duration = time.monotonic() - started
            state.polls += 1
            _log_transition(source.name, state.failures, reading)
            state.failures = 0 if reading.ok else state.failures + 1
        self.store.record(reading)
        if self.on_reading is not None:
            self.on_reading(reading)
        return reading

    async def sweep(self) -> list[Reading]:
        """Poll every source once, concurrently: takes as long as the slowest one."""
        return list(await asyncio.gather(*(self.poll_once(s) for s in self.sources)))

    def delay_after(self, name: str) -> float:
        state = self.state[name]
        if state.failures == 0:
            return state.interval
        return min(state.interval * 2**state.failures, max(self.max_backoff, state.interval))

    async def backfill(self, source: Source) -> int:
        """Once, before the first poll: the history a source can give of the time before the
        console started (Prometheus's range queries), bounded by the source's timeout. A
        failure costs the back-fill only; the polls go on as usual."""
        look_back = getattr(source, "backfill", None)
        if look_back is None:
            return 0
        state = self.state[source.name]
        now = self.clock.now()
        try:
            async with asyncio.timeout(state.timeout):
                readings = await look_back(now - self.store.history_s, now, state.interval)
        except Exception as exc:  # includes TimeoutError
            log.warning("source %s: no back-fill: %s", source.name, exc or type(exc).__name__)
            return 0
        added = self.store.backfill(readings)
        log.info("source %s: back-filled %d samples", source.name, added)
        return added

    async def _run(self, source: Source) -> None:
        woken = self._woken[source.name]
        await self.backfill(source)
        while not self._stopping:
            started = time.monotonic()
            woken.clear()
            await self.poll_once(source)
            elapsed = time.monotonic() - started
            delay = max(0.0, self.delay_after(source.name) - elapsed)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await woken.wait()
                    await asyncio.sleep(MIN_GAP)  # let the rest of a burst of changes arrive

    def start(self) -> None:
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        for source in self.sources:
            set_waker = getattr(source, "set_waker", None)
            if set_waker is not None:
                event = self._woken[source.name]
                # Called from the source's own thread: hand the wake-up to the loop.
                set_waker(lambda event=event: loop.call_soon_threadsafe(event.set))
        self._tasks = [
            asyncio.create_task(self._run(s), name=f"poll:{s.name}") for s in self.sources
        ]

    async def stop(self, deadline: float = 2.0) -> None:
        """Stop every poll and close every source, in `deadline` seconds at most.

        A source that swallows its cancellation (a driver waiting out its own cancel) or a close
        that hangs is abandoned, not waited for: quitting, or a crash, must end the console
        promptly whatever a driver does.
        """
        self._stopping = True
        tasks, self._tasks = set(self._tasks), []
        for task in tasks:
            task.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=deadline / 2)
            for task in stuck:
                task.cancel()  # once more; it is not waited for again

        async def close(source: Source) -> None:
            # Closing is best effort on the way out.
            with contextlib.suppress(Exception):
                await source.close()

        closing = [asyncio.create_task(close(s)) for s in self.sources]
        if closing:
            _, hung = await asyncio.wait(closing, timeout=deadline / 2)
            for task in hung:
                task.cancel()
