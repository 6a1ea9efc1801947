"""`kill -9` of a recording console: the file stays readable, and what was committed stays.

The real console (`launch-console --demo --record PATH`) runs in a terminal of its own (a tmux
server on a private socket, which the test stops); the test kills it with SIGKILL mid-day.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.recording.reader import Recording
from console.report.write import write_report

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="scripts/test installs tmux")


def rows(path: Path) -> int:
    try:
        with Recording(str(path)) as recording:
            return recording.counts()["reading_rows"]
    except Exception:  # not created yet
        return 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigkill_mid_recording_leaves_a_readable_file(tmp_path):
    path = tmp_path / "day.sqlite"
    socket = f"lc-crash-{os.getpid()}"
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    command = (
        f"cd {ROOT} && exec {sys.executable} -m console --demo --speed 600 --record {path}"
        f" 2>{tmp_path / 'stderr'}"
    )
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "120", "-y", "40", command], check=True, env=env
    )
    try:
        pid = int(
            subprocess.run(
                [*tmux, "display-message", "-p", "#{pane_pid}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        deadline = time.monotonic() + 60
        while rows(path) < 20 and time.monotonic() < deadline:
            time.sleep(0.2)
        committed = rows(path)
        assert committed >= 20, (tmp_path / "stderr").read_text()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    # Killed, not closed: the write-ahead log is still there, and SQLite recovers from it.
    assert Path(f"{path}-wal").exists()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Recording(str(path)) as recording:
        assert recording.counts()["reading_rows"] >= committed  # nothing committed was lost
        (session,) = recording.sessions
        assert session.mode == "DEMO"
        landed = list(recording.landed(session))
        assert {x.reading.source for x in landed} >= {"containers", "traffic", "pgbouncer"}
        report = write_report(recording, "json", str(tmp_path / "after-crash.json"))
    assert report is not None and Path(report).stat().st_size > 0
