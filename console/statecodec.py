"""A state dataclass (LaunchState) as (field, key) rows and back, generic over its fields.

A field that is a dict is one row per key (`ticks`/`pagerduty`, `owners`/`Bolt`), a list of
records with an `id` one row per record (`incidents`/`2`), anything else one row under the
empty key (`rollback_at`/``) — the same cut console/recording/changes.py makes, so a field the
state gains later (a frozen first-hour figure, a trigger's onset, the T-15 board's verdict)
is stored, shared, recorded and replayed without a line here. Which of the three a field is
follows from its default; a value is rebuilt from the field's type hint (a dataclass, a list
or dict of them, optional or not).

A scalar at its default has no row (absent and default are one thing), so "set if absent" is
"set if nobody set it yet".
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from console.sharedstate import ABSENT, Change, normal

Rows = dict[str, dict[str, Any]]  # field -> key -> plain (JSON) value
SCALAR = ""  # the key of a field stored whole


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None if f.default is dataclasses.MISSING else f.default


def kinds(cls: type) -> dict[str, str]:
    """field -> "map" | "records" | "scalar"."""
    out = {}
    for f in dataclasses.fields(cls):
        default = _default(f)
        if isinstance(default, dict):
            out[f.name] = "map"
        else:
            out[f.name] = "records" if isinstance(default, list) else "scalar"
    return out


def encode(state: Any) -> Rows:
    """The state's rows: plain values (dataclasses as dicts), keyed as the module says."""
    plain = dataclasses.asdict(state)
    defaults = {f.name: _default(f) for f in dataclasses.fields(state)}
    rows: Rows = {}
    for name, kind in kinds(type(state)).items():
        value = plain[name]
        if kind == "map":
            rows[name] = {str(k): v for k, v in value.items()}
        elif kind == "records":
            rows[name] = {str(r["id"]): r for r in value}
        else:
            rows[name] = {} if value == defaults[name] else {SCALAR: value}
    return rows


def plain_fields(cls: type, rows: Rows) -> dict[str, Any]:
    """Rows back to the state's plain shape (what a JSON state file or a recording holds)."""
    out: dict[str, Any] = {}
    for name, kind in kinds(cls).items():
        got = rows.get(name, {})
        if kind == "map":
            out[name] = dict(got)
        elif kind == "records":
            out[name] = [got[k] for k in sorted(got, key=_id_order)]
        elif SCALAR in got:
            out[name] = got[SCALAR]
    return out


def _id_order(key: str) -> tuple[int, int | str]:
    return (0, int(key)) if key.isdigit() else (1, key)


def build(cls: type, plain: dict[str, Any]) -> Any:
    """The dataclass from plain values (already checked), each rebuilt from its type hint;
    names the class does not know (a newer console's fields) are left out."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: rebuild(hints[k], v) for k, v in plain.items() if k in known})


def rebuild(hint: Any, value: Any) -> Any:
    """A plain value as the type hint says (dataclasses, lists, tuples, dicts, optionals)."""
    if value is None:
        return None
    if dataclasses.is_dataclass(hint) and isinstance(hint, type) and isinstance(value, dict):
        return build(hint, value)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        real = [a for a in args if a is not type(None)]
        return rebuild(real[0], value) if len(real) == 1 else value
    if origin is list and args and isinstance(value, list):
        return [rebuild(args[0], v) for v in value]
    if origin is tuple and isinstance(value, list | tuple):
        return tuple(value)
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {k: rebuild(args[1], v) for k, v in value.items()}
    return value


def diff(old: Rows, new: Rows) -> list[Change]:
    """What turns `old` into `new`, one change per (field, key), each expecting its old value."""
    out = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name, {}), new.get(name, {})
        for key in sorted(a.keys() | b.keys()):
            before, after = normal(a.get(key, ABSENT)), normal(b.get(key, ABSENT))
            if before != after:
                out.append(Change(name, key, before, after))
    return out
