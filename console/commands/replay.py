"""`launch-console replay FILE`: the console again, on a recorded day."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

import shtab

from console.commands import options

NAME = "replay"
HELP = "open the console on a recording: the screens as they were, with seek"
DESCRIPTION = """\
Opens the console on a recording: the same panes, charts, alerts, banner and runbook screen,
re-derived from the recorded readings and runbook state exactly as they were at the replay
clock's instant. Keys: space play/pause, +/- speed, left/right one minute, PgUp/PgDn ten
minutes, n/p next/previous alert, m/M next/previous milestone, Home/End. Every action key and
every runbook edit is refused; nothing is written."""
EXAMPLES = (
    "launch-console replay day.sqlite --from T-15m",
    "launch-console replay day.sqlite --speed 60 --from 2026-04-23T13:45:00Z",
)
EXIT_CODES = (
    (0, "quit"),
    (2, "usage error, or FILE is not a recording this version can read"),
    (70, "internal error (see the log)"),
    (129, "the terminal went away"),
)
WHEN_HELP = "T-15m, T+1h30m (from launch) or an ISO instant such as 2026-04-23T13:45:00Z"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", metavar="FILE", help="a recording (launch-console --record)"
    ).complete = shtab.FILE  # type: ignore[attr-defined]
    parser.add_argument(
        "--speed",
        dest="replay_speed",
        type=options._positive_float,
        default=1.0,
        metavar="N",
        help="play N times faster than it happened (default 1; + and - change it)",
    )
    parser.add_argument("--from", dest="replay_from", metavar="WHEN", help=f"start at {WHEN_HELP}")
    parser.add_argument("--paused", action="store_true", help="open paused (space plays)")
    options.add_terminal(parser)
    options.add_logging(parser)


def parse_when(text: str, launch: float) -> float:
    """A replay instant: an offset from launch (T-15m, -15m, T+1h) or an ISO instant."""
    from console.durations import parse_duration

    body = text.strip()
    offset = body[1:] if body[:1] in ("T", "t") and body[1:2] in ("+", "-") else body
    try:
        return launch + parse_duration(offset)
    except ValueError:
        pass
    try:
        instant = datetime.fromisoformat(body.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"expected {WHEN_HELP}; got {text!r}") from None
    if instant.tzinfo is None:
        raise ValueError(f"{text!r} needs a zone, e.g. {body}Z")
    return instant.timestamp()


def run(args: argparse.Namespace) -> int:
    from console.durations import format_offset
    from console.recording.reader import Recording
    from console.recording.schema import RecordingError

    try:
        recording = Recording(args.file)
        config = recording.config()
    except RecordingError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    try:
        start = None
        if args.replay_from is not None:
            epoch = config.launch.epoch
            try:
                start = parse_when(args.replay_from, epoch)
            except ValueError as exc:
                args.parser.error(f"--from: {exc}")
            if not recording.start <= start <= recording.end:
                args.parser.error(
                    f"--from {args.replay_from}: the recording covers "
                    f"{format_offset(round(recording.start - epoch))} to "
                    f"{format_offset(round(recording.end - epoch))}"
                )
        return _run(recording, args, start)
    finally:
        recording.close()


def _run(recording, args: argparse.Namespace, start: float | None) -> int:
    import tempfile

    from console.app_replay import ReplayConsole
    from console.commands.console import demo_state
    from console.replay import Replayer

    # Never the live launch's state, audit or lock files: a replay writes nothing of theirs.
    with tempfile.TemporaryDirectory(prefix="launch-console-replay-") as state:
        replayer = Replayer(recording, demo_state(recording.config(), state))
        app = ReplayConsole(
            replayer,
            args.file,
            speed=args.replay_speed,
            start=start,
            playing=not args.paused,
            terminal=options.terminal(args),
        )
        app.run(mouse=app.terminal.mouse)
        return app.return_code or 0
