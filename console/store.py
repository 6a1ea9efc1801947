"""The latest reading of every source, the last good one, and a bounded history per metric.

Ages are measured on the wall (monotonic) clock: how long ago the console last heard from a
system. History is bounded twice: by count (a ring buffer) and by time (older than the
configured history is dropped), so memory stays flat over an eleven-hour day.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from console.clock import Clock
from console.readings import Reading

Sample = tuple[float, float | None]


@dataclass(slots=True)
class _Entry:
    latest: Reading
    received: float
    last_good: Reading | None = None
    good_received: float | None = None
    version: int = 0


class Store:
    def __init__(
        self,
        clock: Clock,
        history_s: float,
        stale_after: dict[str, float],
        max_samples: int = 5000,
    ) -> None:
        self.clock = clock
        self.history_s = history_s
        self.stale_after = stale_after
        self.max_samples = max_samples
        self._entries: dict[str, _Entry] = {}
        self._series: dict[str, deque[Sample]] = {}
        self.version = 0  # bumps on every record: the UI redraws only what moved

    def record(self, reading: Reading) -> None:
        received = self.clock.monotonic()
        entry = self._entries.get(reading.source)
        if entry is None:
            entry = self._entries[reading.source] = _Entry(latest=reading, received=received)
        entry.latest = reading
        entry.received = received
        if reading.ok:
            entry.last_good = reading
            entry.good_received = received
        entry.version += 1
        self.version += 1
        # An error reading still records None samples: a gap breaks a sustained window.
        metrics = reading.metrics() if reading.ok else dict.fromkeys(self._metric_names(reading))
        for name, value in metrics.items():
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = deque(maxlen=self.max_samples)
            if series and reading.at < series[-1][0]:
                continue  # a late answer from before the newest sample: history stays ordered
            series.append((reading.at, value))
            horizon = reading.at - self.history_s
            while series and series[0][0] < horizon:
                series.popleft()

    def backfill(self, readings: Iterable[Reading]) -> int:
        """History from before the console started (a source that can look back, such as
        Prometheus): only the metric series take it, oldest first and never after a sample the
        store already has; the latest reading and the ages stay the live polls'. Returns how
        many samples were added."""
        added = 0
        for reading in readings:
            if not reading.ok:
                continue
            for name, value in reading.metrics().items():
                series = self._series.get(name)
                if series is None:
                    series = self._series[name] = deque(maxlen=self.max_samples)
                if series and reading.at <= series[-1][0]:
                    continue
                if reading.at < self.clock.now() - self.history_s:
                    continue
                series.append((reading.at, value))
                added += 1
        if added:
            self.version += 1
        return added

    @staticmethod
    def _metric_names(reading: Reading) -> Iterable[str]:
        # An empty reading of the same type names the metrics its source would have given.
        return type(reading).failed(reading.source, reading.at, "").metrics().keys()

    def latest(self, source: str) -> Reading | None:
        entry = self._entries.get(source)
        return entry.latest if entry else None

    def good(self, source: str) -> Reading | None:
        entry = self._entries.get(source)
        return entry.last_good if entry else None

    def source_version(self, source: str) -> int:
        entry = self._entries.get(source)
        return entry.version if entry else 0

    def age(self, source: str) -> float | None:
        """Wall seconds since the last good reading of `source`; None if there never was one."""
        entry = self._entries.get(source)
        if entry is None or entry.good_received is None:
            return None
        return max(0.0, self.clock.monotonic() - entry.good_received)

    def is_stale(self, source: str) -> bool:
        """True when the shown value is older than its source's freshness budget (or absent)."""
        age = self.age(source)
        if age is None:
            return True
        return age > self.stale_after.get(source, math.inf)

    def series(self, metric: str) -> deque[Sample]:
        return self._series.get(metric, deque())

    def sources(self) -> list[str]:
        return list(self._entries)
