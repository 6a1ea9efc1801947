"""A rehearsal on the demo stack, recorded by the console itself, with what the screen showed
at chosen instants: the replay and report tests check what comes back against it.

T-15m: every owner calls Go on the runbook screen. T+5m: a P1 is opened. The leak fires the
rollback trigger near T+16m; at T+17m the rollback runs from the keyboard (typed ROLLBACK).
T+20m: the P1 is resolved with its root cause. The day goes on to T+70m (past the first hour).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from console.clock import FrozenClock
from tests.helpers import demo_app
from tests.screen import screen_text

STEP = 60.0  # sim seconds between sweeps (one wall second each, as in the snapshot tests)
JUDGE_EVERY = 10  # the judge (alerts, and the recording of what changed) every 10 sweeps
SIZE = (160, 50)
MAIN_AT = (-10 * 60, 5 * 60, 16 * 60 + 30, 25 * 60, 70 * 60)  # main screen shots (offsets)
RUNBOOK_AT = (10 * 60, 70 * 60)  # runbook screen shots


@dataclass
class Session:
    path: str
    launch: float
    main: dict[float, str] = field(default_factory=dict)  # console time -> screen text
    runbook: dict[float, str] = field(default_factory=dict)
    rollback_at: float = 0.0
    operator: str = ""


async def _type(pilot, text: str) -> None:
    await pilot.press(*("space" if c == " " else c for c in text))


async def record_session(path: str, state_dir: str) -> Session:
    app, clock, _ = demo_app(state_dir=state_dir, record=path)
    assert isinstance(clock, FrozenClock)
    launch = app.config.launch.epoch
    session = Session(path, launch, operator=app.audit.operator)
    shots = sorted({*MAIN_AT, *RUNBOOK_AT, -15 * 60, 17 * 60, 20 * 60})

    async def step_to(offset: float, pilot) -> None:
        n = 0
        while clock.now() + STEP <= launch + offset:
            clock.advance(STEP, wall=1.0)
            await app.poller.sweep()
            n += 1
            if n % JUDGE_EVERY == 0:
                app.refresh_panes()
        clock.advance(launch + offset - clock.now(), wall=0.5)
        await app.poller.sweep()
        app.refresh_panes()
        await pilot.pause()

    async with app.run_test(size=SIZE) as pilot:
        await app.poller.sweep()
        for offset in shots:
            await step_to(offset, pilot)
            if offset == -15 * 60:  # the go/no-go: every owner calls Go
                await pilot.press("g")
                await pilot.press("1", "2", "3", "4", "5")
                await pilot.press("escape")
            if offset == 5 * 60:  # search is failing: a P1
                await pilot.press("g", "i")
                await pilot.pause()
                await _type(pilot, "P1 search returns 503 <b>|</b>")
                await pilot.press("enter")
                await pilot.pause()
                await pilot.press("escape")
            if offset == 17 * 60:
                await rollback(app, clock, pilot)
                session.rollback_at = clock.now()
            if offset == 20 * 60:
                await pilot.press("g", "x")
                await pilot.pause()
                await _type(pilot, "connection leak in the search handler")
                await pilot.press("enter")
                await pilot.pause()
                await pilot.press("escape")
            app.refresh_panes()
            await pilot.pause()
            if offset in MAIN_AT:
                session.main[clock.now()] = screen_text(app)
            if offset in RUNBOOK_AT:
                await pilot.press("g")
                await pilot.pause()
                app.refresh_runbook()
                await pilot.pause()
                session.runbook[clock.now()] = screen_text(app)
                await pilot.press("escape")
                await pilot.pause()
    assert app.recorder is not None
    app.recorder.close()
    assert app.recorder.error is None, app.recorder.error
    return session


async def rollback(app, clock: FrozenClock, pilot) -> None:
    """R, the typed word, and the clock moving while the steps run (the API takes 12 s)."""
    clock.advance(1, wall=0.1)
    await pilot.press("R")
    for _ in range(50):
        await pilot.pause()
        if app.screen.__class__.__name__ == "ConfirmModal":
            break
    await _type(pilot, "ROLLBACK")
    await pilot.press("enter")
    for _ in range(400):
        await pilot.pause(0.01)
        if app.running_action is None:
            break
        clock.advance(1, wall=0.1)
    assert app.running_action is None, "the rollback did not finish"
    await pilot.press("escape")  # the progress screen
    await pilot.pause()
