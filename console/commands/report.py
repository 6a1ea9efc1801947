"""`launch-console report FILE`: the post-mortem skeleton of a recorded launch day."""

from __future__ import annotations

import argparse
import sys

import shtab

from console.commands import options

NAME = "report"
HELP = "write the post-mortem of a recording (md, json or html, with charts)"
DESCRIPTION = """\
Writes the post-mortem skeleton of a recorded launch day: the launch verdict against runbook
Section 6 with the first-hour figures; each milestone's result and the values seen; every alert
with onset, end and peak; every incident with its escalation steps; every action with operator,
steps and outcomes; the go/no-go board at T-15; a timeline in the launch zone and UTC; and
charts of the 5xx rate, P99, pool, Redis and requests/s over the day (PNG beside markdown, SVG
inline in html). Ready to paste into the post-mortem document."""
EXAMPLES = (
    "launch-console report day.sqlite --format html -o post-mortem.html",
    "launch-console report day.sqlite    (day.md, and its charts in day-charts/)",
    "launch-console report day.sqlite --format json -o - | jq .verdict",
)
EXIT_CODES = (
    (0, "written"),
    (2, "usage error, or FILE is not a recording this version can read"),
    (70, "internal error (see the log)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from console.report.write import FORMATS

    parser.add_argument(
        "file", metavar="FILE", help="a recording (launch-console --record)"
    ).complete = shtab.FILE  # type: ignore[attr-defined]
    parser.add_argument("--format", choices=FORMATS, default="md", help="default: md")
    parser.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="where to write it (default: beside FILE, with the format's extension; - for "
        "standard output). Markdown's charts go to PATH's stem + '-charts/' as PNG.",
    )
    options.add_logging(parser)


def run(args: argparse.Namespace) -> int:
    from console.recording.reader import Recording
    from console.recording.schema import RecordingError
    from console.report.write import write_report

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
