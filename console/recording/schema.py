"""The recording file: one SQLite database (WAL), marked as ours and versioned.

- `meta`: what the file is about (the launch's name, instant and zone, when it was created).
- `sessions`: one row per console run that wrote to it (a restart on launch day appends a
  session to the same file): its clock, mode, operator, version and config (secrets masked).
- `readings`: every reading as it landed. `at` is the reading's own time, `t` the console time
  it landed and `m` the recording's monotonic time then (what the store measures ages with).
  `full` rows hold the whole reading; the others the changed leaves since the previous row of
  the same source in the same session (console.recording.codec). A reading identical to the
  previous one but for its time is not a new row: it is a heartbeat in that row's `beats`
  (`[[Δat, Δt, Δm], ...]`), so the source is known alive without storing the repeat.
- `events`: runbook state snapshots (`state`) and their granular changes (`runbook`: ticks,
  Go/Hold, incidents, numbers entered, status posts), action steps (`audit`), and what the
  judge derived (`alert` firing, changing level and clearing; `finding` level changes; `gate`
  changes; `go_no_go` changes), and `shown`: which reading each redraw of a pane with memory
  (the containers pane's hysteresis) showed, as `[at, redraws]`.
"""

from __future__ import annotations

import sqlite3

APPLICATION_ID = 0x4C435244  # "LCRD": a launch-console recording
SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    t0 REAL NOT NULL,
    m0 REAL NOT NULL,
    speed REAL NOT NULL,
    mode TEXT NOT NULL,
    detail TEXT NOT NULL,
    operator TEXT NOT NULL,
    version TEXT NOT NULL,
    pid INTEGER NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    session INTEGER NOT NULL,
    source TEXT NOT NULL,
    at REAL NOT NULL,
    t REAL NOT NULL,
    m REAL NOT NULL,
    kind TEXT NOT NULL,
    full INTEGER NOT NULL,
    data TEXT NOT NULL,
    beats TEXT
);
CREATE INDEX IF NOT EXISTS readings_by_source ON readings (session, source);
CREATE INDEX IF NOT EXISTS readings_keyframes ON readings (session, source, t) WHERE full = 1;
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    session INTEGER NOT NULL,
    t REAL NOT NULL,
    m REAL NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, t);
"""


class RecordingError(Exception):
    """A recording that cannot be written or read; the message names the file and the cause."""


def check(conn: sqlite3.Connection, path: str) -> None:
    """Raise RecordingError unless `conn` is a launch-console recording this version can read."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise RecordingError(f"{path}: not a launch-console recording ({exc})") from None
    if app_id != APPLICATION_ID:
        raise RecordingError(f"{path}: not a launch-console recording")
    if version > SCHEMA_VERSION:
        raise RecordingError(
            f"{path}: recording schema {version} is newer than this launch-console reads "
            f"({SCHEMA_VERSION}): upgrade launch-console"
        )


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(DDL)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
