"""The key series over the day as image files (PNG for markdown, SVG inline in html).

matplotlib draws for files, not the terminal; it is imported only when a report is written
(the console itself never loads it). Time runs along the bottom in the launch zone, with the
launch (T-0) and any rollback marked, and the runbook's warning and critical limits drawn.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from console.report.model import CHARTED, Report

UNIT_WORDS = {"%": "%", "s": "seconds", "/s": "per second"}


def _figure(report: Report, metric: str):
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    zone = ZoneInfo(report.zone)
    title, unit, _ = CHARTED[metric]
    points = report.series.get(metric, [])
    fig, ax = plt.subplots(figsize=(9, 2.4), dpi=100)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.86, bottom=0.2)
    if points:
        xs = [datetime.fromtimestamp(t, UTC).astimezone(zone) for t, _ in points]
        ys = [v for _, v in points]
        ax.plot(xs, ys, linewidth=0.8, color="#1f5fa8")
    else:
        ax.text(0.5, 0.5, "no readings", transform=ax.transAxes, ha="center", va="center")
    limits = report.thresholds.get(metric)
    if limits:
        warn, crit = limits
        ax.axhline(warn, color="#d59f00", linewidth=0.8, linestyle="--", label=f"warn > {warn:g}")
        ax.axhline(crit, color="#c62828", linewidth=0.8, linestyle="--", label=f"crit > {crit:g}")
        ax.legend(loc="upper right", fontsize=7, frameon=False)
    start = datetime.fromtimestamp(report.start, UTC).astimezone(zone)
    end = datetime.fromtimestamp(report.end, UTC).astimezone(zone)
    if end > start:
        ax.set_xlim(start, end)
    launch = datetime.fromtimestamp(report.launch_at, UTC).astimezone(zone)
    if start <= launch <= end:
        ax.axvline(launch, color="#444444", linewidth=0.8)
        ax.annotate("T-0", (launch, 1.0), xycoords=("data", "axes fraction"), fontsize=7)
    for t in report.rollbacks:
        at = datetime.fromtimestamp(t, UTC).astimezone(zone)
        ax.axvline(at, color="#c62828", linewidth=1.0)
        ax.annotate("rollback", (at, 0.92), xycoords=("data", "axes fraction"), fontsize=7)
    ax.set_title(f"{title} ({UNIT_WORDS.get(unit, unit)})" if unit else title, fontsize=9)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    ax.set_xlabel(f"time ({start:%Z})", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.set_ylim(bottom=0)
    return fig, plt


def render(report: Report, metric: str, fmt: str) -> bytes:
    """One chart as PNG or SVG bytes."""
    fig, plt = _figure(report, metric)
    out = io.BytesIO()
    # SVG text as paths: the picture carries no text to escape, and looks the same everywhere.
    options = {"metadata": {"Date": None}} if fmt == "svg" else {"metadata": {"Software": None}}
    try:
        fig.savefig(out, format=fmt, **options)
    finally:
        plt.close(fig)
    return out.getvalue()
