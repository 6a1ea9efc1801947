"""The judge's conclusions worth querying later, recorded only when they change.

Each refresh the console hands over what it concluded (findings, alerts as tracked, P0 gates,
the go/no-go call); the observer compares them with the previous refresh and records the
changes: an alert's onset, a change of its level, its end; a finding's level change; a gate
turning green or red; the go/no-go call changing. Repeats cost nothing but the comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class Sink(Protocol):
    def event(self, kind: str, key: str, data: Any) -> None: ...


class Observer:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._alerts: dict[str, str] = {}  # id -> level word
        self._findings: dict[str, str] = {}
        self._gates: dict[str, bool | None] = {}
        self._board: tuple[str, str] | None = None

    def alerts(self, tracked: Iterable[Any]) -> None:
        """`tracked`: console.alerting.Tracked (alert, count, since)."""
        now = {}
        for t in tracked:
            a = t.alert
            now[a.id] = a.level.word
            if self._alerts.get(a.id) != a.level.word:
                self.sink.event(
                    "alert",
                    a.id,
                    {
                        "on": True,
                        "level": a.level.word,
                        "text": a.text,
                        "rollback": a.rollback,
                        "count": t.count,
                        "since": t.since,
                    },
                )
        for gone in self._alerts.keys() - now.keys():
            self.sink.event("alert", gone, {"on": False})
        self._alerts = now

    def findings(self, panes: dict[str, list[Any]]) -> None:
        """`panes`: pane -> [console.rules.Finding]; a finding that disappears is recorded too."""
        now = {}
        for pane, found in panes.items():
            for f in found:
                key = f"{pane}:{f.id}"
                now[key] = f.level.word
                if self._findings.get(key) != f.level.word:
                    self.sink.event(
                        "finding", key, {"level": f.level.word, "value": f.value, "title": f.title}
                    )
        for gone in self._findings.keys() - now.keys():
            self.sink.event("finding", gone, {"level": None, "value": "", "title": ""})
        self._findings = now

    def gates(self, gates: Iterable[Any]) -> None:
        """`gates`: console.launchday.Gate (id, title, ok, value)."""
        for g in gates:
            if g.id not in self._gates or self._gates[g.id] != g.ok:
                self.sink.event("gate", g.id, {"ok": g.ok, "title": g.title, "value": g.value})
            self._gates[g.id] = g.ok

    def board(self, call: str, reason: str) -> None:
        """Rex's GO / HOLD on the go/no-go board, with its reason."""
        if self._board != (call, reason):
            self.sink.event("go_no_go", "board", {"call": call, "reason": reason})
            self._board = (call, reason)
