"""`launch-console [options]`: the console itself, full screen (or one sweep printed: --once)."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING

import shtab

from console.commands import options
from console.exiting import tell

if TYPE_CHECKING:
    from console.config import Config

log = logging.getLogger(__name__)

EXAMPLES = (
    "launch-console --demo --speed 60             the simulated launch day, an hour a minute",
    "launch-console --config buywhere-us          the shipped BuyWhere US config",
    "launch-console --display                     the war-room screen (read-only)",
    "launch-console --once --json | jq .alerts    one sweep of the whole dashboard, for scripts",
)
EXIT_CODES = (
    (0, "quit (or --once printed the dashboard)"),
    (2, "usage or config error (the message names the file and key)"),
    (70, "internal error (the traceback is in the log file)"),
    (129, "the terminal went away (SIGHUP, dropped SSH session, hung-up tty, parent gone)"),
    (143, "SIGTERM"),
)

NO_TARGET = """\
launch-console needs something to watch.
  On a simulated launch-day stack:  launch-console --demo --speed 60
  On a real stack, with a config:    launch-console --config PATH|buywhere-us
  To start a config of your own:     launch-console config --print-default > launch-console.toml
See `launch-console --help` for every option."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_target(parser)
    group = parser.add_argument_group("the console")
    options.add(
        group,
        "--read-only",
        action="store_true",
        help="watch only: refuse every remediation action",
    )
    options.add(
        group,
        "--display",
        action="store_true",
        help="the war-room screen: implies --read-only, no action keys, big clock and charts, "
        "high contrast",
    )
    options.add(
        group,
        "--once",
        action="store_true",
        help="no screen: poll every source once, print the whole dashboard (every reading, "
        "finding, trigger, alert, check, gate) and exit",
    )
    options.add(group, "--json", action="store_true", help="with --once: print it as JSON")
    options.add(
        group,
        "--record",
        metavar="PATH",
        complete=shtab.FILE,
        help="record the day to this file (default: one file per launch day under the user "
        "state directory; the demo, a new file there each run); see `launch-console replay` "
        "and `launch-console report`",
    )
    options.add(group, "--no-record", action="store_true", help="do not record")
    options.add_terminal(parser)
    options.add_logging(parser)


def run(args: argparse.Namespace) -> int:
    from console.config_files import ConfigNotFound

    if args.json and not args.once:
        args.parser.error("--json goes with --once (the screen is not JSON)")
    try:
        config = options.load_target(args)
    except ConfigNotFound as exc:
        print(f"{NO_TARGET}\n\nlaunch-console: {exc}", file=sys.stderr)
        return 2
    log.info(
        "%s console: config loaded: %s (%s)",
        "demo" if args.demo else "live",
        config.source_path,
        config.launch.name,
    )
    if args.once:
        return once(config, args)
    from console.terminal.watchdog import exit_on_signals

    exit_on_signals()  # until the screen is up and its watchdog takes over
    if not args.demo:
        return _run(config, args)
    # The demo's audit log, lock and runbook state live in a directory of its own, removed on
    # the way out: its simulated clock restarts every time.
    with tempfile.TemporaryDirectory(prefix="launch-console-demo-") as state:
        return _run(config, args, state)


def _run(config: Config, args: argparse.Namespace, state_dir: str | None = None) -> int:
    from console.recording.schema import RecordingError

    if args.record and args.no_record:
        args.parser.error("give --record PATH or --no-record, not both")
    try:
        app = make_app(config, args, state_dir)
    except RecordingError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    if state_dir is not None:  # the with-block's cleanup, for a way out that skips it
        app.at_hard_exit.append(lambda: shutil.rmtree(state_dir, ignore_errors=True))
    recorder = app.recorder
    if recorder is not None:
        print(f"launch-console: recording to {recorder.path}", file=sys.stderr)
    try:
        app.run(mouse=app.terminal.mouse)
    finally:
        if recorder is not None:
            recorder.close()
            # The terminal may be gone (this is often the way out after it went): say it if
            # anyone can still read it.
            tell(
                f"launch-console: recorded to {recorder.path}\n"
                f"  replay: launch-console replay {recorder.path}\n"
                f"  report: launch-console report {recorder.path}"
            )
            if recorder.error:
                tell(f"launch-console: {recorder.error}")
    return app.return_code or 0


def once(config: Config, args: argparse.Namespace) -> int:
    """One sweep, printed: the dashboard as the screen would show it at this instant."""
    import asyncio

    from console.dashboard import render_json, render_text, snapshot
    from console.kinds import stale_after
    from console.launchday import LaunchState
    from console.poller import Poller
    from console.runbook_store import RunbookStore
    from console.store import Store

    sources, clock, _ = options.stack(config, args, one_shot=True)
    store = Store(clock, config.poll.history, stale_after(config))

    async def sweep() -> None:
        poller = Poller(sources, store, clock, config.poll)
        try:
            await poller.sweep()
        finally:
            await poller.stop()

    asyncio.run(sweep())
    state = LaunchState()
    if not args.demo:  # the demo's runbook state is fresh every run
        # Read-only: a one-shot look never writes, creates or migrates the shared state.
        runbook = RunbookStore(config.launchday.state_path, "once", writable=False)
        for note in [runbook.problem, *runbook.notes]:
            if note:
                log.warning("runbook state: %s", note)
        state = runbook.state
        runbook.close()
    data = snapshot(store, config, state, clock.now(), "DEMO" if args.demo else "LIVE")
    print(render_json(data) if args.json else render_text(data))
    return 0


def demo_state(config: Config, directory: str | None = None) -> Config:
    """The demo keeps its audit log, action lock and runbook state in a directory of its own,
    fresh each run: its simulated clock restarts every time, and it must never write to (or
    be blocked by) the real launch's files. Without `directory`, a new temporary one that the
    caller removes."""
    state = directory or tempfile.mkdtemp(prefix="launch-console-demo-")
    return config.model_copy(
        update={
            "audit": config.audit.model_copy(update={"path": f"{state}/audit.jsonl"}),
            "actions": config.actions.model_copy(update={"lock_path": f"{state}/actions.lock"}),
            "launchday": config.launchday.model_copy(
                update={"state_path": f"{state}/launchday.sqlite"}
            ),
        }
    )


def make_app(config: Config, args: argparse.Namespace, state_dir: str | None = None):
    # Imported here so that --help, --version and config errors answer without loading Textual.
    from console.app import LaunchConsole

    sources, clock, make_control = options.stack(config, args)
    if args.demo:
        config = demo_state(config, state_dir)
        speed = f" ×{args.speed:g}" if args.speed != 1 else ""
        mode, detail = "DEMO", f"scenario {args.scenario}{speed} · seed {args.seed}"
    else:
        mode, detail = "LIVE", config.source_path
    recorder = _recorder(config, args, clock, mode, detail)
    terminal = options.terminal(args)
    log.info("terminal: %s", terminal.describe())
    runner = None  # the demo's stack is in this process: its runs are too (InProcessRunner)
    if not args.demo:
        from console.actions.runner import ProcessRunner

        runner = ProcessRunner(config)  # each confirmed plan in a detached process of its own
    return LaunchConsole(
        config,
        sources,
        clock,
        mode=mode,
        detail=detail,
        read_only=args.read_only or args.display,
        display=args.display,
        # A read-only console is given no control at all: nothing to misfire.
        control=None if args.read_only or args.display else make_control(),
        end_process=True,  # nothing hung may keep the process once the console has closed
        recorder=recorder,
        runner=runner,
        log_file=getattr(args, "log_file", None),
        terminal=terminal,
    )


def default_recording(config: Config, demo: bool) -> str:
    """Under the user state directory: live, one file per launch day, so a restarted console
    goes on recording the same day (a new session in it); the demo, a new file each run (its
    simulated clock restarts every time)."""
    import os
    import re
    import time

    import platformdirs

    folder = os.path.join(platformdirs.user_state_dir("launch-console"), "recordings")
    if demo:
        return os.path.join(folder, f"demo-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.sqlite")
    slug = re.sub(r"[^a-z0-9]+", "-", config.launch.name.lower()).strip("-") or "launch"
    return os.path.join(folder, f"{config.launch.at:%Y-%m-%d}-{slug}.sqlite")


def _recorder(config: Config, args: argparse.Namespace, clock, mode: str, detail: str):
    """The recorder for this console, or None with --no-record. An explicit --record PATH that
    cannot be written is an error; when the default file is held by another console (the
    war-room display beside the on-call one), this one watches without recording."""
    if args.no_record:
        return None
    from console.audit import operator
    from console.recording.recorder import Recorder
    from console.recording.schema import RecordingError

    path = args.record or default_recording(config, args.demo)
    try:
        return Recorder(path, clock, config=config, mode=mode, detail=detail, operator=operator())
    except RecordingError as exc:
        if args.record:
            raise
        print(f"launch-console: not recording: {exc}", file=sys.stderr)
        return None
