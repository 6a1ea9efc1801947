"""Readings to JSON and back, generically from their dataclasses, and deltas between them.

A reading is stored as its type tag (`module:QualName`, a `Reading` subclass under `console.`)
and the dict of its fields but `source` and `at` (those are columns). Nested dataclasses,
tuples and dicts are rebuilt from the dataclass field types, so a new kind of reading needs no
change here. A field the recording lacks takes its default; a field the code no longer has is
dropped: old recordings stay readable.

Consecutive readings of one source mostly repeat themselves (container names, limits, states),
so after a full row the recorder stores only the leaves that changed (`diff` / `patch`).
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import types
import typing
from functools import cache
from typing import Any

from console.readings import Reading

# --- dataclass <-> plain data -------------------------------------------------------------------


def to_data(value: Any) -> Any:
    """Plain JSON-able data for a reading's field value (dataclasses by field, tuples as lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


def tag(reading: Reading) -> str:
    cls = type(reading)
    return f"{cls.__module__}:{cls.__qualname__}"


def encode(reading: Reading) -> dict[str, Any]:
    """The reading's fields but `source` and `at`, as plain data."""
    data = to_data(reading)
    del data["source"], data["at"]
    return data


class UnknownKind(ValueError):
    """A recording names a reading type this version of the console does not have."""


@cache
def reading_type(kind: str) -> type[Reading]:
    """The class a type tag names: only `Reading` subclasses in the console's own modules (the
    tag comes from a file, so it never chooses what gets imported outside them)."""
    module_name, _, qualname = kind.partition(":")
    if not (module_name == "console" or module_name.startswith("console.")) or not qualname:
        raise UnknownKind(f"unknown reading type {kind!r}")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise UnknownKind(f"unknown reading type {kind!r}") from None
    if not (isinstance(obj, type) and issubclass(obj, Reading)):
        raise UnknownKind(f"unknown reading type {kind!r}")
    return obj


def decode(kind: str, source: str, at: float, data: dict[str, Any]) -> Reading:
    cls = reading_type(kind)
    return _build(cls, {**data, "source": source, "at": at})


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(options[0], value) if len(options) == 1 else value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        return tp(**{k: _build(hints[k], v) for k, v in value.items() if k in known})
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=False))
    if origin is dict:
        _, value_type = typing.get_args(tp)
        return {k: _build(value_type, v) for k, v in value.items()}
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value]
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict | list):
        return copy.deepcopy(value)  # never share the reader's working copy with a reading
    return value


# --- deltas -------------------------------------------------------------------------------------

Path = list[str | int]
# An op is [path, value] (set the leaf at path) or [path] (delete the key at path).
Op = list[Any]


def diff(old: Any, new: Any, path: Path | None = None) -> list[Op]:
    """The ops that turn `old` into `new`: changed leaves only; lists of one length by index."""
    path = path or []
    if isinstance(old, dict) and isinstance(new, dict):
        ops: list[Op] = []
        for key in old.keys() - new.keys():
            ops.append([[*path, key]])
        for key, value in new.items():
            if key not in old:
                ops.append([[*path, key], value])
            else:
                ops.extend(diff(old[key], value, [*path, key]))
        return ops
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        ops = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            ops.extend(diff(a, b, [*path, i]))
        return ops
    if type(old) is type(new) and old == new:
        return []
    return [[path, new]]


def patch(data: Any, ops: list[Op]) -> Any:
    """`data` with `ops` applied, in place (returns it: an op on the root replaces it)."""
    for op in ops:
        path = op[0]
        if not path:
            data = op[1]
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if len(op) == 1:
            del parent[path[-1]]
        else:
            parent[path[-1]] = op[1]
    return data
