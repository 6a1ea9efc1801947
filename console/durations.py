"""Durations as the runbook writes them: "10m", "1h30m", "-2h", "+15m", "500ms" or plain seconds.

Parsing is pytimeparse2's (it also takes "1.5h", "10 minutes", "1h 30m"); the formats below are
ours, in the runbook's notation (T-2h, T+00:14:59), which no library writes.
"""

from __future__ import annotations

import math

from pytimeparse2 import parse as _parse


def parse_duration(value: str | float | int) -> float:
    """Seconds for a duration; raises ValueError with the offending text."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '10m', got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    seconds = _parse(value.strip()) if isinstance(value, str) else None
    if seconds is None:
        raise ValueError(f"expected a duration like '10m', '1h30m' or '-15m', got {value!r}")
    return float(seconds)


def format_duration(seconds: float) -> str:
    """Compact human form: 45s, 3m12s, 2h05m."""
    s = int(abs(seconds))
    sign = "-" if seconds < 0 else ""
    if s < 60:
        return f"{sign}{s}s"
    if s < 3600:
        return f"{sign}{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{sign}{s // 3600}h{(s % 3600) // 60:02d}m"
    days, hours = s // 86400, (s % 86400) // 3600
    return f"{sign}{days}d" + (f"{hours:02d}h" if hours else "")


def format_offset(seconds: float) -> str:
    """The runbook's T-notation for a signed offset from launch: T-2h, T-15m, T+0, T+1h30m."""
    if seconds == 0:
        return "T+0"
    sign = "-" if seconds < 0 else "+"
    s = int(abs(seconds))
    h, m, sec = s // 3600, (s % 3600) // 60, s % 60
    text = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{sec}s" if sec else "")
    return f"T{sign}{text}"


def format_countdown(seconds: float) -> str:
    """T-00:14:59 before launch, T+01:02:03 after."""
    sign = "-" if seconds < 0 else "+"
    # Before launch round up, so the display reaches T-00:00:01 and then T+00:00:00.
    s = int(seconds) if seconds >= 0 else math.ceil(-seconds)
    return f"T{sign}{s // 3600:02d}:{(s % 3600) // 60:02d}:{s % 60:02d}"
