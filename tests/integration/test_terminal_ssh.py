"""An on-call engineer's console over a real OpenSSH session on loopback, on the real test
stack: the client goes quiet mid-restore, then is `kill -9`ed (a laptop on hotel Wi-Fi). The
console on the server ends within seconds (issue 11: the orphaned console that held the host),
while the restore goes on in its runner, a process of its own that holds the action lock until
the run ends; told that the restore by hand is done (as `d` in any console tells it), it
finishes, the audit log ends with the outcome, and the lock is free."""

from __future__ import annotations

import json
import os
import pty
import signal
import sys
import time
from pathlib import Path

import pytest

from console.actions.runs import Signals
from console.lock import ActionLock
from tests.sshd import sshd
from tests.stack import IMAGE, LOOP
from tests.test_cli import ROOT, read_until, reap

EXIT_WITHIN = 5.0


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


def test_a_dropped_ssh_client_ends_the_console_and_its_restore_goes_on_in_the_runner(
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
            lock = ActionLock(str(lock_path))
            holder = lock.holder()
            assert holder is not None and holder.action == "db_restore"
            runner_pid, run = holder.kernel_pid or holder.pid, holder.record["run"]
            # The console's own pid: its log lines carry it (the runner's carry the runner's).
            console_pid = int(log.read_text().split()[2])
            assert console_pid != runner_pid and alive(console_pid) and alive(runner_pid)

            time.sleep(5)  # the client goes quiet (reads nothing): the link stalls
            os.kill(pid, signal.SIGKILL)  # then it is gone
            os.waitpid(pid, 0)
            killed = time.monotonic()
            while alive(console_pid):
                assert time.monotonic() - killed < EXIT_WITHIN, "the console outlived its SSH"
                time.sleep(0.05)
            exited = time.monotonic() - killed
            # The restore did not go with it: its runner still holds the lock, the step waits.
            holder = lock.holder()
            assert alive(runner_pid) and holder is not None and holder.action == "db_restore"
            assert audit_steps(audit)[-1] == ("restore_by_hand", "started")

            Signals(str(lock_path), run).send("done", "rex")  # `d`, from any console
            deadline = time.monotonic() + 120
            while lock.holder() is not None:
                assert time.monotonic() < deadline, f"the run never ended: {audit_steps(audit)}"
                time.sleep(0.1)
            lock.acquire("rex", "rollback")  # the next console's action: the lock is free
            lock.release()
            steps = audit_steps(audit)
            assert ("restore_by_hand", "ok") in steps, steps
            assert steps[-1][1] != "started", steps  # ends with an outcome
            assert not any(status == "interrupted" for _, status in steps), steps
        finally:
            reap(pid)
            os.close(fd)
    print(f"\nssh client killed mid-restore: the console ended after {exited:.2f}s; run went on")

    assert "the console ends:" in log.read_text()
