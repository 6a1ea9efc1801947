"""The whole demo day, T-2h to T+11h, recorded at high speed, replayed with seek, reported.

Headless and fast: the simulated stack is polled every two simulated minutes (the recorder
neither knows nor cares), the rules judge each step and the observer records what changed,
as the console's refresh does; at T+17m the rollback's effects reach the stack.
"""

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from console.alerting import AlertTracker
from console.clock import FrozenClock
from console.judge import judge, remember
from console.kinds import sim_sources, stale_after
from console.launchday import LaunchState
from console.recording.observe import Observer
from console.recording.reader import Recording
from console.recording.recorder import Recorder
from console.report.write import write_report
from console.sim import SimStack
from console.store import Store
from tests.helpers import LAUNCH, demo_config
from tests.screen import screen_text
from tests.test_replay import REPLAY_SIZE, replay_app

STEP = 120.0


async def record_day(path: str) -> None:
    config = demo_config()
    clock = FrozenClock(LAUNCH - 2 * 3600)
    stack = SimStack(launch=LAUNCH)
    sources = sim_sources(stack, clock)
    store = Store(clock, config.poll.history, stale_after(config))
    recorder = Recorder(path, clock, config=config, mode="DEMO", detail="day", batch_s=0.05)
    observer, tracker = Observer(recorder), AlertTracker()
    state = LaunchState()
    recorder.state(dataclasses.asdict(state))
    while clock.now() <= LAUNCH + 11 * 3600:
        now = clock.now()
        for source in sources:
            reading = await source.read()
            store.record(reading)
            recorder.reading(reading)
        judgement = judge(store, config, state, now)
        remember(state, judgement)
        recorder.state(dataclasses.asdict(state))
        tracked, _ = tracker.update(judgement.alerts, now)
        observer.findings(judgement.panes)
        observer.alerts(tracked)
        if LAUNCH + 17 * 60 <= now < LAUNCH + 17 * 60 + STEP:
            stack.signal(config.docker.api, "HUP", now)
            stack.stop(config.docker.scraper, now)
            stack.restart(config.docker.api, now)
        clock.advance(STEP, wall=2.0)
    recorder.close()
    assert recorder.error is None


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("day") / "day.sqlite")
    asyncio.run(record_day(path))
    return path


async def test_the_day_replays_with_seek(day):
    app = replay_app(day, start=LAUNCH - 2 * 3600)
    async with app.run_test(size=REPLAY_SIZE) as pilot:
        assert "T-02:00:00" in screen_text(app)
        await pilot.press("m", "m")  # T-15m, then T-0
        assert app.position == LAUNCH
        await pilot.press("n")  # the first alert after launch: the surge
        surge = app.position
        assert LAUNCH < surge < LAUNCH + 15 * 60
        assert "5xx" in screen_text(app)
        for _ in range(6):
            await pilot.press("pagedown")
        assert app.position == surge + 3600
        await pilot.press("end")
        await pilot.pause()
        text = screen_text(app)
        assert "T+11:00:00" in text and "STABILISATION" in text
        assert "ROLLBACK TRIGGER" not in text  # the day ended calm


def test_the_day_reports_in_every_format(day, tmp_path):
    with Recording(day) as recording:
        counts = recording.counts()
        paths = {
            fmt: write_report(recording, fmt, str(tmp_path / f"day.{fmt}"))
            for fmt in ("md", "json", "html")
        }
    assert counts["readings"] == 7 * (13 * 3600 // STEP + 1)
    data = json.loads(Path(paths["json"]).read_text())
    assert data["recording"]["start"].startswith("2026-04-23T12:00:00")
    assert data["recording"]["end"].startswith("2026-04-24T01:00:00")
    rollback = [a for a in data["alerts"] if a["id"] == "rollback:error_rate_5xx"]
    assert len(rollback) == 1 and rollback[0]["end"] is not None
    assert data["go_no_go_at_t15"]["call"] == "HOLD"  # nobody called Go in this headless day
    markdown = Path(paths["md"]).read_text()
    assert "| T+4h | Business hours check-in | Rex |" in markdown
    assert markdown.count("](day-charts/") == 5
    html = Path(paths["html"]).read_text()
    assert html.count('<div class="chart"><svg') == 5
