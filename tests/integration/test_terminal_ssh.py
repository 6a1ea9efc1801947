"""An on-call engineer's console over a real OpenSSH session on loopback, on the real test
stack: the client goes quiet mid-restore, then is `kill -9`ed (a laptop on hotel Wi-Fi). The
console on the server ends, and the action lock it held is free for the next console within
seconds (issue 11: the orphaned console that held the host)."""

from __future__ import annotations

import json
import os
import pty
import signal
import sys
import time
from pathlib import Path

import pytest

from console.lock import ActionBusy, ActionLock
from tests.sshd import sshd
from tests.stack import IMAGE, LOOP
from tests.test_cli import ROOT, read_until, reap

FREED_WITHIN = 5.0


@pytest.fixture()
def scraper(stack):
    """A scraper of this test's own: the restore stops it."""
    container = stack.docker.containers.run(
        IMAGE, ["sh", "-c", LOOP], name="scraper-worker-ssh", detach=True, network_mode="none"
    )
    yield container.name
    container.remove(force=True)


def audit_steps(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    return [(r["step"], r["status"]) for r in map(json.loads, path.read_text().splitlines())]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_dropped_ssh_client_ends_the_console_and_frees_the_action_lock(
    stack, backups, scraper, tmp_path
):
    lock_path, audit = tmp_path / "actions.lock", tmp_path / "audit.jsonl"
    log = tmp_path / "console.log"
    config = tmp_path / "stack.toml"
    config.write_text(
        stack.config_toml(backups).replace(
            f'url = "unix://{stack.docker_sock}"',
            f'url = "unix://{stack.docker_sock}"\nscraper = "{scraper}"',
        )
        + f'[actions]\nlock_path = "{lock_path}"\n[audit]\npath = "{audit}"\n'
        + f'[launchday]\nstate_path = "{tmp_path / "launchday.json"}"\n'
    )
    (tmp_path / "sshd").mkdir()
    with sshd(tmp_path / "sshd") as server:
        remote = (
            f"cd {ROOT} && exec env TERM=xterm-256color COLUMNS=120 LINES=40 "
            f"{sys.executable} -m console --config {config} --no-record --log-file {log}"
        )
        argv = server.ssh(remote, tty=True)
        pid, fd = pty.fork()
        if pid == 0:  # the engineer's ssh client, on its own terminal
            os.execvp(argv[0], argv)
        try:
            read_until(fd, b"Countdown", time.monotonic() + 60)
            os.write(fd, b"B")  # the database restore, guided
            read_until(fd, b"authorised by", time.monotonic() + 20)
            os.write(fd, b"rex\r")
            read_until(fd, b"RESTORE", time.monotonic() + 30)
            os.write(fd, b"RESTORE")
            time.sleep(0.5)  # the word typed before Enter arms it (one key event each)
            os.write(fd, b"\r")
            deadline = time.monotonic() + 60
            while ("restore_by_hand", "started") not in audit_steps(audit):
                read_until(fd, b"\x1b", deadline)  # the client reads meanwhile
            holder = ActionLock(str(lock_path)).holder()
            assert holder is not None and holder.action == "db_restore"
            console_pid = holder.kernel_pid or holder.pid
            assert alive(console_pid)

            time.sleep(5)  # the client goes quiet (reads nothing): the link stalls
            os.kill(pid, signal.SIGKILL)  # then it is gone
            os.waitpid(pid, 0)
            killed = time.monotonic()
            lock = ActionLock(str(lock_path))
            while True:  # the next console's attempt: the lock is free within seconds
                try:
                    lock.acquire("rex", "rollback")
                    break
                except ActionBusy:
                    assert time.monotonic() - killed < FREED_WITHIN, "the lock stayed held"
                    time.sleep(0.1)
            freed = time.monotonic() - killed
            lock.release()
            deadline = time.monotonic() + FREED_WITHIN
            while alive(console_pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not alive(console_pid), "the console outlived its SSH session"
        finally:
            reap(pid)
            os.close(fd)
    print(f"\nssh client killed mid-restore: the action lock was free after {freed:.2f}s")
    assert "the console ends:" in log.read_text()
