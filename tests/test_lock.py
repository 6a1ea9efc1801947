"""The host-wide action lock against a hostile neighbour: planted links, fake holders, garbage,
a second Unix user. It refuses clearly, names the path, never crashes, never touches a file it
does not hold."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console import lock as lock_module
from console.lock import ActionBusy, ActionLock, LockUnusable

ROOT = Path(__file__).resolve().parent.parent
# A second user cannot run the test venv's Python (it lives under /root): the lock module is
# standard library only, so the system Python runs it.
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture()
def lockdir(tmp_path) -> Path:
    d = tmp_path / "locks"
    d.mkdir(mode=0o750)
    return d


def test_created_0660_close_on_exec_and_released_empty(lockdir):
    old = os.umask(0o022)  # the usual umask would take the group's write bit
    try:
        lock = ActionLock(str(lockdir / "actions.lock"))
        lock.acquire("alice", "rollback")
    finally:
        os.umask(old)
    try:
        st = os.stat(lock.path)
        assert stat.S_IMODE(st.st_mode) == 0o660
        assert fcntl.fcntl(lock._fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        assert json.loads(Path(lock.path).read_text())["operator"] == "alice"
    finally:
        lock.release()
    assert Path(lock.path).read_text() == ""
    assert ActionLock(lock.path).holder() is None


def test_a_lock_never_taken_is_free(tmp_path):
    lock = ActionLock(str(tmp_path / "not yet" / "actions.lock"))
    assert lock.holder() is None
    lock.acquire("alice", "rollback")
    assert ActionLock(lock.path).holder().operator == "alice"
    lock.release()


def test_a_planted_symlink_is_refused_and_its_target_untouched(lockdir, tmp_path):
    precious = tmp_path / "precious"
    precious.write_text("root's data\n")
    os.chmod(precious, 0o600)
    path = lockdir / "actions.lock"
    path.symlink_to(precious)
    lock = ActionLock(str(path))
    with pytest.raises(LockUnusable, match="symlink") as refused:
        lock.acquire("root", "disk_cleanup")
    assert str(path) in str(refused.value)
    holder = lock.holder()  # never raises: the problem comes back to be shown
    assert holder is not None and "symlink" in holder.describe() and str(path) in holder.problem
    assert precious.read_text() == "root's data\n"
    assert stat.S_IMODE(precious.stat().st_mode) == 0o600


def test_a_planted_hard_link_is_refused_and_the_file_untouched(lockdir):
    precious = lockdir / "precious"
    precious.write_text("root's data\n")
    os.link(precious, lockdir / "actions.lock")
    lock = ActionLock(str(lockdir / "actions.lock"))
    with pytest.raises(LockUnusable, match="2 links"):
        lock.acquire("root", "rollback")
    assert precious.read_text() == "root's data\n"


HOLD = """
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o660)
fcntl.flock(fd, fcntl.LOCK_EX)
if sys.argv[2] != "-":
    os.pwrite(fd, sys.argv[2].encode(), 0)
print("held", flush=True)
sys.stdin.read()
"""


def holding(path: Path, text: str, user: list[str] | None = None) -> subprocess.Popen:
    """A process of its own that holds the lock with `text` in it until its stdin closes."""
    proc = subprocess.Popen(
        [*(user or []), SYSTEM_PYTHON, "-c", HOLD, str(path), text],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def done(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=10)


def test_a_fake_holder_is_named_by_the_kernel_and_never_overwritten(lockdir):
    path = lockdir / "actions.lock"
    fake = json.dumps({"operator": "ceo", "action": "nothing", "since": time.time(), "pid": 1})
    proc = holding(path, fake)
    try:
        lock = ActionLock(str(path))
        holder = lock.holder()
        assert holder.kernel_pid == proc.pid  # what the kernel says, not the file
        text = holder.describe()
        assert f"pid {proc.pid}" in text and "claims pid 1" in text
        with pytest.raises(ActionBusy):
            lock.acquire("alice", "rollback")
        assert path.read_text() == fake  # a lock we do not hold is never truncated
    finally:
        done(proc)


def test_a_garbage_lock_is_a_refusal_not_a_crash(lockdir):
    path = lockdir / "actions.lock"
    proc = holding(path, "\x1b]0;pwned\x07[/x] not json")
    try:
        holder = ActionLock(str(path)).holder()
        assert holder is not None and holder.kernel_pid == proc.pid
        assert "someone is running an action" in holder.describe()
    finally:
        done(proc)


def test_an_unsafe_directory_is_refused(tmp_path):
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)  # world-writable, no sticky bit: anyone can swap the file
    with pytest.raises(LockUnusable, match="world-writable"):
        ActionLock(str(open_dir / "actions.lock")).acquire("alice", "rollback")
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    with pytest.raises(LockUnusable, match="symlink"):
        ActionLock(str(tmp_path / "linked" / "actions.lock")).acquire("alice", "rollback")
    assert not (real / "actions.lock").exists()


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists(SYSTEM_PYTHON),
    reason="a second Unix user needs root (setpriv) and the system Python",
)
AS_NOBODY = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"]

ASK = """
import json, sys
sys.path.insert(0, sys.argv[1])
from console.lock import ActionLock, LockError
lock = ActionLock(sys.argv[2])
holder = lock.holder()
out = {"holder": None if holder is None else holder.describe(), "acquire": "ok"}
try:
    lock.acquire("nobody", "restart_api")
    lock.release()
except LockError as exc:
    out["acquire"] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(out))
"""


def ask_as_nobody(path: Path) -> dict:
    result = subprocess.run(
        [*AS_NOBODY, SYSTEM_PYTHON, "-c", ASK, str(ROOT), str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr  # no traceback, whatever the lock is
    return json.loads(result.stdout)


def traversable(path: Path) -> None:
    """Let `nobody` reach a directory under pytest's (root-only) temp dir."""
    for parent in [path, *path.parents]:
        if str(parent) in ("/", "/tmp"):
            break
        os.chmod(parent, os.stat(parent).st_mode | 0o011)


@needs_root
def test_a_second_user_outside_the_group_is_refused_clearly(tmp_path):
    d = tmp_path / "run"
    d.mkdir(mode=0o755)
    traversable(d)
    path = d / "actions.lock"
    mine = ActionLock(str(path))
    mine.acquire("root", "rollback")
    try:
        answer = ask_as_nobody(path)
    finally:
        mine.release()
    assert "permission denied" in answer["holder"] and str(path) in answer["holder"]
    assert answer["acquire"].startswith("LockUnusable") and str(path) in answer["acquire"]


@needs_root
def test_operators_of_one_group_share_the_lock(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    os.chown(d, 0, 65534)  # group nogroup: the operators' group, here
    os.chmod(d, 0o2770)  # setgid: the lock file gets the group too
    traversable(d)
    path = d / "actions.lock"
    mine = ActionLock(str(path))
    mine.acquire("root", "rollback")
    try:
        answer = ask_as_nobody(path)
        assert os.stat(path).st_gid == 65534
    finally:
        mine.release()
    assert "root is running rollback" in answer["holder"]
    assert f"pid {os.getpid()} of user root" in answer["holder"]
    assert answer["acquire"].startswith("ActionBusy")
    # Released: the other operator takes it (and gives it back).
    assert ask_as_nobody(path) == {"holder": None, "acquire": "ok"}


def test_the_default_is_never_world_writable_tmp(monkeypatch, tmp_path):
    monkeypatch.setattr(lock_module, "SHARED_DIR", str(tmp_path / "missing" / "launch-console"))
    (tmp_path / "xdg").mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # not root: /run is not ours to fill
    lock = ActionLock()
    assert lock.path == str(tmp_path / "xdg" / "launch-console" / "actions.lock")
    lock.acquire("alice", "rollback")
    lock.release()
    assert stat.S_IMODE(os.stat(os.path.dirname(lock.path)).st_mode) == 0o700
    # Once an administrator has made the shared directory, every operator's console uses it.
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o2770)
    monkeypatch.setattr(lock_module, "SHARED_DIR", str(shared))
    assert ActionLock().path == str(shared / "actions.lock")
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr(lock_module, "SHARED_DIR", str(tmp_path / "missing" / "launch-console"))
    assert not ActionLock().path.startswith("/tmp/launch-console")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
