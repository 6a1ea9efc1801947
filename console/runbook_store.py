"""The runbook state (LaunchState) as every console on the host shares it.

One SQLite file (console/sharedstate.py) holds it as (field, key) rows (console/statecodec.py);
this module is the console's view of it:

- `state` is the LaunchState as last read; `changed()` re-reads it only when someone else
  committed (cheap enough for every refresh);
- `save(new)` writes what differs from the state last read, each (field, key) as a
  compare-and-set: an operator's change that someone else made first comes back as a conflict
  (the console says so and shows theirs); a derived fact (a milestone's result, the error
  trigger's onset) is "set if absent", so the first console that judges it wins;
- `add_incident` takes the incident's number from the store (never one twice);
- a read-only console (`--read-only`, `--display`) opens the file read-only: it never writes,
  creates or moves anything.

Rows that do not have the shape the runbook state needs (statefile.py's checks) are left out
and said once, naming the field and key; a file that is not a runbook state at all is kept
aside by the first console that can write (sharedstate.py).

Migration of the JSON state file of earlier versions (launchday.json): the console that
creates the database imports it, in the same transaction, and renames it `*.json.migrated`
(kept, never deleted). `[launchday] state_path` names the database; a path ending in `.json`
(an older config) means the `.sqlite` file beside it, and the JSON file beside the database
(`launchday.json` beside `launchday.sqlite`) is the one migrated. Until a console that can
write has made the database, a read-only console shows the JSON file as it is.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import os
import typing
from collections.abc import Callable
from typing import Any

from console import statecodec
from console.launchday import Incident, LaunchState, load_state
from console.sharedstate import Conflict, Row, SharedState, StateUnusable
from console.statefile import check_state

SQLITE_MAGIC = b"SQLite format 3\x00"


def store_path(state_path: str) -> str:
    """The database `[launchday] state_path` names (a `.json` path: the `.sqlite` beside it)."""
    path = os.path.abspath(os.path.expanduser(state_path))
    root, ext = os.path.splitext(path)
    return root + ".sqlite" if ext == ".json" else path


def legacy_path(state_path: str) -> str:
    """The JSON state file of earlier versions that this database takes over."""
    path = os.path.abspath(os.path.expanduser(state_path))
    root, ext = os.path.splitext(path)
    return path if ext == ".json" else root + ".json"


def _is_json_file(path: str) -> bool:
    """A file at the database's path that is an old JSON state file, not a database."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError:
        return False
    return bool(head) and head != SQLITE_MAGIC and head.lstrip()[:1] == b"{"


class RunbookStore:
    def __init__(self, state_path: str, operator: str, *, writable: bool) -> None:
        self.path = store_path(state_path)
        self.legacy = legacy_path(state_path)
        self.writable = writable
        self.notes: list[str] = []  # to tell the operator once each
        if _is_json_file(self.path):
            # An older config named a path without `.json` and the old console wrote JSON
            # there: that file is the one to migrate, not a broken database.
            self.legacy = self.path + ".json"
            if writable:
                try:
                    os.rename(self.path, self.legacy)
                except OSError as exc:
                    self.notes.append(f"cannot move the old state file {self.path}: {exc}")
            else:
                self.legacy = self.path
        self._migrated: str | None = None
        self.shared = SharedState(self.path, operator, writable=writable, create=self._migrate)
        self._finish_migration()
        self._legacy_seen: tuple[float, int] | None = None
        self.rows: statecodec.Rows = {}
        self.who: dict[str, dict[str, Row]] = {}
        self.state = LaunchState()
        self._load()

    @property
    def problem(self) -> str:
        return self.shared.problem

    # --- migration ------------------------------------------------------------------------------

    def _migrate(self, add: Callable[[str, str, Any, float], None]) -> str:
        """Inside the transaction that creates the database: import the old JSON file."""
        if not os.path.exists(self.legacy):
            return ""
        try:
            old = load_state(self.legacy)
            at = os.stat(self.legacy).st_mtime
        except (ValueError, TypeError, OSError) as exc:
            aside = f"{self.legacy}.unreadable"
            with contextlib.suppress(OSError):
                os.replace(self.legacy, aside)
            return f"{self.legacy}: unreadable ({exc}); kept as {aside}, not migrated"
        count = 0
        for field, keys in statecodec.encode(old).items():
            for key, value in keys.items():
                add(field, key, value, at)
                count += 1
        self._migrated = self.legacy
        return f"runbook state migrated from {self.legacy} ({count} entries) into {self.path}"

    def _finish_migration(self) -> None:
        self.notes.extend(self.shared.notes)
        self.shared.notes.clear()
        if self._migrated is None:
            return
        done = self._migrated + ".migrated"
        try:
            os.replace(self._migrated, done)
            self.notes.append(f"the old file is kept as {done}")
        except OSError as exc:
            self.notes.append(f"could not rename {self._migrated} (migrated): {exc.strerror}")
        self._migrated = None

    # --- reading --------------------------------------------------------------------------------

    def _load(self) -> None:
        if not self.shared.exists and not self.writable:
            self._load_legacy()
            return
        got = self.shared.rows()
        self.notes.extend(self.shared.notes)
        self.shared.notes.clear()
        self.who = got
        values = {f: {k: r.value for k, r in keys.items()} for f, keys in got.items()}
        self.rows = self._checked(values)
        self.state = statecodec.build(LaunchState, statecodec.plain_fields(LaunchState, self.rows))

    def _load_legacy(self) -> None:
        """A read-only console before any database exists: the old JSON file, as it is."""
        self.who = {}
        try:
            st = os.stat(self.legacy)
        except OSError:
            self._legacy_seen = None
            self.rows, self.state = {}, LaunchState()
            return
        self._legacy_seen = (st.st_mtime, st.st_ino)
        try:
            self.state = load_state(self.legacy)
        except (ValueError, TypeError, OSError) as exc:
            self.notes.append(f"{self.legacy}: unreadable ({exc})")
            self.state = LaunchState()
        self.rows = statecodec.encode(self.state)

    def _checked(self, rows: statecodec.Rows) -> statecodec.Rows:
        """Only rows of the right shape (each checked alone when the whole does not pass)."""
        kinds = statecodec.kinds(LaunchState)
        rows = {f: keys for f, keys in rows.items() if f in kinds}  # a newer console's fields
        hints = _hints()
        try:
            check_state(statecodec.plain_fields(LaunchState, rows), hints)
            return rows
        except ValueError:
            pass
        good: statecodec.Rows = {}
        for field, keys in rows.items():
            for key, value in keys.items():
                one = {field: {key: value}}
                try:
                    check_state(statecodec.plain_fields(LaunchState, one), hints)
                except ValueError as exc:
                    self.notes.append(
                        f"runbook state {self.path}: field '{field}', key '{key}': {exc}; ignored"
                    )
                    continue
                good.setdefault(field, {})[key] = value
        return good

    def changed(self) -> bool:
        """Whether the state changed since it was last read (then it is read again)."""
        if self.shared.changed():
            self._finish_migration()
            self._load()
            return True
        if not self.shared.exists and not self.writable:
            try:
                st = os.stat(self.legacy)
                seen: tuple[float, int] | None = (st.st_mtime, st.st_ino)
            except OSError:
                seen = None
            if seen != self._legacy_seen:
                self._load_legacy()
                return True
        return False

    def reload(self) -> LaunchState:
        self._load()
        return self.state

    # --- writing --------------------------------------------------------------------------------

    def save(self, new: LaunchState) -> list[Conflict]:
        """Write what `new` changes against the state last read; read the state again. Raises
        StateUnusable (read-only console, unusable file) and sqlite3.Error (the disk)."""
        changes = statecodec.diff(self.rows, statecodec.encode(new))
        if not changes:
            return []
        try:
            return self.shared.write(changes)
        finally:
            self._load()

    def edit(self, change: Callable[[LaunchState], None]) -> list[Conflict]:
        """Apply `change` to a copy of the state last read, and save that."""
        new = copy.deepcopy(self.state)
        change(new)
        return self.save(new)

    def add_incident(self, make: Callable[[int], Incident]) -> Incident:
        try:
            number = self.shared.add("incidents", lambda n: dataclasses.asdict(make(n)))
        finally:
            self._load()
        return next(i for i in self.state.incidents if i.id == number)

    def close(self) -> None:
        self.shared.close()

    def row(self, field: str, key: str = statecodec.SCALAR) -> Row | None:
        """Who wrote a (field, key) and when, as last read."""
        return self.who.get(field, {}).get(key)


@functools.cache
def _hints() -> dict[str, Any]:
    return typing.get_type_hints(LaunchState)


__all__ = ["Conflict", "RunbookStore", "StateUnusable", "legacy_path", "store_path"]
