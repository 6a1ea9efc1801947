"""The containers pane at 200 project containers on the real engine, and a hung engine.

The 194 extra containers (asleep, no network, no healthcheck but one) are created in parallel
for this module and removed afterwards by id: the session's stack keeps only what it started.
"""

import asyncio
import os
import signal
import threading
import time

import pytest

from console.app import LaunchConsole
from console.clock import SystemClock
from console.poller import Poller
from console.sources.docker import DockerSource
from console.sources.docker_stats import CgroupStats, StreamStats
from console.store import Store
from tests.stack import IDLE, IMAGE, wait_until
from widgets.alerts import AlertStrip
from widgets.containers import ContainersPane, ContainersTable

EXTRAS = 193  # + the sick one + the stack's 6 = 200


@pytest.fixture(scope="module")
def crowd(stack):
    """200 containers of the project: the stack's six, 193 sleepers and one that can fall ill."""
    ids = stack.add_extras(EXTRAS, prefix="crowd")
    api = stack.docker.api
    sick = api.create_container(
        IMAGE,
        ["sh", "-c", IDLE],
        name="crowd-sick",
        labels={"com.docker.compose.project": "api"},
        healthcheck={
            "test": ["CMD", "sh", "-c", "test ! -e /tmp/ill"],
            "interval": 500_000_000,
            "retries": 1,
            "timeout": 2_000_000_000,
        },
        host_config=api.create_host_config(network_mode="none"),
    )
    api.start(sick["Id"])
    ids.append(sick["Id"])
    try:
        yield sick["Id"]
    finally:
        stack.remove_extras(ids)


def health(stack, cid: str) -> str | None:
    return stack.docker.api.inspect_container(cid)["State"].get("Health", {}).get("Status")


def screen_of(table: ContainersTable) -> str:
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def poll_containers(app: LaunchConsole):
    source = next(s for s in app.poller.sources if s.name == "containers")
    reading = await app.poller.poll_once(source)
    app.refresh_panes()
    return reading


async def test_200_containers_all_shown_and_one_turning_unhealthy_is_flagged_in_one_poll(
    stack, crowd, config
):
    clock = SystemClock()
    source = DockerSource(config, clock)
    app = LaunchConsole(config, [source], clock, live=False)
    async with app.run_test(size=(200, 50)) as pilot:
        wait_until("the sick one healthy", lambda: health(stack, crowd) == "healthy", 30, 0.2)
        # Within its timeout: a poll answers (an error reading would say TIMEOUT), and a first
        # poll inspects at most 64, so let the rest catch up.
        for _ in range(4):
            reading = await poll_containers(app)
            assert reading.ok, reading.error
        await pilot.pause()
        pane = app.query_one(ContainersPane)
        table = app.query_one(ContainersTable)
        lines = pane.rendered_text().splitlines()
        assert len(lines) == 1 + 200
        shown = {line.split()[1] for line in lines[1:]}
        assert {f"crowd-{i:03d}" for i in range(EXTRAS)} <= shown and "crowd-sick" in shown
        assert pane.border_title.startswith("Containers (200)")
        # The screen shows the problems first; the end of the list is a scroll away.
        top = screen_of(table)
        assert top.splitlines()[1].startswith("✖ ")  # the stack's unhealthy mcp, or worse
        assert "api-mcp-1" in top and "crowd-192" not in top
        table.scroll_end(animate=False)
        await pilot.pause()
        assert "crowd-192" in screen_of(table)
        table.scroll_home(animate=False)

        # It falls ill: once the engine says so, the next poll flags it (top of the list, ✖, and
        # in the alert list).
        stack.docker.api.exec_start(
            stack.docker.api.exec_create(crowd, ["sh", "-c", "echo > /tmp/ill"])["Id"]
        )
        wait_until("the engine sees it unhealthy", lambda: health(stack, crowd) == "unhealthy", 30)
        await poll_containers(app)
        await pilot.pause()
        rows = screen_of(table).splitlines()[1:]
        sick = next(i for i, r in enumerate(rows) if r.startswith("✖ crowd-sick"))
        assert "unhealthy" in rows[sick]
        # Problems first: only other problems above it (the stack's mcp; on a loaded machine
        # its other health checks may time out too).
        assert all(r.startswith("✖ ") for r in rows[:sick])
        strip = str(app.query_one(AlertStrip).content)
        # The strip shows four alerts, critical first: it is there, unless more are firing.
        assert "containers: crowd-sick unhealthy" in strip or "more" in strip.splitlines()[-1]


async def test_a_hung_engine_keeps_the_last_findings_as_stale_and_says_so(stack, make_config):
    config = make_config('\n[poll]\ncontainers = { interval = "1s", timeout = "2s" }\n')
    clock = SystemClock()
    source = DockerSource(config, clock)
    app = LaunchConsole(config, [source], clock, live=False)
    dockerd = stack.procs["dockerd"].pid
    async with app.run_test(size=(200, 50)) as pilot:
        for _ in range(10):  # a loaded machine may need more than a second for the first one
            reading = await poll_containers(app)
            if reading.ok:
                break
        assert reading.ok, reading.error
        os.kill(dockerd, signal.SIGSTOP)  # the engine we started, by its PID
        try:
            # Each poll now ends at its 2 s timeout; after two the last findings are stale (older
            # than three intervals, or one interval and a timeout).
            for _ in range(3):
                reading = await poll_containers(app)
            await pilot.pause()
        finally:
            os.kill(dockerd, signal.SIGCONT)
        assert reading.error.startswith("TIMEOUT")
        pane = app.query_one(ContainersPane)
        # The last rows are still there (dimmed), the border says what happened and since when.
        assert "api-mcp-1" in pane.rendered_text() and "unhealthy" in pane.rendered_text()
        assert pane.border_subtitle.startswith("TIMEOUT: no answer in 2s · last good ")
        alerts = str(app.query_one(AlertStrip).content)
        # The unhealthy container's alert does not vanish: it stays, marked stale.
        assert "containers: api-mcp-1 unhealthy (stale" in alerts
        # The source raises its own alert. The strip shows four, critical first: on a loaded
        # machine the stack's other health checks time out too and push it below the fold.
        own = "containers: no answer for"
        assert own in alerts or (
            alerts.splitlines()[-1].strip().startswith("… and")
            and any(a.text.startswith(own) for a in app.assessment.alerts)
        )
        # The engine answers again: fresh findings, no source alert.
        wait_until("dockerd answers", lambda: stack.docker.ping(), 30)
        for _ in range(10):
            if (await poll_containers(app)).ok:
                break
        await pilot.pause()
        assert pane.border_subtitle == ""
        assert "no answer" not in str(app.query_one(AlertStrip).content)


def by_name(reading) -> dict:
    return {c.name: c for c in reading.containers}


async def polled_until(source, what: str, check, timeout: float = 30.0, every: float = 0.25):
    """Poll `source` until `check(reading)` holds; returns (reading, polls). Bounded."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        reading = await source.read()
        polls += 1
        if check(reading):
            return reading, polls
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g}s ({polls} polls)")
        await asyncio.sleep(every)


async def test_a_steady_poll_inspects_nothing_and_a_restart_only_that_one(stack, crowd, config):
    source = DockerSource(config, SystemClock())
    try:
        for _ in range(6):  # the first polls inspect at most 64 each: let them catch up
            before = source.inspections
            assert (await source.read()).ok
            if source.inspections == before:
                break
        assert source.inspections >= 200  # every one of them inspected once
        before = source.inspections
        steady = await source.read()
        # Nothing changed: the list call only (on a loaded machine the stack's own health
        # checks may flap and cost an inspection each, never the 200).
        assert source.inspections - before <= 3
        started = by_name(steady)["crowd-000"].started_at
        assert started is not None
        stack.docker.api.restart(crowd_id(stack, "crowd-000"), timeout=0)
        before = source.inspections
        # The list shows it running again, the same state as before; the engine's events tell
        # the source it restarted: it alone is inspected, and its new start shows.
        _, polls = await polled_until(
            source,
            "the restart learned",
            lambda r: (by_name(r)["crowd-000"].started_at or 0) > started,
        )
        assert 1 <= source.inspections - before <= 3 + 2 * polls
    finally:
        await source.close()


def crowd_id(stack, name: str) -> str:
    return stack.docker.api.inspect_container(name)["Id"]


def stats_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith(("docker-events", "stats-"))}


async def test_a_one_shot_sweep_starts_no_thread_and_inspects_only_the_api(stack, crowd, config):
    before = stats_threads()
    source = DockerSource(config, SystemClock(), follow=False)
    try:
        reading = await source.read()
        assert reading.ok, reading.error
        assert len(reading.containers) >= 200
        assert source.inspections <= 1  # the API's environment, for runbook 1.2
        assert reading.api_env is not None
        assert stats_threads() == before  # no event stream, no stats stream
    finally:
        await source.close()


async def test_without_the_cgroup_files_every_container_gets_figures_from_few_threads(
    stack, crowd, config, tmp_path
):
    """A remote engine (ssh://, a VM): no cgroup files to read, so the engine's stats: a stream
    each for the configured containers, the 194 others sampled in turn, threads bounded."""
    source = DockerSource(config, SystemClock())
    source.cgroups = CgroupStats(root=tmp_path, proc=tmp_path)  # nothing to read: as if remote
    # Five times the default threads and rate, so that a turn of 200 fits the test's patience
    # (the engine answers a one-shot sample at its next tick: about one a second a thread).
    source.streams = StreamStats(
        lambda: source._get_client().api, max_streams=24, rotation_threads=20, rate=20.0
    )
    most = 0

    def running(r):
        return [c for c in r.containers if c.state == "running"]

    def figures(r, field: str, at_least: int) -> bool:
        nonlocal most
        most = max(most, source.streams.threads())
        return sum(getattr(c, field) is not None for c in running(r)) >= at_least

    try:
        reading, _ = await polled_until(
            source, "memory for all", lambda r: figures(r, "mem_bytes", len(running(r))), 60
        )
        assert len(running(reading)) >= 199
        # The configured containers have a stream each: CPU as well as memory.
        await polled_until(source, "api cpu", lambda r: by_name(r)["api-api-1"].cpu_pct is not None)
        # The others: CPU from their second turn (the average since the first).
        await polled_until(source, "cpu for all", lambda r: figures(r, "cpu_pct", 195), 60)
        assert 0 < most <= 24
        assert source.streams.one_shot  # the test engine speaks API 1.41+
    finally:
        await source.close()


async def test_the_engine_event_wakes_the_poll_long_before_its_interval(stack, crowd, make_config):
    """Live, not driven by the test: the poller with a 60 s interval; the container turning
    unhealthy among 200 is in the store within seconds, because the engine's event woke it."""
    config = make_config('\n[poll]\ncontainers = { interval = "60s", timeout = "10s" }\n')
    clock = SystemClock()
    store = Store(clock, 600, {})
    poller = Poller([DockerSource(config, clock)], store, clock, config.poll)
    api = stack.docker.api

    def sick_health() -> str | None:
        reading = store.latest("containers")
        if reading is None or not reading.ok:
            return None
        return by_name(reading)["crowd-sick"].health

    api.exec_start(api.exec_create(crowd, ["sh", "-c", "rm -f /tmp/ill"])["Id"])  # well again
    wait_until("the sick one healthy", lambda: health(stack, crowd) == "healthy", 60, 0.2)
    poller.start()
    try:
        deadline = time.monotonic() + 30
        while sick_health() != "healthy":  # the first poll (or the event of its recovery)
            assert time.monotonic() < deadline, "no first reading"
            await asyncio.sleep(0.1)
        polls = poller.state["containers"].polls
        api.exec_start(api.exec_create(crowd, ["sh", "-c", "echo > /tmp/ill"])["Id"])
        ill_at = time.monotonic()
        while sick_health() != "unhealthy":
            # Well inside the 60 s interval: only the event can have brought this poll.
            assert time.monotonic() - ill_at < 40, "not flagged before the next interval"
            await asyncio.sleep(0.1)
        assert poller.state["containers"].polls > polls
    finally:
        await poller.stop()
