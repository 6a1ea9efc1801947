"""The runbook state every console on the host shares: one SQLite file of (field, key) rows.

Why SQLite (the standard library's): several consoles — the on-call engineer over SSH, Rex at
the go/no-go board, the war-room wall — change and watch one state at once. A JSON file
rewritten whole loses whichever of two changes lands first (last writer wins); here each change
is one row, written in its own `BEGIN IMMEDIATE` transaction (writers queue, none is lost), as a
compare-and-set against the value the console last showed: a change someone else made meanwhile
is a conflict the console reports, never silently overwritten. WAL mode: readers never block
the writer, and `PRAGMA data_version` tells a connection, for the price of one read of the
shared-memory header, whether anyone else committed since it last looked — so an idle console
re-reads nothing.

Tables:
- `fact(field, key, value, by, at, console)`: the state now, one row per (field, key); value is
  JSON; who wrote it (the operator), when (wall time) and from which console (host, pid).
- `change(seq, field, key, old, new, by, at, console)`: every change ever made, in order.
- `counter(name, value)`: ids handed out by the store (incident numbers: never one twice).
The file is ours when `PRAGMA application_id` says so; `user_version` is the schema.

What the rows mean is the caller's business (console/runbook_store.py maps LaunchState's
fields onto them); nothing here knows a tick from an incident.

The file is shared between the operators' group and is a target for local users, as the action
lock is (console/lock.py): its directory must not be a symlink nor world-writable (unless
sticky, and then the file must be ours or root's); the file itself must be a regular file with
one link, never a symlink; it is created 0660 (SQLite gives its -wal and -shm files the same
mode). A read-only console opens the file read-only (`mode=ro`): SQLite itself then refuses any
write from it, and it creates nothing when the file is not there yet.

Only the standard library: a second user's test runs this module with the system Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

APPLICATION_ID = 0x4C43_5253  # "LCRS": launch-console runbook state
SCHEMA = 1
MODE = 0o660
BUSY_TIMEOUT = 3.0  # seconds a writer waits for another's transaction (they take milliseconds)

_TABLES = """
CREATE TABLE fact (
    field TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    by TEXT NOT NULL, at REAL NOT NULL, console TEXT NOT NULL,
    PRIMARY KEY (field, key)
) WITHOUT ROWID;
CREATE TABLE change (
    seq INTEGER PRIMARY KEY, field TEXT NOT NULL, key TEXT NOT NULL, old TEXT, new TEXT,
    by TEXT NOT NULL, at REAL NOT NULL, console TEXT NOT NULL
);
CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Absent:
    """No row: the value a key has before anyone sets it, and after it is removed."""

    _it: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._it is None:
            cls._it = super().__new__(cls)
        return cls._it

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


class StateUnusable(Exception):
    """The state file cannot be used as it is; the message names the path and why."""


@dataclass(frozen=True, slots=True)
class Row:
    value: Any
    by: str
    at: float
    console: str


@dataclass(frozen=True, slots=True)
class Change:
    """Set (field, key) to `new` (ABSENT: remove it), if it still holds `expect`."""

    field: str
    key: str
    expect: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Conflict:
    """A change not made: someone else changed the row first (`now`: what it holds now)."""

    change: Change
    now: Row | None


def console_id() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def normal(value: Any) -> Any:
    """The value as JSON gives it back (tuples become lists), so comparisons are fair."""
    return value if value is ABSENT else json.loads(json.dumps(value))


def _user(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def check_directory(directory: str) -> None:
    """The state's directory must be a real directory strangers cannot write to (or a sticky
    one owned by root or us). Raises StateUnusable naming it."""
    try:
        st = os.lstat(directory)
    except OSError as exc:
        raise StateUnusable(f"cannot use the state directory {directory}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise StateUnusable(f"the state directory {directory} is a symlink; refusing")
    if not stat.S_ISDIR(st.st_mode):
        raise StateUnusable(f"the state directory {directory} is not a directory")
    if st.st_mode & stat.S_IWOTH and not (st.st_mode & stat.S_ISVTX):
        raise StateUnusable(
            f"the state directory {directory} is world-writable without the sticky bit: "
            "anyone could replace the runbook state; refusing"
        )
    if st.st_mode & stat.S_IWOTH and st.st_uid not in (0, os.geteuid()):
        raise StateUnusable(
            f"the state directory {directory} is world-writable and owned by "
            f"{_user(st.st_uid)}; refusing"
        )


class SharedState:
    """One console's connection to the shared state file.

    Never raises past its constructor's callers for what the file holds: `problem` says what
    is wrong (naming the path) and the state reads as empty. `writable=False` (a read-only or
    display console) opens the file read-only and never creates, migrates or moves anything.
    `create` is called, inside the transaction that makes a new file, with a function that adds
    rows: the caller's migration of an older state file.
    """

    def __init__(
        self,
        path: str,
        operator: str,
        *,
        writable: bool,
        create: Callable[[Callable[[str, str, Any, float], None]], str] | None = None,
    ) -> None:
        self.path = os.path.abspath(path)
        self.operator = operator
        self.writable = writable
        self.console = console_id()
        self._create = create
        self._db: sqlite3.Connection | None = None
        self._ident: tuple[int, int] | None = None  # (dev, inode) of the file we have open
        self._version: int | None = None
        self.problem = ""  # what is wrong with the file now, naming it ("" when all is well)
        self.notes: list[str] = []  # things to tell once (a migration, a file moved aside)
        self._open()

    # --- opening ------------------------------------------------------------------------------

    def _open(self) -> None:
        self.close()
        self.problem = ""
        try:
            self._connect()
        except StateUnusable as exc:
            self.close()
            self.problem = str(exc)
        except sqlite3.Error as exc:
            self.close()
            self.problem = f"runbook state {self.path}: {exc}"

    def _connect(self) -> None:
        directory = os.path.dirname(self.path)
        try:
            st = os.lstat(self.path)
            self._ident = (st.st_dev, st.st_ino)
        except OSError:
            self._ident = None
        if not os.path.lexists(self.path) and not self.writable:
            if os.path.lexists(directory):
                check_directory(directory)
            return  # nothing yet: a read-only console waits for one to appear
        if not os.path.lexists(directory):
            try:
                os.makedirs(directory, mode=0o700, exist_ok=True)
            except OSError as exc:
                raise StateUnusable(
                    f"cannot make the state directory {directory}: {exc.strerror}"
                ) from None
        check_directory(directory)
        self._check_file(create=self.writable)
        try:
            self._attach()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) or not self._corrupt(exc):
                raise
            self._unreadable(f"not a runbook state database ({exc})")

    def _check_file(self, create: bool) -> None:
        if create:
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                fd = os.open(self.path, flags, MODE)
            except FileExistsError:
                pass  # there already, or another console made it just now
            except OSError as exc:
                raise StateUnusable(f"cannot create {self.path}: {exc.strerror}") from None
            else:
                try:
                    os.fchmod(fd, MODE)  # the umask would have taken the group's write bit
                finally:
                    os.close(fd)
        try:
            st = os.lstat(self.path)
        except OSError as exc:
            raise StateUnusable(f"cannot use {self.path}: {exc.strerror}") from None
        # What `changed()` compares with: a file we refused is not looked at again until it is
        # replaced (no re-open, no new message, every second).
        self._ident = (st.st_dev, st.st_ino)
        if stat.S_ISLNK(st.st_mode):
            raise StateUnusable(
                f"the runbook state {self.path} is a symlink (someone planted it?); refusing, "
                "its target untouched"
            )
        if not stat.S_ISREG(st.st_mode):
            raise StateUnusable(f"the runbook state {self.path} is not a regular file; refusing")
        if st.st_nlink != 1:
            raise StateUnusable(
                f"the runbook state {self.path} has {st.st_nlink} links (a hard link to another "
                "file?); refusing, the file untouched"
            )
        dir_st = os.lstat(os.path.dirname(self.path))
        if dir_st.st_mode & stat.S_IWOTH and st.st_uid not in (0, os.geteuid()):
            raise StateUnusable(
                f"the runbook state {self.path} belongs to {_user(st.st_uid)} in a "
                "world-writable directory: anyone could have written it; refusing"
            )

    def _attach(self) -> None:
        mode = "rw" if self.writable else "ro"
        uri = f"file:{urllib.parse.quote(self.path)}?mode={mode}"
        try:
            db = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT, check_same_thread=False
            )
        except sqlite3.OperationalError as exc:
            reason = "permission denied" if os.path.exists(self.path) else str(exc)
            raise StateUnusable(
                f"cannot open the runbook state {self.path}: {reason} — to share it, give its "
                "directory to the operators' group (README: shared runbook state)"
            ) from None
        self._db = db
        if self.writable:
            self._initialise(db)
        self._check_ours(db)
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({verdict})")
        if self.writable:
            db.execute("PRAGMA journal_mode = WAL")  # only on a file known to be ours
            # Every change on disk before the console says it is done: changes are keystrokes,
            # a few a minute; an fsync each costs nothing that matters.
            db.execute("PRAGMA synchronous = FULL")
        self._version = db.execute("PRAGMA data_version").fetchone()[0]

    def _initialise(self, db: sqlite3.Connection) -> None:
        """Make the tables in a new (empty) file, once, whoever gets there first."""
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            if tables == 0 and app_id == 0:
                for statement in _TABLES.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA}")
                if self._create is not None:
                    note = self._create(self._importer(db))
                    if note:
                        self.notes.append(note)
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def _importer(self, db: sqlite3.Connection) -> Callable[[str, str, Any, float], None]:
        def add(field: str, key: str, value: Any, at: float) -> None:
            text = json.dumps(value)
            console = f"migrated by {self.console}"
            db.execute(
                "INSERT OR REPLACE INTO fact VALUES (?, ?, ?, ?, ?, ?)",
                (field, key, text, self.operator, at, console),
            )
            db.execute(
                "INSERT INTO change (field, key, old, new, by, at, console) "
                "VALUES (?, ?, NULL, ?, ?, ?, ?)",
                (field, key, text, self.operator, at, console),
            )

        return add

    def _check_ours(self, db: sqlite3.Connection) -> None:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if app_id == 0 and not self.writable:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables == 0:
                return  # just created by a writer that has not made its tables yet
        if app_id != APPLICATION_ID:
            raise sqlite3.DatabaseError(
                f"a SQLite file of something else (application_id {app_id})"
            )
        if version > SCHEMA:
            raise StateUnusable(
                f"the runbook state {self.path} was written by a newer launch-console "
                f"(schema {version}, this one knows {SCHEMA}); not touched — upgrade this console"
            )

    @staticmethod
    def _corrupt(exc: sqlite3.DatabaseError) -> bool:
        name = getattr(exc, "sqlite_errorname", "")
        return (
            name in ("SQLITE_NOTADB", "SQLITE_CORRUPT")
            or "something else" in str(exc)
            or ("malformed" in str(exc))
        )

    def _unreadable(self, why: str) -> None:
        """A file that is not ours or is corrupt: a writer keeps it aside (never deletes it) and
        starts a new one; a read-only console only says so."""
        self.close()
        if not self.writable:
            raise StateUnusable(f"runbook state {self.path}: {why}; not used")
        aside = f"{self.path}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}"
        try:
            os.rename(self.path, aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.rename(self.path + suffix, aside + suffix)
        except OSError as exc:
            raise StateUnusable(
                f"runbook state {self.path}: {why}; could not move it aside: {exc.strerror}"
            ) from None
        self.notes.append(f"{self.path}: {why}; kept as {aside}, a new one started")
        self._create = None  # the older file was read (or not) when this one was first made
        self._check_file(create=True)
        self._attach()

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        self._version = None

    # --- reading ------------------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self._db is not None

    def changed(self) -> bool:
        """Whether anyone else changed the state since we last looked — cheap enough for every
        refresh: one stat (was the file replaced, moved aside, created?) and one
        `PRAGMA data_version` (a read of the WAL index header; no table is read)."""
        try:
            st = os.lstat(self.path)
            ident: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            ident = None
        if ident != self._ident:  # created, replaced, moved aside, removed
            self._ident = None
            self._open()
            return True
        if self._db is None:
            return False  # nothing there yet, or a file we cannot use: until it is replaced
        try:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:
            self.problem = f"runbook state {self.path}: {exc}"
            return True
        if version != self._version:
            self._version = version
            return True
        return False

    def rows(self) -> dict[str, dict[str, Row]]:
        """Every row, by field and key (empty when there is no usable file)."""
        if self._db is None:
            return {}
        out: dict[str, dict[str, Row]] = {}
        try:
            cursor = self._db.execute("SELECT field, key, value, by, at, console FROM fact")
            for field, key, value, by, at, console in cursor:
                try:
                    decoded = json.loads(value)
                except (TypeError, ValueError):
                    self.notes.append(
                        f"runbook state {self.path}: field '{field}', key '{key}' is not JSON; "
                        "ignored"
                    )
                    continue
                out.setdefault(field, {})[key] = Row(decoded, by, at, console)
        except sqlite3.Error as exc:
            self.problem = f"runbook state {self.path}: cannot read it: {exc}"
            return {}
        self.problem = ""
        return out

    def history(self, limit: int = 100) -> list[tuple[Any, ...]]:
        """The last changes, newest last: (seq, field, key, old, new, by, at, console)."""
        if self._db is None:
            return []
        rows = self._db.execute(
            "SELECT seq, field, key, old, new, by, at, console FROM change "
            "ORDER BY seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return rows[::-1]

    # --- writing ------------------------------------------------------------------------------

    def _writer(self) -> sqlite3.Connection:
        if not self.writable:
            raise StateUnusable("a read-only console never writes the runbook state")
        if self._db is None or self.problem:
            raise StateUnusable(self.problem or f"runbook state {self.path}: not open")
        return self._db

    def write(self, changes: Iterable[Change]) -> list[Conflict]:
        """Make each change whose row still holds what it expects, all in one transaction;
        the others come back as conflicts (with what the row holds now)."""
        db = self._writer()
        conflicts: list[Conflict] = []
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            for change in changes:
                current = self._row(db, change.field, change.key)
                held = ABSENT if current is None else current.value
                if normal(held) != normal(change.expect):
                    conflicts.append(Conflict(change, current))
                    continue
                if normal(held) == normal(change.new):
                    continue
                self._put(db, change.field, change.key, current, change.new, now)
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        return conflicts

    def add(self, field: str, make: Callable[[int], Any]) -> int:
        """A new row under the next id of `field` (one past any ever handed out or present),
        in one transaction: two consoles never hand out the same id."""
        db = self._writer()
        db.execute("BEGIN IMMEDIATE")
        try:
            got = db.execute("SELECT value FROM counter WHERE name = ?", (field,)).fetchone()
            highest = got[0] if got else 0
            for (key,) in db.execute("SELECT key FROM fact WHERE field = ?", (field,)):
                if key.isdigit():
                    highest = max(highest, int(key))
            new_id = highest + 1
            db.execute("INSERT OR REPLACE INTO counter VALUES (?, ?)", (field, new_id))
            self._put(db, field, str(new_id), None, make(new_id), time.time())
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        return new_id

    @staticmethod
    def _row(db: sqlite3.Connection, field: str, key: str) -> Row | None:
        got = db.execute(
            "SELECT value, by, at, console FROM fact WHERE field = ? AND key = ?", (field, key)
        ).fetchone()
        if got is None:
            return None
        try:
            value = json.loads(got[0])
        except (TypeError, ValueError):
            value = got[0]
        return Row(value, got[1], got[2], got[3])

    def _put(
        self, db: sqlite3.Connection, field: str, key: str, old: Row | None, new: Any, now: float
    ) -> None:
        old_text = None if old is None else json.dumps(old.value)
        if new is ABSENT:
            db.execute("DELETE FROM fact WHERE field = ? AND key = ?", (field, key))
            new_text = None
        else:
            new_text = json.dumps(new)
            db.execute(
                "INSERT OR REPLACE INTO fact VALUES (?, ?, ?, ?, ?, ?)",
                (field, key, new_text, self.operator, now, self.console),
            )
        db.execute(
            "INSERT INTO change (field, key, old, new, by, at, console) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (field, key, old_text, new_text, self.operator, now, self.console),
        )
