"""The vocabulary of judging: levels, thresholds, sustained conditions, findings, alerts, and
the way values are written.

Pure functions, no I/O, no Textual. Each source kind's own findings live with the kind
(console/kinds/); the judge (console.judge) puts them together; nothing else decides what the
screen says.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from console.config import Band, Config, Trigger
from console.durations import format_duration
from console.store import Sample


class Level(IntEnum):
    # Ordered by how much attention they need: the worst of a pane is its max().
    OK = 0
    UNKNOWN = 1
    WARN = 2
    CRIT = 3

    @property
    def word(self) -> str:
        return self.name.lower()

    @property
    def symbol(self) -> str:
        # Colour is never the only signal: each level has a symbol too.
        return {Level.OK: "✔", Level.UNKNOWN: "?", Level.WARN: "▲", Level.CRIT: "✖"}[self]


def level_for(value: float | None, band: Band) -> Level:
    """The runbook's "> 70%" means strictly above: exactly at a limit is still the lower level."""
    if value is None:
        return Level.UNKNOWN
    if value > band.crit:
        return Level.CRIT
    if value > band.warn:
        return Level.WARN
    return Level.OK


def worst(levels: Iterable[Level]) -> Level:
    return max(levels, default=Level.UNKNOWN)


# --- sustained conditions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sustained:
    holding: bool  # the condition is true at the newest sample
    since: float | None  # when the current unbroken run began
    held_for: float  # now - since (0 when not holding)
    fired: bool  # held for at least the window


def sustained(
    series: Iterable[Sample], above: float, window: float, now: float, max_gap: float
) -> Sustained:
    """Has `value > above` held continuously for `window` seconds up to `now`?

    A sample that is None (the source failed) or not above the limit breaks the run, and so does
    a silence longer than `max_gap` between samples (or since the newest one): a condition we
    could not see is not a condition we can claim held.
    """
    samples = list(series)
    if not samples:
        return Sustained(False, None, 0.0, False)
    t_last, v_last = samples[-1]
    if v_last is None or v_last <= above or now - t_last > max_gap:
        return Sustained(False, None, 0.0, False)
    since = t_last
    for t, v in reversed(samples[:-1]):
        if v is None or v <= above or since - t > max_gap:
            break
        since = t
    held = now - since
    return Sustained(True, since, held, held >= window)


# --- findings and alerts ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    title: str
    level: Level
    value: str
    # Seconds since the reading this finding comes from, when that reading is old news (its
    # source failed or went quiet); None while the source answers.
    stale: float | None = None

    @property
    def shown(self) -> str:
        """The value as the screen says it: an old value says how old it is."""
        if self.stale is None:
            return self.value
        return f"{self.value} (stale {format_duration(self.stale)})"


@dataclass(frozen=True, slots=True)
class TriggerState:
    metric: str
    title: str
    trigger: Trigger
    state: Sustained
    value: float | None

    @property
    def text(self) -> str:
        limit = f"> {self.trigger.above:g}{UNIT[self.metric]}"
        window = format_duration(self.trigger.sustained)
        held = format_duration(self.state.held_for)
        if self.state.fired:
            return f"ROLLBACK TRIGGER: {self.title} {limit} for {held} (≥ {window})"
        return f"{self.title} {limit} for {held} of {window}"


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    level: Level
    text: str
    rollback: bool = False


UNIT = {"error_rate_5xx": "%", "p99_latency": "s", "pool_usage": "%"}
TRIGGER_TITLES = {
    "error_rate_5xx": "5xx error rate",
    "p99_latency": "P99 latency",
    "pool_usage": "DB pool usage",
}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


def size(n: float | None) -> str:
    if n is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}TiB"


def error_level(error: str) -> Level:
    """DOWN is a verdict about the system (refused, not found); TIMEOUT and ERROR are about our
    view of it, so the honest level is unknown."""
    return Level.CRIT if error.startswith("DOWN") else Level.UNKNOWN


def backup_level(age: float | None, config: Config) -> Level:
    """Section 1.3 "Backup completed within last 24h" (BUY-2057), for the pane and the P0 gate."""
    return Level.CRIT if age is None or age >= config.prelaunch.backup_max_age else Level.OK


def below(value: float | None, limit: float, miss: Level) -> Level:
    """A pre-launch item's "< limit": ok strictly below it, `miss` at or above, unknown without
    a value."""
    if value is None:
        return Level.UNKNOWN
    return Level.OK if value < limit else miss


def as_stale(finding: Finding, age: float | None) -> Finding:
    """Old news keeps its bad news: a stale warning or failure stays as bad (we have no reading
    that says it cleared), but a stale "ok" is no longer a claim we can make: unknown."""
    return Finding(
        finding.id,
        finding.title,
        max(finding.level, Level.UNKNOWN),
        finding.value,
        age if age is not None else 0.0,
    )


TRIGGER_METRICS = ("error_rate_5xx", "p99_latency", "pool_usage")


def max_gap(series: Iterable[Sample], interval: float) -> float:
    # The spacing of recent samples tells how far apart console time puts them (the demo runs
    # faster than the wall); a silence of more than four spacings is a gap.
    times = [t for t, _ in list(series)[-4:]]
    spacing = max((b - a for a, b in itertools.pairwise(times)), default=interval)
    return 4 * max(spacing, interval)
