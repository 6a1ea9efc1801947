"""The console's clocks: wall time live, simulated time in the demo, a frozen one in tests.

`now()` is the time readings are stamped with and rules reason over (epoch seconds).
`monotonic()` is real elapsed time, used for the age of values: a value polled one wall second
ago is fresh even when the demo runs simulated time 60x faster.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class SimClock:
    """Simulated time starting at `start` (epoch seconds) and running `speed` times faster."""

    def __init__(self, start: float, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be above zero, got {speed}")
        self.start = start
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        return self.start + (time.monotonic() - self._origin) * self.speed

    def monotonic(self) -> float:
        return time.monotonic()


class FrozenClock:
    """A clock that moves only when told: deterministic tests and snapshots."""

    def __init__(self, now: float, monotonic: float = 1000.0) -> None:
        self._now = now
        self._mono = monotonic

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float, wall: float | None = None) -> None:
        """Move console time by `seconds` and wall time by `wall` (default: the same)."""
        self._now += seconds
        self._mono += seconds if wall is None else wall
