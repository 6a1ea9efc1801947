"""Shared test helpers: the demo app on a frozen clock, driven by hand (no timers, no loop)."""

from __future__ import annotations

from config import DEMO, shipped
from console.app import LaunchConsole
from console.audit import operator
from console.cli import demo_state
from console.clock import Clock, FrozenClock
from console.config import Config, load_config
from console.kinds import sim_sources
from console.recording.recorder import Recorder
from console.sim import SimStack
from console.sim.control import SimControl
from console.terminal import Terminal

LAUNCH = load_config(shipped(DEMO)).launch.epoch


def demo_config(state_dir: str | None = None) -> Config:
    """The demo config with its own state directory (audit, lock, runbook state), as the CLI
    gives it; a quick health wait so a failing step fails fast in tests."""
    config = demo_state(load_config(shipped(DEMO)), state_dir)
    return config.model_copy(
        update={"actions": config.actions.model_copy(update={"health_wait": 5.0})}
    )


def demo_app(
    start_offset: float = -15 * 60,
    scenario: str = "launch",
    read_only: bool = False,
    display: bool = False,
    seed: int = 7,
    clock: Clock | None = None,
    state_dir: str | None = None,
    record: str | None = None,
    terminal: Terminal | None = None,
) -> tuple[LaunchConsole, Clock, SimStack]:
    """The demo console frozen at `start_offset` seconds from launch, with nothing running;
    recording to `record` when given (batches of 50 ms: tests read it right after)."""
    config = demo_config(state_dir)
    clock = clock or FrozenClock(config.launch.epoch + start_offset)
    stack = SimStack(launch=config.launch.epoch, scenario=scenario, seed=seed)
    detail = f"scenario {scenario} · seed {seed}"
    recorder = (
        Recorder(
            record,
            clock,
            config=config,
            mode="DEMO",
            detail=detail,
            operator=operator(),
            batch_s=0.05,
        )
        if record
        else None
    )
    app = LaunchConsole(
        config,
        sim_sources(stack, clock),
        clock,
        mode="DEMO",
        detail=detail,
        read_only=read_only,
        display=display,
        live=False,
        control=None if read_only or display else SimControl(stack, clock, step_delay=0),
        recorder=recorder,
        terminal=terminal,
    )
    return app, clock, stack


async def replay(app: LaunchConsole, clock: FrozenClock, until_offset: float, step: float = 60.0):
    """Sweep every source once per `step` of simulated time (1 s of wall each) up to the offset,
    judging after each sweep as a watching console does (milestones are judged when they come).

    Works on an app that is not running (rules-level tests) and on a running one (snapshots).
    """
    target = app.config.launch.epoch + until_offset
    await app.poller.sweep()
    app.judge_now()
    while clock.now() + step <= target:
        clock.advance(step, wall=1.0)
        await app.poller.sweep()
        app.judge_now()
    if app.is_running:
        app.refresh_panes()


def screen_lines(app) -> list[str]:
    """What the terminal shows now, line by line: the active screen as the compositor draws it
    (toasts included)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_segments(app) -> list[str]:
    """Every text segment the compositor would send to the terminal for the active screen."""
    return [seg.text for strip in app.screen._compositor.render_strips() for seg in strip]
