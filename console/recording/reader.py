"""Reading a recording back: its sessions, events, runbook state at any instant, and the
readings in the order they landed (delta rows patched, heartbeats expanded).

A file whose writer was killed is read as it is: SQLite rolls back the unfinished batch.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from console.readings import Reading
from console.recording import schema
from console.recording.codec import UnknownKind, decode, patch
from console.recording.schema import RecordingError

CHUNK = 512
# Heartbeats are stored as offsets rounded to the microsecond: an instant is "reached" within
# this much, so seeking to the very instant a repeat landed shows it.
EPSILON = 1e-5


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    t0: float  # console time the session started
    m0: float
    speed: float  # console seconds per monotonic second (1 live; the demo's N)
    mode: str
    detail: str
    operator: str
    version: str
    pid: int
    config: dict[str, Any]
    t_end: float  # console time of the last thing it recorded


@dataclass(frozen=True, slots=True)
class Landed:
    """A reading as it landed in the console: at console time `t`, recording monotonic `m`."""

    t: float
    m: float
    reading: Reading


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    session: int
    t: float
    m: float
    kind: str
    key: str
    data: Any


class Recording:
    def __init__(self, path: str) -> None:
        self.path = path
        if not os.path.isfile(path):
            raise RecordingError(f"{path}: no such recording")
        try:
            # Read-write so that SQLite can recover the WAL of a writer that was killed.
            self._conn = sqlite3.connect(path, isolation_level=None)
            schema.check(self._conn, path)
            self.meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            self.sessions = self._sessions()
        except sqlite3.Error as exc:
            raise RecordingError(f"{path}: cannot read the recording ({exc})") from None
        if not self.sessions:
            raise RecordingError(f"{path}: the recording holds no session")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sessions(self) -> list[Session]:
        out = []
        rows = self._conn.execute(
            "SELECT id, t0, m0, speed, mode, detail, operator, version, pid, config "
            "FROM sessions ORDER BY id"
        ).fetchall()
        for row in rows:
            end = self._conn.execute(
                "SELECT max(t) FROM (SELECT max(t) AS t FROM readings WHERE session = ?1 "
                "UNION ALL SELECT max(t) FROM events WHERE session = ?1)",
                (row[0],),
            ).fetchone()[0]
            ends = [end] if end is not None else []
            beats = self._conn.execute(
                "SELECT t, beats FROM readings WHERE session = ? AND beats IS NOT NULL "
                "ORDER BY id DESC LIMIT 16",
                (row[0],),
            ).fetchall()
            ends += [t + json.loads(b)[-1][1] for t, b in beats if json.loads(b)]
            out.append(Session(*row[:9], json.loads(row[9]), max(ends, default=row[1])))
        return out

    def counts(self) -> dict[str, int]:
        """What the file holds: rows, heartbeats, events and bytes (file and its WAL)."""
        rows, full, beats = self._conn.execute(
            "SELECT count(*), coalesce(sum(full), 0), "
            "coalesce(sum(json_array_length(beats)), 0) FROM readings"
        ).fetchone()
        events = self._conn.execute("SELECT count(*) FROM events").fetchone()[0]
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return {
            "reading_rows": rows,
            "full_rows": full,
            "heartbeats": beats,
            "readings": rows + beats,
            "events": events,
            "bytes": size,
        }

    # --- the day's span and its config ----------------------------------------------------------

    @property
    def start(self) -> float:
        return self.sessions[0].t0

    @property
    def end(self) -> float:
        return max(s.t_end for s in self.sessions)

    def config(self, session: Session | None = None):  # -> console.config.Config
        from console.config import Config

        data = (session or self.sessions[-1]).config
        try:
            return Config.model_validate(data)
        except ValueError as exc:
            raise RecordingError(f"{self.path}: its config no longer validates: {exc}") from None

    def session_at(self, t: float) -> Session:
        """The session that was running at console time `t` (the first one before it began)."""
        starts = [s.t0 for s in self.sessions]
        return self.sessions[max(0, bisect.bisect_right(starts, t) - 1)]

    # --- events and state -------------------------------------------------------------------

    def events(
        self,
        kind: str | None = None,
        *,
        since: float | None = None,
        until: float | None = None,
        session: int | None = None,
        key: str | None = None,
    ) -> list[Event]:
        sql = "SELECT id, session, t, m, kind, key, data FROM events WHERE 1"
        args: list[Any] = []
        if since is not None:
            sql += " AND t >= ?"
            args.append(since)
        if key is not None:
            sql += " AND key = ?"
            args.append(key)
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if until is not None:
            sql += " AND t <= ?"
            args.append(until)
        if session is not None:
            sql += " AND session = ?"
            args.append(session)
        rows = self._conn.execute(sql + " ORDER BY t, id", args).fetchall()
        return [Event(*r[:6], json.loads(r[6])) for r in rows]

    def state_at(self, t: float) -> dict[str, Any] | None:
        """The runbook state as the console had it at `t` (None before the first snapshot)."""
        row = self._conn.execute(
            "SELECT data FROM events WHERE kind = 'state' AND t <= ? ORDER BY t DESC, id DESC "
            "LIMIT 1",
            (t,),
        ).fetchone()
        return None if row is None else json.loads(row[0])

    # --- readings -------------------------------------------------------------------------------

    def sources(self, session: Session) -> list[str]:
        rows = self._conn.execute(
            "SELECT DISTINCT source FROM readings WHERE session = ?", (session.id,)
        ).fetchall()
        return sorted(r[0] for r in rows)

    def stream(self, session: Session, source: str, start: float | None = None) -> Iterator[Landed]:
        """One source's readings in the session, in landing order, from console time `start`."""
        first = None
        if start is not None:
            row = self._conn.execute(
                "SELECT id FROM readings WHERE session = ? AND source = ? AND full = 1 "
                "AND t <= ? ORDER BY t DESC LIMIT 1",
                (session.id, source, start),
            ).fetchone()
            first = row[0] if row else None
        last_id = (first - 1) if first is not None else -1
        data: Any = None
        while True:
            rows = self._conn.execute(
                "SELECT id, at, t, m, kind, full, data, beats FROM readings "
                "WHERE session = ? AND source = ? AND id > ? ORDER BY id LIMIT ?",
                (session.id, source, last_id, CHUNK),
            ).fetchall()
            if not rows:
                return
            for row_id, at, t, m, kind, full, raw, beats in rows:
                last_id = row_id
                stored = json.loads(raw)
                data = stored if full else patch(data, stored)
                if data is None:
                    raise RecordingError(f"{self.path}: reading {row_id} has no full row before it")
                offsets = json.loads(beats) if beats else []
                if start is not None and t < start and (not offsets or t + offsets[-1][1] < start):
                    continue  # before the window: only its data matters, for the next delta
                try:
                    reading = decode(kind, source, at, data)
                except (UnknownKind, TypeError) as exc:
                    raise RecordingError(f"{self.path}: reading {row_id}: {exc}") from None
                if start is None or t >= start:
                    yield Landed(t, m, reading)
                for d_at, d_t, d_m in offsets:
                    if start is None or t + d_t >= start:
                        yield Landed(t + d_t, m + d_m, dataclasses.replace(reading, at=at + d_at))

    def landed(self, session: Session, start: float | None = None) -> Iterator[Landed]:
        """Every source's readings in the session, merged in landing order."""
        streams = [self.stream(session, s, start) for s in self.sources(session)]
        return heapq.merge(*streams, key=lambda x: (x.t, x.m))


class Cursor:
    """Walks one session's readings forward: `advance(until)` returns what landed up to it."""

    def __init__(self, recording: Recording, session: Session, start: float) -> None:
        self._it = recording.landed(session, start)
        self._next: Landed | None = next(self._it, None)

    def advance(self, until: float) -> list[Landed]:
        out = []
        while self._next is not None and self._next.t <= until + EPSILON:
            out.append(self._next)
            self._next = next(self._it, None)
        return out
