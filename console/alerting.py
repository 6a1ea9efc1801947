"""What the alert strip and banner show over time: repeats merge, new alerts ring once.

`AlertTracker.update` takes the alerts firing now (from `console.rules.assess`) and returns
them with how many times each has fired and since when, plus the ids that are new this time
(the app rings the terminal bell once for those that need a banner, never per refresh).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from console.rules import Alert, Level

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tracked:
    alert: Alert
    count: int  # times it has fired today (a clear-and-fire-again adds one)
    since: float  # when the current firing began (console time)

    @property
    def text(self) -> str:
        return self.alert.text + (f"  (×{self.count})" if self.count > 1 else "")


def needs_banner(alert: Alert) -> bool:
    """A fired rollback trigger, or a critical P0 signal, takes the banner and the bell."""
    return alert.level is Level.CRIT and (alert.rollback or alert.id.startswith("gate:"))


class AlertTracker:
    def __init__(
        self, counts: dict[str, int] | None = None, since: dict[str, float] | None = None
    ) -> None:
        # Given when replay restores the strip's memory at an instant of a recording.
        self._counts: dict[str, int] = dict(counts or {})
        self._since: dict[str, float] = dict(since or {})
        self._levels: dict[str, Level] = {}  # of the firing ones, for the log

    def update(self, alerts: list[Alert], now: float) -> tuple[list[Tracked], list[Alert]]:
        firing = {a.id for a in alerts}
        new = [a for a in alerts if a.id not in self._since]
        for a in new:
            self._since[a.id] = now
            self._counts[a.id] = self._counts.get(a.id, 0) + 1
            log.warning("alert firing [%s]: %s", a.level.word, a.text)
        for a in alerts:
            before = self._levels.get(a.id)
            if before is not None and before is not a.level:
                log.warning("alert %s: %s -> %s: %s", a.id, before.word, a.level.word, a.text)
            self._levels[a.id] = a.level
        for gone in set(self._since) - firing:
            del self._since[gone]  # cleared: the count stays, a new firing adds to it
            self._levels.pop(gone, None)
            log.info("alert cleared: %s", gone)
        tracked = [Tracked(a, self._counts[a.id], self._since[a.id]) for a in alerts]
        return tracked, new
