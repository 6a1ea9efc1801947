"""The console and its terminal, as on a host reached over a bad link: real processes on real
pseudo-terminals. A reader that stops costs the console nothing but its output; losing the
terminal (the reader closes, SIGHUP, SIGTERM, the parent or the terminal's holder killed) ends
it within seconds, also while its event loop is stuck.

The figures (polls during the stall, CPU, time to exit) are printed: `pytest -s` shows them.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from console.recording.reader import Recording
from tests.test_cli import ROOT, read_until, reap, wait_exit

STALL = 120.0  # seconds the reader stops (the two minutes: a laptop lid closed)
EXIT_WITHIN = 5.0
ONE_SECOND_SOURCES = ("containers", "pgbouncer", "redis", "traffic")  # demo.toml: interval 1s
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>])")
COUNTDOWN = re.compile(rb"T-(\d\d):(\d\d):(\d\d)")


def console_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "console", *args]


def spawn(argv: list[str], tmp_path: Path, columns: int = 100, lines: int = 40) -> tuple[int, int]:
    """`argv` as the session leader of a new pseudo-terminal (as sshd starts a login)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ.update(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(lines))
        os.environ["TMPDIR"] = str(tmp_path)
        os.execv(argv[0], argv)
    return pid, fd


def countdowns(output: bytes) -> list[int]:
    """Every countdown the screen showed (seconds before launch), in order."""
    text = ANSI.sub(b"", output)
    return [int(h) * 3600 + int(m) * 60 + int(s) for h, m, s in COUNTDOWN.findall(text)]


def read_for(fd: int, seconds: float) -> bytes:
    got = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(AssertionError):  # nothing came in this half second
            got += read_until(fd, b"\x1b", min(deadline, time.monotonic() + 0.5))
    return got


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds}s")
        time.sleep(0.05)


def demo_dirs(tmp_path: Path) -> list[Path]:
    return list(tmp_path.glob("launch-console-demo-*"))


def exit_code(status: int | None) -> int | None:
    return None if status is None else os.waitstatus_to_exitcode(status)


def landings(path: Path) -> dict[str, list[float]]:
    """Each source's readings as they landed in the console (recording monotonic seconds)."""
    with Recording(str(path)) as recording:
        session = recording._sessions()[-1]
        return {
            source: [landed.m for landed in recording.stream(session, source)]
            for source in recording.sources(session)
        }


def test_a_reader_that_stops_for_two_minutes_stops_nothing_and_its_loss_ends_the_console(
    tmp_path,
):
    record, log = tmp_path / "day.sqlite", tmp_path / "console.log"
    argv = console_argv("--demo", "--speed", "1", "--record", str(record), "--log-file", str(log))
    spawned = time.monotonic()
    pid, fd = spawn(argv, tmp_path)  # 100 columns: the countdown is text (compact layout)
    try:
        seen = read_until(fd, b"Countdown", time.monotonic() + 30) + read_for(fd, 2)
        before = countdowns(seen)[-1]
        assert len(demo_dirs(tmp_path)) == 1

        # The reader stops (nothing reads the terminal): the console must not notice, but
        # for its output.
        stalled_at, cpu0 = time.monotonic(), cpu_seconds(pid)
        time.sleep(STALL)
        stalled_for = time.monotonic() - stalled_at
        cpu = (cpu_seconds(pid) - cpu0) / stalled_for

        # The reader comes back: the screen shows the clock as it is now, not two minutes ago.
        shown = b""
        deadline = time.monotonic() + 30
        while not any(c <= before - STALL + 5 for c in countdowns(shown)):
            shown += read_until(fd, b"\x1b", deadline)
        shown += read_for(fd, 2)  # the recorder commits a batch a second

        # Polls landed throughout the stall, at their cadence (recording monotonic seconds
        # count from about the spawn; 3 s of margin either side).
        window = (stalled_at - spawned + 3, stalled_at - spawned + stalled_for - 3)
        figures = []
        for source, times in sorted(landings(record).items()):
            inside = [m for m in times if window[0] <= m <= window[1]]
            gaps = [b - a for a, b in zip([window[0], *inside], [*inside, window[1]], strict=True)]
            figures.append(f"{source} {len(inside)} polls, longest gap {max(gaps):.1f}s")
            if source in ONE_SECOND_SOURCES:
                assert max(gaps) < 5.0, f"{source}: no poll landed for {max(gaps):.1f}s"
        assert cpu < 0.3, f"{cpu:.0%} of a core while the terminal did not read"
        text = log.read_text()
        assert "terminal: not reading" in text, "the terminal never filled up: nothing tested"
        assert "terminal: reading again" in text

        # It stops again, and then the link drops: the reader closes the terminal. Closed
        # once the console has found it stalled again (how soon depends on how much an idle
        # screen writes and the pty's buffer: wait for it, bounded, rather than guess).
        wait_for(
            lambda: log.read_text().count("terminal: not reading") == 2,
            STALL,
            "the terminal did not fill up again",
        )
        os.close(fd)
        fd = -1
        closed = time.monotonic()
        status = wait_exit(pid, closed + EXIT_WITHIN)
        exited_after = time.monotonic() - closed
        assert status is not None, "the console outlived its terminal"
        assert exit_code(status) == 129
    finally:
        reap(pid)
        if fd >= 0:
            os.close(fd)
    assert log.read_text().count("terminal: not reading") == 2  # it was closed while stalled
    assert demo_dirs(tmp_path) == []  # the demo's state went with it
    print(
        f"\nreader stopped {stalled_for:.0f}s: {'; '.join(figures)}; "
        f"console CPU {cpu:.1%}; exit {exited_after:.2f}s after the reader closed"
    )


@pytest.mark.parametrize(
    ("how", "sig"),
    [("sleep", signal.SIGHUP), ("sleep", signal.SIGTERM), ("busy", signal.SIGHUP)],
)
def test_a_console_whose_loop_is_stuck_still_ends_on_sighup_and_sigterm(how, sig, tmp_path):
    record, log, mark = tmp_path / "day.sqlite", tmp_path / "console.log", tmp_path / "stuck"
    argv = [
        sys.executable,
        "-m",
        "tests.stuck_console",
        how,
        str(mark),
        *("--demo", "--speed", "60", "--record", str(record), "--log-file", str(log)),
    ]
    pid, fd = spawn(argv, tmp_path)
    try:
        read_until(fd, b"Countdown", time.monotonic() + 30)
        wait_for(mark.exists, 30, "the loop getting stuck")
        os.kill(pid, sig)
        sent = time.monotonic()
        status = wait_exit(pid, sent + EXIT_WITHIN, fd)
        took = time.monotonic() - sent
        assert status is not None, f"{sig.name} did not end a console whose loop is stuck"
        assert exit_code(status) == 128 + sig
    finally:
        reap(pid)
        os.close(fd)
    print(f"\nloop stuck ({how}): {sig.name} ended the console in {took:.2f}s")
    text = log.read_text()
    assert f"the console ends: {sig.name}" in text
    assert "did not end within" in text  # the loop could not: the watchdog ended the process
    assert demo_dirs(tmp_path) == []  # at_hard_exit: the demo's state dir
    assert sum(len(t) for t in landings(record).values()) > 0  # committed, readable


@pytest.fixture
def subreaper():
    """Orphans re-parent to this test process (so that it can see how they exit)."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    yield
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


# The process that holds the terminal's master side and is the console's parent (sshd's
# session process, a tmux server, a terminal emulator): it starts the console on a new
# pseudo-terminal, says its pid, and reads the terminal for as long as it lives.
HOLDER = """
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(TERM="xterm-256color", COLUMNS="100", LINES="40")
    os.execv(sys.argv[1], sys.argv[1:])
print(pid, flush=True)
seen = b""
while True:
    seen = (seen + os.read(fd, 65536))[-100000:]
    if b"Countdown" in seen:
        print("up", flush=True)
        seen = b""
"""


def test_killing_the_process_that_holds_the_terminal_ends_the_console(subreaper, tmp_path):
    log = tmp_path / "console.log"
    argv = console_argv("--demo", "--speed", "60", "--no-record", "--log-file", str(log))
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, *argv], stdout=subprocess.PIPE, cwd=ROOT, env=env
    )
    pid = int(holder.stdout.readline())
    try:
        assert holder.stdout.readline() == b"up\n"  # the screen is up
        assert len(demo_dirs(tmp_path)) == 1
        holder.kill()  # kill -9: the terminal's master side closes with it
        holder.wait()
        killed = time.monotonic()
        status = wait_exit(pid, killed + EXIT_WITHIN)
        took = time.monotonic() - killed
        assert status is not None, "the console outlived the process that held its terminal"
        assert exit_code(status) == 129
    finally:
        reap(pid)
        holder.kill()
        holder.wait()
    print(f"\nterminal holder killed: the console ended in {took:.2f}s")
    assert demo_dirs(tmp_path) == []


# The console's parent, while the terminal stays (the test holds it): `sh -c 'launch-console &
# wait'` whose shell is killed.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen(sys.argv[1:], stdout=2)  # the terminal, as a shell gives it
print(child.pid, flush=True)
time.sleep(3600)
"""


def test_the_parent_gone_ends_the_console_though_the_terminal_stays(subreaper, tmp_path):
    log = tmp_path / "console.log"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    argv = console_argv("--demo", "--speed", "60", "--no-record", "--log-file", str(log))
    env = {**os.environ, "TMPDIR": str(tmp_path), "TERM": "xterm-256color"}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, *argv],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        cwd=ROOT,
        env=env,
    )
    pid = int(parent.stdout.readline())
    reading, up = threading.Event(), threading.Event()
    reader = threading.Thread(target=_keep_reading, args=(master, reading, up), daemon=True)
    reader.start()
    try:
        assert up.wait(30), "the screen never came up"
        assert len(demo_dirs(tmp_path)) == 1
        parent.kill()
        parent.wait()
        killed = time.monotonic()
        status = wait_exit(pid, killed + EXIT_WITHIN)
        took = time.monotonic() - killed
        assert status is not None, "the console outlived its parent"
        assert exit_code(status) == 129
    finally:
        reap(pid)
        reading.set()
        os.close(slave)
        reader.join(5)
        os.close(master)
    print(f"\nparent killed: the console ended in {took:.2f}s")
    assert f"its parent process {parent.pid} is gone" in log.read_text()
    assert demo_dirs(tmp_path) == []


def _keep_reading(fd: int, stop: threading.Event, up: threading.Event) -> None:
    seen = b""
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen = (seen + os.read(fd, 65536))[-100000:]
            except OSError:
                return
            if b"Countdown" in seen:
                up.set()
