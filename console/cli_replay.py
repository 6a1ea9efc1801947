"""`launch-console replay FILE` and `launch-console report FILE`: a recorded day on the
console again, or written up as the post-mortem skeleton. Errors are one message and exit 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime

from console.recording.schema import RecordingError

WHEN_HELP = "T-15m, T+1h30m (from launch) or an ISO instant such as 2026-04-23T13:45:00Z"


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero, got {text}")
    return value


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


def build_replay_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="launch-console replay",
        description="Open the console on a recording: the same panes, alerts and runbook as "
        "they were, with pause, seek and a replay clock. Every action is refused.",
    )
    parser.add_argument("file", metavar="FILE", help="a recording (launch-console --record)")
    parser.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        metavar="N",
        help="play N times faster than it happened (default 1; + and - change it)",
    )
    parser.add_argument("--from", dest="start", metavar="WHEN", help=f"start at {WHEN_HELP}")
    parser.add_argument("--paused", action="store_true", help="open paused (space plays)")
    return parser


def replay_main(argv: Sequence[str]) -> int:
    from console.durations import format_offset
    from console.recording.reader import Recording
    from console.replay import Replayer

    parser = build_replay_parser()
    args = parser.parse_args(argv)
    try:
        recording = Recording(args.file)
        config = recording.config()
    except RecordingError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    start = None
    if args.start is not None:
        epoch = config.launch.epoch
        try:
            start = parse_when(args.start, epoch)
        except ValueError as exc:
            parser.error(f"--from: {exc}")
        if not recording.start <= start <= recording.end:
            parser.error(
                f"--from {args.start}: the recording covers "
                f"{format_offset(round(recording.start - epoch))} to "
                f"{format_offset(round(recording.end - epoch))}"
            )
    from console.app_replay import ReplayConsole
    from console.cli import demo_state

    # Never the live launch's state, audit or lock files: a replay writes nothing of theirs.
    replayer = Replayer(recording, demo_state(config))
    app = ReplayConsole(replayer, args.file, speed=args.speed, start=start, playing=not args.paused)
    app.run()
    recording.close()
    return app.return_code or 0


def build_report_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="launch-console report",
        description="Write the post-mortem skeleton of a recorded launch day: the verdict "
        "against runbook Section 6, milestones, alerts, incidents, actions, the T-15 go/no-go "
        "board, a timeline and charts.",
    )
    parser.add_argument("file", metavar="FILE", help="a recording (launch-console --record)")
    parser.add_argument(
        "--format", choices=("md", "json", "html"), default="md", help="default: md"
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="where to write it (default: beside FILE, with the format's extension; - for "
        "standard output). Markdown's charts go to PATH's stem + '-charts/' as PNG.",
    )
    return parser


def report_main(argv: Sequence[str]) -> int:
    from console.recording.reader import Recording

    args = build_report_parser().parse_args(argv)
    try:
        with Recording(args.file) as recording:
            written = write_report(recording, args.format, args.output)
    except RecordingError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"launch-console: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    if written:
        print(f"launch-console: report written to {written}", file=sys.stderr)
    return 0


def write_report(recording, fmt: str, output: str | None) -> str | None:
    """Write the report; the path written, or None for standard output."""
    from console.report import charts, render
    from console.report.model import CHARTED, build

    report = build(recording)
    if output is None:
        output = os.path.splitext(recording.path)[0] + "." + fmt
    if fmt == "json":
        text = render.to_json(report)
    elif fmt == "html":
        svgs = {m: charts.render(report, m, "svg").decode() for m in CHARTED}
        text = render.to_html(report, svgs)
    else:
        links: dict[str, str] | None = None
        if output != "-":
            stem = os.path.splitext(output)[0]
            folder = stem + "-charts"
            os.makedirs(folder, exist_ok=True)
            links = {}
            for metric in CHARTED:
                path = os.path.join(folder, f"{metric}.png")
                with open(path, "wb") as f:
                    f.write(charts.render(report, metric, "png"))
                links[metric] = f"{os.path.basename(folder)}/{metric}.png"
        text = render.to_markdown(report, links)
    if output == "-":
        sys.stdout.write(text + "\n")
        return None
    directory = os.path.dirname(os.path.abspath(output))
    os.makedirs(directory, exist_ok=True)
    tmp = output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, output)
    return output
