"""Each source's findings for its pane, and the alert a silent source raises about itself.

The findings come from the source's kind (console/kinds/): from its last good reading, marked
stale when that reading is old news, with the source's own error on top.
"""

from __future__ import annotations

from console.config import Config
from console.durations import format_duration
from console.kinds import KINDS, kind
from console.readings import Reading
from console.rules import Alert, Finding, Level, as_stale, error_level
from console.store import Store


def judged_sources(store: Store) -> list[str]:
    """Every kind's source, but the optional ones only once they have answered."""
    return [k.name for k in KINDS if not k.optional or store.latest(k.name) is not None]


def _source_error(reading: Reading | None) -> Finding | None:
    if reading is None:
        return Finding("source", "source", Level.UNKNOWN, "waiting for first reading")
    if reading.error is None:
        return None
    return Finding("source", "source", error_level(reading.error), reading.error)


def pane_findings(source: str, store: Store, config: Config) -> list[Finding]:
    """Findings for one pane: from the last good reading, plus the source's error if any."""
    k = kind(source)
    out: list[Finding] = []
    error = _source_error(store.latest(source))
    if error is not None:
        out.append(error)
    good = store.good(source)
    if isinstance(good, k.reading_type):
        found = k.findings(good, config)
        if store.is_stale(source):
            found = [as_stale(f, store.age(source)) for f in found]
        out.extend(found)
    return out


def source_alert(source: str, store: Store) -> Alert | None:
    """A source that cannot be read says so itself ("containers: no answer for 40s"); its last
    findings stay on the pane and in the alerts, marked stale."""
    latest = store.latest(source)
    if latest is None:
        return None
    down = latest.error is not None and error_level(latest.error) is Level.CRIT
    if not (down or store.is_stale(source)):
        return None
    age = store.age(source)
    since = "never answered" if age is None else f"no answer for {format_duration(age)}"
    if down:
        return Alert(f"source:{source}", Level.CRIT, f"{source}: {latest.error} ({since})")
    why = f" ({latest.error})" if latest.error else ""
    return Alert(f"source:{source}", Level.WARN, f"{source}: {since}{why}")
