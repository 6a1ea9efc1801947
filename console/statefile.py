"""The shape a saved runbook state (launchday.json) must have before anything uses it.

The state file is outside text: another console wrote it, or a person edited it by hand. A
value of the wrong type (an owner's call that is not go/hold, a number that is not a number)
would otherwise crash whatever reads it later, on every console, until someone fixed the file.
`check_state` turns such a file into one clear error that names the key.

The same checks apply to each row of the shared state (console/runbook_store.py): another
console, or a person with the sqlite3 shell, wrote those too. A field the state gains later
and this module does not describe is checked against its own type hint (`hints`), so a new
field is never an "unknown key".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    FiniteFloat,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Tick(_Shape):
    by: str
    at: FiniteFloat


class _Incident(_Shape):
    id: int
    severity: Literal["P1", "P2"]
    summary: str
    opened_at: FiniteFloat
    opened_by: str
    resolved_at: FiniteFloat | None = None
    root_cause: str = ""


class _Milestone(_Shape):
    passed: bool | None
    at: FiniteFloat
    values: list[tuple[str, bool | None, str]]
    note: str = ""

    model_config = ConfigDict(extra="forbid", strict=False)  # JSON has lists, not tuples


class _Onset(_Shape):
    since: FiniteFloat
    seen: FiniteFloat

    model_config = ConfigDict(extra="forbid", strict=False)  # an int is a fine time too


class _Frozen(_Shape):
    """The first hour's figures or the T-15 board: written by the judge, read as plain data."""

    at: FiniteFloat

    model_config = ConfigDict(extra="allow", strict=False)


class _State(_Shape):
    ticks: dict[str, _Tick] = {}
    owners: dict[str, Literal["go", "hold"]] = {}
    incidents: list[_Incident] = []
    milestones: dict[str, _Milestone] = {}
    # GA4 users, Product Hunt votes: whole numbers, entered by hand.
    manual: dict[str, Annotated[str, StringConstraints(pattern=r"^\d{1,12}$")]] = {}
    last_status_post: FiniteFloat | None = None
    rollback_at: FiniteFloat | None = None
    error_trigger_at: FiniteFloat | None = None
    first_hour: _Frozen | None = None
    trigger_onsets: dict[str, _Onset] = {}
    board_t15: _Frozen | None = None


def check_state(raw: Any, hints: dict[str, Any] | None = None) -> None:
    """Raise ValueError naming the first key whose value has the wrong shape. `hints`: the
    state's fields' type hints, for the fields this module does not describe."""
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    described = {k: v for k, v in raw.items() if k in _State.model_fields}
    _validate(_State.model_validate, described, [])
    for name in sorted(raw.keys() - described.keys()):
        if hints is None or name not in hints:
            raise ValueError(f"key '{name}': not a runbook state field")
        _validate(_adapter(hints[name]).validate_python, raw[name], [name])


def _validate(validate: Any, value: Any, where: list[str]) -> None:
    try:
        validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join([*where, *(str(p) for p in first["loc"])]) or "(top level)"
        raise ValueError(f"key '{key}': {first['msg']}") from None


_adapters: dict[Any, TypeAdapter] = {}


def _adapter(hint: Any) -> TypeAdapter:
    """One adapter per type (building one costs milliseconds, checking microseconds)."""
    key = repr(hint)
    if key not in _adapters:
        _adapters[key] = TypeAdapter(hint)
    return _adapters[key]
