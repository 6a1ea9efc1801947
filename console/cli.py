"""`launch-console`: the command line. Errors are one clear message and an exit code, never a
traceback: 2 for usage and config errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import config as shipped_config
from console import __version__
from console.config import Config, ConfigError, load_config

NO_TARGET = """\
launch-console needs something to watch. To see it on a simulated launch-day stack, run
`launch-console --demo` (add `--speed 60` to watch an hour pass in a minute). To watch a real
stack, give it a config: `launch-console --config config/buywhere-us.toml` (the shipped example
encodes the BuyWhere US runbook; its secrets come from the environment variables it names).
See `launch-console --help` for every option."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero, got {text}")
    return value


def _offset(text: str) -> float:
    from console.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    from console.sim import SCENARIOS

    parser = argparse.ArgumentParser(
        prog="launch-console",
        description="The launch-day runbook as one live terminal console.",
    )
    parser.add_argument("--version", action="version", version=f"launch-console {__version__}")
    parser.add_argument("--config", metavar="PATH", help="watch the stack this TOML file describes")
    parser.add_argument("--demo", action="store_true", help="run on the built-in simulated stack")
    parser.add_argument(
        "--scenario", choices=SCENARIOS, default="launch", help="demo scenario (default: launch)"
    )
    parser.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        metavar="N",
        help="demo: simulated time runs N times faster (default: 1)",
    )
    parser.add_argument("--seed", type=int, default=7, metavar="N", help="demo: random seed")
    parser.add_argument(
        "--start",
        type=_offset,
        default=-15 * 60,
        metavar="OFFSET",
        help="demo: where the simulated clock starts, from launch (default -15m; -2h for the "
        "T-2h checklist)",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="watch only: refuse every remediation action"
    )
    parser.add_argument(
        "--display",
        action="store_true",
        help="the war-room screen: implies --read-only, no action keys, big clock and charts, "
        "high contrast",
    )
    record = parser.add_mutually_exclusive_group()
    record.add_argument(
        "--record",
        metavar="PATH",
        help="record the day to this file (default: live, one file per launch under the user "
        "state directory; demo, a fresh file in the demo's own directory)",
    )
    record.add_argument("--no-record", action="store_true", help="do not record")
    return parser


def build_check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="launch-console check",
        description="One sweep of the pre-launch checklist (runbook 1.1-1.4), printed. "
        "Exit 0: all ok; 1: any warn, crit or unknown; 2: usage or config error.",
    )
    parser.add_argument("--config", metavar="PATH", help="the stack to check")
    parser.add_argument("--demo", action="store_true", help="check the simulated stack")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def check_main(argv: Sequence[str]) -> int:
    import asyncio

    from console.check import evaluate, exit_code, render_json, render_table

    parser = build_check_parser()
    args = parser.parse_args(argv)
    if bool(args.config) == bool(args.demo):
        parser.error("give exactly one of --config PATH or --demo")
    try:
        config = load_config(args.config or str(shipped_config.shipped(shipped_config.DEMO)))
    except ConfigError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    sources, clock, _ = _sources(config, args.demo, "launch", 1.0, 7, -15 * 60, one_shot=True)

    async def sweep():
        from console.poller import Poller
        from console.store import Store

        poller = Poller(sources, Store(clock, 60, {}), clock, config.poll)
        try:
            return await poller.sweep()
        finally:
            await poller.stop()

    readings = asyncio.run(sweep())
    results = evaluate(readings, config)
    print(render_json(results, clock.now()) if args.json else render_table(results))
    return exit_code(results)


def _sources(
    config: Config,
    demo: bool,
    scenario: str,
    speed: float,
    seed: int,
    start: float = -900.0,
    one_shot: bool = False,
):
    """The sources, the clock and a maker of the control, for the demo stack or the live one."""
    if demo:
        from console.clock import SimClock
        from console.sim import SimStack, sim_sources

        clock = SimClock(config.launch.epoch + start, speed)
        stack = SimStack(
            launch=config.launch.epoch,
            scenario=scenario,
            seed=seed,
            api=config.docker.api,
            scraper=config.docker.scraper,
            services=tuple(config.docker.services),
        )
        from console.sim.control import SimControl

        return sim_sources(stack, clock), clock, lambda: SimControl(stack, clock)
    from console.clock import SystemClock
    from console.control.live import LiveControl
    from console.sources.live import live_sources

    clock = SystemClock()
    return live_sources(config, clock, one_shot=one_shot), clock, lambda: LiveControl(config)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["check"]:
        return check_main(argv[1:])
    if argv[:1] == ["replay"]:
        from console.cli_replay import replay_main

        return replay_main(argv[1:])
    if argv[:1] == ["report"]:
        from console.cli_replay import report_main

        return report_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    demo_only = [
        flag
        for flag, value, default in (
            ("--scenario", args.scenario, "launch"),
            ("--speed", args.speed, 1.0),
            ("--seed", args.seed, 7),
            ("--start", args.start, -15 * 60),
        )
        if value != default
    ]
    if not args.demo and demo_only:
        parser.error(f"{', '.join(demo_only)} only apply with --demo")
    if not args.demo and not args.config:
        print(NO_TARGET, file=sys.stderr)
        return 2
    try:
        config = load_config(args.config or str(shipped_config.shipped(shipped_config.DEMO)))
    except ConfigError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    from console.recording.schema import RecordingError

    try:
        app = make_app(config, args)
    except RecordingError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    recorder = app.recorder
    if recorder is not None:
        print(f"launch-console: recording to {recorder.path}", file=sys.stderr)
    app.run()
    if recorder is not None:
        recorder.close()
        print(
            f"launch-console: recorded to {recorder.path}\n"
            f"  replay: launch-console replay {recorder.path}\n"
            f"  report: launch-console report {recorder.path}",
            file=sys.stderr,
        )
        if recorder.error:
            print(f"launch-console: {recorder.error}", file=sys.stderr)
    return app.return_code or 0


def demo_state(config: Config, directory: str | None = None) -> Config:
    """The demo keeps its audit log, action lock and runbook state in a directory of its own,
    fresh each run: its simulated clock restarts every time, and it must never write to (or
    be blocked by) the real launch's files."""
    import tempfile

    state = directory or tempfile.mkdtemp(prefix="launch-console-demo-")
    return config.model_copy(
        update={
            "audit": config.audit.model_copy(update={"path": f"{state}/audit.jsonl"}),
            "actions": config.actions.model_copy(update={"lock_path": f"{state}/actions.lock"}),
            "launchday": config.launchday.model_copy(
                update={"state_path": f"{state}/launchday.json"}
            ),
        }
    )


def make_app(config: Config, args: argparse.Namespace):  # -> LaunchConsole
    # Imported here so that --help, --version and config errors answer without loading Textual.
    from console.app import LaunchConsole

    sources, clock, make_control = _sources(
        config, args.demo, args.scenario, args.speed, args.seed, args.start
    )
    if args.demo:
        config = demo_state(config)
        speed = f" ×{args.speed:g}" if args.speed != 1 else ""
        mode, detail = "DEMO", f"scenario {args.scenario}{speed} · seed {args.seed}"
    else:
        mode, detail = "LIVE", config.source_path
    recorder = _recorder(config, args, clock, mode, detail)
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
        recorder=recorder,
    )


def default_recording(config: Config, demo: bool) -> str:
    """Live: one file per launch day under the user state directory, so a restarted console
    goes on recording the same day. Demo: a fresh file beside the demo's own state."""
    import os
    import re

    if demo:
        return os.path.join(os.path.dirname(config.launchday.state_path), "recording.sqlite")
    import platformdirs

    slug = re.sub(r"[^a-z0-9]+", "-", config.launch.name.lower()).strip("-") or "launch"
    name = f"{config.launch.at:%Y-%m-%d}-{slug}.sqlite"
    return os.path.join(platformdirs.user_state_dir("launch-console"), "recordings", name)


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


if __name__ == "__main__":
    sys.exit(main())
