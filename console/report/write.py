"""Writing a report file: the format's text, and for markdown its charts beside it as PNG."""

from __future__ import annotations

import os
import sys

FORMATS = ("md", "json", "html")


def write_report(recording, fmt: str, output: str | None) -> str | None:
    """Write the report of `recording`; the path written, or None for standard output ('-').
    Default output: beside the recording, with the format's extension."""
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
            folder = os.path.splitext(output)[0] + "-charts"
            os.makedirs(folder, exist_ok=True)
            links = {}
            for metric in CHARTED:
                with open(os.path.join(folder, f"{metric}.png"), "wb") as f:
                    f.write(charts.render(report, metric, "png"))
                links[metric] = f"{os.path.basename(folder)}/{metric}.png"
        text = render.to_markdown(report, links)
    if output == "-":
        sys.stdout.write(text + "\n")
        return None
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    tmp = output + ".tmp"  # a report half written is never left under the real name
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, output)
    return output
