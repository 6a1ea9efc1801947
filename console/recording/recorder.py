"""The recorder: everything the console saw and did, written to SQLite off the UI loop.

The console thread only stamps an item with the clock and puts it on a queue (a few
microseconds); a writer thread encodes it, diffs it against the previous reading of its source
and writes a batch per `batch_s` in one transaction. WAL with synchronous=NORMAL: a commit is
in the file before the next batch starts, so a `kill -9` loses at most the batch in flight and
never corrupts the file (SQLite's journal). One console records a file at a time (an exclusive
lock on it); a second one is told who has it.

A recorder that cannot write (disk full, file removed) stops recording and says why in
`error`: the console goes on without it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from console import __version__
from console.clock import Clock
from console.readings import Reading
from console.recording import schema
from console.recording.changes import state_changes
from console.recording.codec import diff, encode, tag
from console.recording.schema import RecordingError

KEYFRAME = 64  # a full row at least every this many rows of a source: replay seeks to it
MAX_BEATS = 240  # heartbeats kept in one row before the next repeat opens a new (empty) one


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(slots=True)
class _Last:
    """The newest row of one source: what the next reading is compared and diffed with."""

    row: int
    kind: str
    data: dict[str, Any]
    at: float
    t: float
    m: float
    since_full: int
    beats: list[list[float]] = field(default_factory=list)


@dataclass(slots=True)
class Stats:
    rows: int = 0  # reading rows (full or delta)
    full_rows: int = 0
    heartbeats: int = 0  # readings stored as a beat of an earlier row
    events: int = 0
    batches: int = 0
    cpu_s: float = 0.0  # CPU time of the writer thread (the recorder's cost)


_STOP = object()


class Recorder:
    def __init__(
        self,
        path: str,
        clock: Clock,
        *,
        config: Any,
        mode: str,
        detail: str = "",
        operator: str = "",
        batch_s: float = 1.0,
    ) -> None:
        self.path = path
        self.clock = clock
        self.batch_s = batch_s
        self.error: str | None = None
        self.stats = Stats()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._last: dict[str, _Last] = {}
        self._dirty: set[str] = set()
        self._shown: dict[str, tuple[int, float | None, int]] = {}  # pane -> (row, at, count)
        self._shown_dirty: set[str] = set()
        self._closed = False
        self._conn, self._lock_fd, self.session = self._open(config, mode, detail, operator)
        self._mono0 = clock.monotonic()
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    # --- opening --------------------------------------------------------------------------------

    def _open(self, config: Any, mode: str, detail: str, operator: str):
        path = self.path
        if os.path.islink(path):
            raise RecordingError(f"{path}: is a symbolic link; give the recording's real path")
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise RecordingError(f"{path}: cannot record there ({_why(exc)})") from None
        fd = None
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RecordingError(f"{path}: another console is recording to this file") from None
            fresh = (
                conn.execute("PRAGMA application_id").fetchone()[0] == 0
                and not (conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
            )
            if fresh:
                schema.create(conn)
            schema.check(conn, path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            session = self._start_session(conn, config, mode, detail, operator, fresh)
        except RecordingError:
            conn.close()
            if fd is not None:
                os.close(fd)
            raise
        except (OSError, sqlite3.Error) as exc:
            conn.close()
            if fd is not None:
                os.close(fd)
            raise RecordingError(f"{path}: cannot record there ({_why(exc)})") from None
        return conn, fd, session

    def _start_session(self, conn, config, mode, detail, operator, fresh) -> int:
        now = self.clock.now()
        speed = float(getattr(self.clock, "speed", 1.0))
        launch = config.launch
        meta = {
            "launch_name": launch.name,
            "launch_at": launch.at.isoformat(),
            "launch_zone": launch.zone,
            "created_t": repr(now),
        }
        # A session continues the file's monotonic time: ages across a restart stay honest.
        last = conn.execute(
            "SELECT max(t), max(m) FROM (SELECT t, m FROM readings UNION ALL "
            "SELECT t, m FROM events UNION ALL SELECT t0, m0 FROM sessions)"
        ).fetchone()
        m0 = 0.0 if last[1] is None else last[1] + max(0.0, now - last[0]) / speed + 1.0
        self._m0 = m0
        with conn:
            conn.execute("BEGIN")
            if fresh:
                conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            cur = conn.execute(
                "INSERT INTO sessions (t0, m0, speed, mode, detail, operator, version, pid, "
                "config) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    m0,
                    speed,
                    mode,
                    detail,
                    operator,
                    __version__,
                    os.getpid(),
                    # Secrets are masked by the config's own serialisation (SecretStr).
                    dumps(config.model_dump(mode="json")),
                ),
            )
        # Changes made while no console recorded show up at this session's start.
        row = conn.execute(
            "SELECT data FROM events WHERE kind = 'state' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        self._state = None if row is None else json.loads(row[0])
        return int(cur.lastrowid or 0)

    # --- what the console thread calls (cheap: stamp and queue) -------------------------------

    def _stamp(self) -> tuple[float, float]:
        return self.clock.now(), self._m0 + self.clock.monotonic() - self._mono0

    def reading(self, reading: Reading) -> None:
        if not self._closed:
            self._queue.put(("r", reading, *self._stamp()))

    def event(self, kind: str, key: str, data: Any) -> None:
        if not self._closed:
            self._queue.put(("e", (kind, key, data), *self._stamp()))

    def shown(self, pane: str, at: float | None) -> None:
        """A redraw of a pane whose figures depend on its past redraws (the containers pane's
        hysteresis) showed the reading of time `at`: replay redraws it the same way."""
        if not self._closed:
            self._queue.put(("v", (pane, at), *self._stamp()))

    def state(self, state: dict[str, Any]) -> None:
        """The runbook state as it is now; recorded (with its changes) only when it changed."""
        if not self._closed:
            self._queue.put(("s", state, *self._stamp()))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is committed (tests, and before a report)."""
        done = threading.Event()
        self._queue.put(("f", done, 0.0, 0.0))
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # --- the writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        cpu0 = time.thread_time()
        stop = False
        while not stop:
            batch = [self._queue.get()]
            deadline = time.monotonic() + self.batch_s
            while batch[-1] is not _STOP and batch[-1][0] != "f":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=remaining))
                except queue.Empty:
                    break
            stop = batch[-1] is _STOP
            items = [i for i in batch if i is not _STOP]
            if self.error is None:
                try:
                    self._write(items)
                except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
                    self.error = f"{self.path}: recording stopped ({_why(exc)})"
            for item in items:
                if item[0] == "f":
                    item[1].set()
            self.stats.cpu_s = time.thread_time() - cpu0
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
        os.close(self._lock_fd)
        self.stats.cpu_s = time.thread_time() - cpu0

    def _write(self, items: list[Any]) -> None:
        conn = self._conn
        conn.execute("BEGIN")
        try:
            for kind, payload, t, m in items:
                if kind == "r":
                    self._write_reading(payload, t, m)
                elif kind == "e":
                    self._insert_event(t, m, *payload)
                elif kind == "s":
                    self._write_state(payload, t, m)
                elif kind == "v":
                    self._write_shown(*payload, t, m)
            for source in self._dirty:
                self._write_beats(self._last[source])
            self._dirty.clear()
            for pane in self._shown_dirty:
                row, at, count = self._shown[pane]
                conn.execute("UPDATE events SET data = ? WHERE id = ?", (dumps([at, count]), row))
            self._shown_dirty.clear()
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self.stats.batches += 1

    def _write_reading(self, reading: Reading, t: float, m: float) -> None:
        source = reading.source
        kind, data = tag(reading), encode(reading)
        last = self._last.get(source)
        repeat = last is not None and last.kind == kind and last.data == data
        if repeat and len(last.beats) < MAX_BEATS:  # type: ignore[union-attr]
            last.beats.append([_r(reading.at - last.at), _r(t - last.t), _r(m - last.m)])  # type: ignore[union-attr]
            self._dirty.add(source)
            self.stats.heartbeats += 1
            return
        if source in self._dirty:  # the row this one follows keeps its heartbeats
            self._dirty.discard(source)
            self._write_beats(last)  # type: ignore[arg-type]
        full = last is None or last.kind != kind or last.since_full + 1 >= KEYFRAME
        stored = data if full else diff(last.data, data)
        cur = self._conn.execute(
            "INSERT INTO readings (session, source, at, t, m, kind, full, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.session, source, reading.at, t, m, kind, int(full), dumps(stored)),
        )
        self._last[source] = _Last(
            int(cur.lastrowid or 0),
            kind,
            data,
            reading.at,
            t,
            m,
            0 if full else last.since_full + 1,  # type: ignore[union-attr]
        )
        self.stats.rows += 1
        self.stats.full_rows += full

    def _write_beats(self, last: _Last) -> None:
        self._conn.execute(
            "UPDATE readings SET beats = ? WHERE id = ?", (dumps(last.beats), last.row)
        )

    def _insert_event(self, t: float, m: float, kind: str, key: str, data: Any) -> None:
        self._conn.execute(
            "INSERT INTO events (session, t, m, kind, key, data) VALUES (?, ?, ?, ?, ?, ?)",
            (self.session, t, m, kind, key, dumps(data)),
        )
        self.stats.events += 1

    def _write_shown(self, pane: str, at: float | None, t: float, m: float) -> None:
        # Redraws of the same reading are one row with a count: a redraw a second costs little.
        last = self._shown.get(pane)
        if last is not None and last[1] == at:
            self._shown[pane] = (last[0], at, last[2] + 1)
            self._shown_dirty.add(pane)
            return
        self._insert_event(t, m, "shown", pane, [at, 1])
        row = self._conn.execute("SELECT last_insert_rowid()").fetchone()[0]
        self._shown[pane] = (row, at, 1)

    def _write_state(self, state: dict[str, Any], t: float, m: float) -> None:
        state = json.loads(dumps(state))  # plain data, as it will read back
        if state == self._state:
            return
        for key, change in state_changes(self._state, state):
            self._insert_event(t, m, "runbook", key, change)
        self._insert_event(t, m, "state", "", state)
        self._state = state


def _r(x: float) -> float:
    return round(x, 6)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def snapshot(obj: Any) -> dict[str, Any]:
    """A dataclass state as plain data (the runbook state the recorder is given)."""
    return dataclasses.asdict(obj)
