"""The report as markdown, JSON or html, ready to paste into the post-mortem document.

Every string that came from the recording (alert texts, incident summaries, operators, action
details, config names) is outside text: html escapes it (`html.escape`), markdown escapes the
characters that would change its structure (tables, emphasis, links, raw html), and both
replace control characters. Nothing from the file is ever markup.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from console.report.model import CHARTED, Report, duration, when
from console.text import clean

# --- outside text -------------------------------------------------------------------------------

# Inline structure: emphasis, code, links and images, table cells, strikethrough. (Line-start
# markers such as # or - never matter: outside text never starts a line.)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Outside text for markdown: one line, structure characters escaped, no raw html."""
    s = clean(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def h(text: object) -> str:
    return html.escape(clean(text), quote=True)


def _ok(ok: bool | None) -> str:
    return {True: "✔ ok", False: "✖ missed", None: "? not known"}[ok]


# --- sections as rows, shared by md and html ------------------------------------------------------


def _verdict_lines(r: Report) -> list[str]:
    word, why = r.verdict
    return [f"{word}", why]


def sections(r: Report) -> list[tuple[str, list[str], list[list[str]], list[str]]]:
    """(title, header, rows, notes) for every table of the report; cells are outside text."""
    w = lambda t: when(t, r.zone, r.launch_at)  # noqa: E731
    out = []
    fh_note = (
        [f"Judged at {w(r.first_hour_at)}."]
        if r.first_hour_at is not None
        else ["The recording does not reach the first hour."]
    )
    out.append(
        (
            "First hour (Section 6)",
            ["Metric", "Target", "Value", "Result"],
            [[m, target, value, _ok(ok)] for m, target, value, ok in r.first_hour],
            fh_note,
        )
    )
    out.append(
        (
            "Milestones",
            ["Milestone", "Title", "Owner", "Result", "Judged at", "Values seen"],
            [
                [
                    m["offset"],
                    m["title"],
                    m["owner"],
                    m["result"],
                    w(m["at"]) if m["at"] is not None else "—",
                    "; ".join(
                        f"{v['what']}: {v['value']} ({_ok(v['ok']).split(' ', 1)[1]})"
                        for v in m["values"]
                    )
                    or "—",
                ]
                for m in r.milestones
            ],
            [],
        )
    )
    out.append(
        (
            "Alerts",
            ["Onset", "End", "Lasted", "Level", "Alert", "Peak"],
            [
                [
                    w(a.onset),
                    w(a.end) if a.end is not None else "still firing at the end",
                    duration((a.end if a.end is not None else r.end) - a.onset),
                    a.level.upper() + (" (rollback trigger)" if a.rollback else ""),
                    a.text,
                    (f"{_value(a.peak, a.unit)} at {w(a.peak_at)}" if a.peak is not None else "—"),
                ]
                for a in r.alerts
            ],
            [] if r.alerts else ["No alert fired."],
        )
    )
    incident_rows = []
    for i in r.incidents:
        ladder = "; ".join(
            f"{s['offset']} {s['what']} "
            + (f"(reached {w(s['due'])})" if s["reached"] else "(not reached)")
            for s in i["ladder"]
        )
        incident_rows.append(
            [
                f"{i['severity']} #{i['id']}",
                i["summary"],
                f"{w(i['opened_at'])} by {i['opened_by']}",
                w(i["resolved_at"]) if i["resolved_at"] is not None else "open at the end",
                duration(i["duration"]),
                i["root_cause"] or "—",
                ladder,
            ]
        )
    out.append(
        (
            "Incidents",
            ["Incident", "Summary", "Opened", "Resolved", "Lasted", "Root cause", "Escalation"],
            incident_rows,
            [] if incident_rows else ["No incident was opened."],
        )
    )
    action_rows = []
    for a in r.actions:
        for s in a.steps:
            action_rows.append(
                [
                    a.action,
                    a.operator,
                    w(a.start),
                    a.outcome,
                    s["step"],
                    str(s["status"]),
                    s["detail"] or s["plan"],
                ]
            )
    out.append(
        (
            "Actions",
            ["Action", "Operator", "Started", "Outcome", "Step", "Status", "Detail"],
            action_rows,
            [] if action_rows else ["No action was run."],
        )
    )
    if r.board is not None:
        b = r.board
        rows = [[g["title"], _ok(g["ok"]), g["value"]] for g in b["gates"]]
        rows += [[f"{o['owner']} (owner)", o["call"].upper() or "—", ""] for o in b["owners"]]
        rows.append(["Rex (overall)", b["call"], b["reason"]])
        out.append(("Go/no-go board at T-15", ["Gate / owner", "Status", "Value"], rows, []))
    else:
        out.append(("Go/no-go board at T-15", [], [], [r.board_missing]))
    out.append(
        (
            "Timeline",
            ["When", "What", "Detail"],
            [[w(t), what, detail] for t, what, detail in r.timeline],
            [],
        )
    )
    return out


def _value(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "s":
        return f"{v * 1000:.0f}ms" if v < 1 else f"{v:.2f}s"
    if unit == "%":
        return f"{v:.1f}%"
    return f"{v:.1f}{unit}"


def _header_lines(r: Report) -> list[tuple[str, str]]:
    w = lambda t: when(t, r.zone, r.launch_at)  # noqa: E731
    launch = datetime.fromtimestamp(r.launch_at, UTC)
    return [
        ("Launch", f"{r.launch_name} — {launch:%Y-%m-%d %H:%M} UTC ({r.zone})"),
        ("Recording", f"{w(r.start)} to {w(r.end)} ({duration(r.end - r.start)})"),
        (
            "Consoles",
            "; ".join(
                f"{s['mode']} {s['detail']} by {s['operator'] or '?'} ({w(s['start'])})"
                for s in r.sessions
            ),
        ),
        (
            "File",
            f"{r.path} — {r.counts.get('readings', 0):,} readings in "
            f"{r.counts.get('reading_rows', 0):,} rows, {r.counts.get('events', 0):,} events, "
            f"{r.counts.get('bytes', 0) / 1e6:.1f} MB",
        ),
    ]


# --- markdown ------------------------------------------------------------------------------------


def to_markdown(r: Report, charts: dict[str, str] | None = None) -> str:
    """`charts`: metric -> relative path of its PNG (None: no charts, say so)."""
    word, why = r.verdict
    lines = [f"# Post-mortem: {md(r.launch_name)}", ""]
    for label, value in _header_lines(r):
        lines.append(f"- **{label}:** {md(value)}")
    lines += ["", f"## Launch verdict (runbook Section 6): **{md(word)}**", "", md(why), ""]
    for title, header, rows, notes in sections(r):
        lines += [f"## {title}", ""]
        if header:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            for row in rows:
                lines.append("| " + " | ".join(md(c) for c in row) + " |")
            lines.append("")
        for note in notes:
            lines += [md(note), ""]
    lines += ["## Charts", ""]
    if charts is None:
        lines += ["Charts are written only beside a report file (give --output PATH).", ""]
    else:
        for metric, (title, _, _) in CHARTED.items():
            path = charts.get(metric)
            if path:
                lines += [f"![{md(title)}]({path})", ""]
    return "\n".join(lines)


# --- html ----------------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.verdict { font-size: 1.3em; font-weight: bold; }
.chart svg { width: 100%; height: auto; }
"""


def to_html(r: Report, svgs: dict[str, str]) -> str:
    word, why = r.verdict
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Post-mortem: {h(r.launch_name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Post-mortem: {h(r.launch_name)}</h1>",
        "<ul>",
    ]
    out += [f"<li><b>{h(label)}:</b> {h(value)}</li>" for label, value in _header_lines(r)]
    out += [
        "</ul>",
        "<h2>Launch verdict (runbook Section 6)</h2>",
        f'<p class="verdict">{h(word)}</p><p>{h(why)}</p>',
    ]
    for title, header, rows, notes in sections(r):
        out.append(f"<h2>{h(title)}</h2>")
        if header:
            out.append("<table><thead><tr>" + "".join(f"<th>{h(c)}</th>" for c in header))
            out.append("</tr></thead><tbody>")
            for row in rows:
                out.append("<tr>" + "".join(f"<td>{h(c)}</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
        out += [f"<p>{h(note)}</p>" for note in notes]
    out.append("<h2>Charts</h2>")
    for metric in CHARTED:
        svg = svgs.get(metric)
        if svg:
            # matplotlib's own SVG, text drawn as paths: nothing from the recording is in it.
            out.append(f'<div class="chart">{_strip_prolog(svg)}</div>')
    out.append("</body></html>")
    return "\n".join(out)


def _strip_prolog(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


# --- json ----------------------------------------------------------------------------------------


def to_json(r: Report) -> str:
    """Everything, structured; instants as epoch seconds and ISO UTC; series per minute."""

    def iso(t: float | None) -> str | None:
        return None if t is None else datetime.fromtimestamp(t, UTC).isoformat()

    word, why = r.verdict
    data: dict[str, Any] = {
        "launch": {"name": r.launch_name, "at": iso(r.launch_at), "zone": r.zone},
        "recording": {
            "path": r.path,
            "start": iso(r.start),
            "end": iso(r.end),
            "sessions": [{**s, "start": iso(s["start"]), "end": iso(s["end"])} for s in r.sessions],
            "counts": r.counts,
        },
        "verdict": {"result": word, "why": why},
        "first_hour": {
            "judged_at": iso(r.first_hour_at),
            "criteria": [
                {"metric": m, "target": t, "value": v, "ok": ok} for m, t, v, ok in r.first_hour
            ],
        },
        "milestones": [{**m, "due": iso(m["due"]), "at": iso(m["at"])} for m in r.milestones],
        "alerts": [
            {**asdict(a), "onset": iso(a.onset), "end": iso(a.end), "peak_at": iso(a.peak_at)}
            for a in r.alerts
        ],
        "incidents": [
            {
                **i,
                "opened_at": iso(i["opened_at"]),
                "resolved_at": iso(i["resolved_at"]),
                "ladder": [{**s, "due": iso(s["due"])} for s in i["ladder"]],
            }
            for i in r.incidents
        ],
        "actions": [
            {
                **asdict(a),
                "start": iso(a.start),
                "end": iso(a.end),
                "steps": [
                    {**s, "started": iso(s["started"]), "ended": iso(s["ended"])} for s in a.steps
                ],
            }
            for a in r.actions
        ],
        "go_no_go_at_t15": ({**r.board, "at": iso(r.board["at"])} if r.board is not None else None),
        "go_no_go_missing": r.board_missing or None,
        "timeline": [{"at": iso(t), "what": what, "detail": d} for t, what, d in r.timeline],
        "series_per_minute": {m: _per_minute(points) for m, points in r.series.items()},
        "thresholds": {m: {"warn": w, "crit": c} for m, (w, c) in r.thresholds.items()},
    }
    return json.dumps(data, indent=1, ensure_ascii=False)


def _per_minute(points: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """The worst (highest) value of each minute: what a post-mortem asks of a series."""
    buckets: dict[int, float] = {}
    for t, v in points:
        minute = int(t // 60)
        buckets[minute] = max(v, buckets.get(minute, v))
    return [
        {"at": datetime.fromtimestamp(m * 60, UTC).isoformat(), "max": v}
        for m, v in sorted(buckets.items())
    ]
