"""The command line as a user meets it: real processes, a real pseudo-terminal."""

import os
import pty
import select
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from console import __version__

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "console"]


def run(*args, env=None):
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
    )


def test_no_target_explains_both_ways_and_exits_2():
    result = run()
    assert result.returncode == 2
    assert "launch-console --demo" in result.stderr
    assert "launch-console --config" in result.stderr
    assert "Traceback" not in result.stderr


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"launch-console {__version__}"


def test_bad_config_is_one_clear_message(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[launch]\nat = "2026-04-23T14:00:00Z"\n[redis]\nurl = "${NOT_SET_ANYWHERE}"\n')
    env = {k: v for k, v in os.environ.items() if k != "NOT_SET_ANYWHERE"}
    result = run("--config", str(bad), env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"launch-console: {bad}: key 'redis.url': environment variable NOT_SET_ANYWHERE is not set "
        "(the file asks for ${NOT_SET_ANYWHERE})"
    )


def test_demo_options_need_demo():
    result = run("--speed", "60")
    assert result.returncode == 2 and "--speed only apply with --demo" in result.stderr


@pytest.mark.parametrize("speed", ["0", "-3", "fast"])
def test_bad_speed(speed):
    result = run("--demo", "--speed", speed)
    assert (
        result.returncode == 2 and "--speed" in result.stderr and "Traceback" not in result.stderr
    )


def read_until(fd: int, needle: bytes, deadline: float) -> bytes:
    seen = b""
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never appeared; got {seen[-400:]!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def wait_exit(pid: int, deadline: float, fd: int | None = None) -> int | None:
    """Wait for the child to end, draining its terminal meanwhile (a full pty blocks writes)."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            return None
        ready, _, _ = select.select([fd] if fd is not None else [], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                fd = None


def reap(pid: int) -> None:
    """Kill and reap the child if it is still there (a failed test must not leave it)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return
    if not done:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def spawn_demo() -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console on the pseudo-terminal
        os.chdir(ROOT)
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        os.execv(sys.executable, [*CLI, "--demo", "--speed", "60"])
    return pid, fd


@pytest.mark.parametrize("how", ["sighup", "close-terminal"])
def test_losing_the_terminal_ends_the_console(how):
    pid, fd = spawn_demo()
    try:
        read_until(fd, b"Countdown", time.monotonic() + 20)
        if how == "sighup":
            os.kill(pid, signal.SIGHUP)
            status = wait_exit(pid, time.monotonic() + 5, fd)
        else:
            os.close(fd)  # the SSH session goes away: the kernel hangs up the terminal
            status = wait_exit(pid, time.monotonic() + 5)
        assert status is not None, "the console kept running after losing its terminal"
    finally:
        reap(pid)
        if how == "sighup":
            os.close(fd)


def test_q_quits_a_real_terminal_session():
    pid, fd = spawn_demo()
    try:
        read_until(fd, b"Countdown", time.monotonic() + 20)
        os.write(fd, b"q")
        status = wait_exit(pid, time.monotonic() + 5, fd)
        assert status is not None and os.waitstatus_to_exitcode(status) == 0
    finally:
        reap(pid)
        os.close(fd)


def test_wheel_ships_the_config_files(tmp_path):
    # `pip install .` (not only editable) must find config/*.toml and the stylesheet.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("launch_console-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"config/buywhere-us.toml", "config/demo.toml", "console/app.tcss"} <= names


def test_demo_start_offset():
    from config import DEMO, shipped
    from console.cli import build_parser, make_app
    from console.config import load_config

    config = load_config(shipped(DEMO))
    args = build_parser().parse_args(["--demo", "--start=-2h"])
    app = make_app(config, args)
    assert abs(app.clock.now() - (config.launch.epoch - 7200)) < 5
    # The demo never writes to the real launch's audit log, lock or runbook state.
    for path in (
        app.config.audit.path,
        app.config.actions.lock_path,
        app.config.launchday.state_path,
    ):
        assert "launch-console-demo-" in path
