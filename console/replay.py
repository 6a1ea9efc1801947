"""Replay: the console's inputs at any instant of a recording, so the same judge and the same
panes re-derive the screen exactly as it was.

The replayer feeds the recorded readings into a store through a replay clock set to the
instant each one landed (console time for the rules, monotonic time for the ages), hands back
the runbook state the console had then, and the alert tracker's counts. Seeking forward feeds
what landed since; seeking back (or across a console restart) rebuilds the store from the
store's own history window, as the live console would have held it.
"""

from __future__ import annotations

import math
from typing import Any

from console import statecodec
from console.alerting import AlertTracker
from console.config import Config
from console.kinds import stale_after
from console.launchday import LaunchState
from console.recording.reader import Cursor, Recording, Session
from console.store import Store

MARGIN = 120.0  # seconds of readings fed before the history window, so it starts full


class ReplayClock:
    """The console's clock during replay: set, never running by itself."""

    def __init__(self, now: float, monotonic: float) -> None:
        self._now, self._mono = now, monotonic

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def set(self, now: float, monotonic: float) -> None:
        self._now, self._mono = now, monotonic


def launch_state(data: dict[str, Any] | None) -> LaunchState:
    """The runbook state from its recorded snapshot (the state file's own shape)."""
    if not data:
        return LaunchState()
    return statecodec.build(LaunchState, data)  # every field, as its type hint says


class Replayer:
    def __init__(self, recording: Recording, config: Config | None = None) -> None:
        self.recording = recording
        self.config = config or recording.config()
        first = recording.sessions[0]
        self.clock = ReplayClock(first.t0, first.m0)
        self.session: Session = first
        self.position: float = -math.inf
        self.store = self._new_store()
        self._cursor: Cursor | None = None
        self._landed: tuple[float, float] | None = None  # (t, m) of the last reading fed

    @property
    def start(self) -> float:
        return self.recording.start

    @property
    def end(self) -> float:
        return self.recording.end

    def _new_store(self) -> Store:
        return Store(self.clock, self.config.poll.history, stale_after(self.config))

    def seek(self, t: float) -> bool:
        """Put the store at console time `t`; True when it was rebuilt (a new store object)."""
        t = min(max(t, self.start), self.end)
        session = self.recording.session_at(t)
        window = self.config.poll.history + MARGIN
        rebuilt = (
            self._cursor is None
            or session.id != self.session.id
            or t < self.position
            or t - self.position > window
        )
        if rebuilt:
            self.session = session
            self.store = self._new_store()
            self._landed = None
            self._cursor = Cursor(self.recording, session, self.window_start(t))
        assert self._cursor is not None
        for landed in self._cursor.advance(t):
            self.clock.set(landed.t, landed.m)
            self.store.record(landed.reading)
            self._landed = (landed.t, landed.m)
        self.position = t
        self.clock.set(t, self._monotonic_at(t))
        return rebuilt

    def window_start(self, t: float) -> float:
        """Where the store's memory of the session reaches back to from `t`."""
        return max(self.recording.session_at(t).t0, t - self.config.poll.history - MARGIN)

    def _monotonic_at(self, t: float) -> float:
        s = self.session
        t0, m0 = self._landed or (s.t0, s.m0)
        return m0 + max(0.0, t - t0) / s.speed

    def state(self) -> LaunchState:
        return launch_state(self.recording.state_at(self.position))

    def tracker(self) -> AlertTracker:
        """The alert strip's memory at the position: how often each alert fired, since when."""
        counts: dict[str, int] = {}
        last: dict[str, Any] = {}
        for e in self.recording.events("alert", until=self.position, session=self.session.id):
            if e.data.get("on"):
                counts[e.key] = e.data["count"]
            last[e.key] = e.data
        since = {k: d["since"] for k, d in last.items() if d.get("on")}
        return AlertTracker(counts, since)
