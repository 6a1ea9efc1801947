"""What changed between two runbook state snapshots, one event per change.

Generic over the state's shape, so a field the runbook state gains later is recorded without a
change here: a dict field changes per key (`ticks:sentry.errors`, `owners:Bolt`), a list of
records with an `id` per record (`incidents:2`), anything else as a whole (`rollback_at`).
Each change is `(key, {"field", "key", "old", "new"})`.
"""

from __future__ import annotations

from typing import Any

Change = tuple[str, dict[str, Any]]


def state_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    if old is None:
        return []  # the state the recording starts from is a snapshot, not a change
    out: list[Change] = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if isinstance(a, dict | None) and isinstance(b, dict | None) and (a or b):
            a, b = a or {}, b or {}
            for key in sorted(a.keys() | b.keys(), key=str):
                if a.get(key) != b.get(key):
                    out.append(_change(name, key, a.get(key), b.get(key)))
        elif _records(a) and _records(b):
            before = {r["id"]: r for r in a or []}
            after = {r["id"]: r for r in b or []}
            for key in sorted(before.keys() | after.keys(), key=str):
                if before.get(key) != after.get(key):
                    out.append(_change(name, key, before.get(key), after.get(key)))
        else:
            out.append((name, {"field": name, "key": None, "old": a, "new": b}))
    return out


def _records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(r, dict) and "id" in r for r in value)


def _change(name: str, key: Any, old: Any, new: Any) -> Change:
    return f"{name}:{key}", {"field": name, "key": key, "old": old, "new": new}
