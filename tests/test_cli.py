"""The command line as a user meets it: real processes, a real pseudo-terminal."""

import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
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


def test_version_names_textual_too():
    from importlib.metadata import version

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"launch-console {__version__} (Textual {version('textual')}")


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
    assert result.returncode == 2 and "--speed only applies with --demo" in result.stderr


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


def spawn_demo(tmpdir: Path | None = None) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console on the pseudo-terminal
        os.chdir(ROOT)
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        if tmpdir is not None:
            os.environ["TMPDIR"] = str(tmpdir)
        os.execv(sys.executable, [*CLI, "--demo", "--speed", "60"])
    return pid, fd


@pytest.mark.parametrize("how", ["sighup", "close-terminal"])
def test_losing_the_terminal_ends_the_console(how, tmp_path):
    pid, fd = spawn_demo(tmp_path)
    try:
        read_until(fd, b"Countdown", time.monotonic() + 20)
        assert len(list(tmp_path.glob("launch-console-demo-*"))) == 1
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
    # Even the hard way out (a terminal that never drains) removes the demo's state dir.
    assert list(tmp_path.iterdir()) == []


def test_q_quits_a_real_terminal_session(tmp_path):
    pid, fd = spawn_demo(tmp_path)
    try:
        read_until(fd, b"Countdown", time.monotonic() + 20)
        os.write(fd, b"q")
        status = wait_exit(pid, time.monotonic() + 5, fd)
        assert status is not None and os.waitstatus_to_exitcode(status) == 0
    finally:
        reap(pid)
        os.close(fd)
    assert list(tmp_path.iterdir()) == []  # the demo's state dir went with it


def test_demo_start_offset(tmp_path):
    from config import DEMO, shipped
    from console.cli import make_app, parse_args
    from console.config import load_config

    config = load_config(shipped(DEMO))
    args = parse_args(["--demo", "--start=-2h"])
    app = make_app(config, args, str(tmp_path))
    assert abs(app.clock.now() - (config.launch.epoch - 7200)) < 5
    # The demo never writes to the real launch's audit log, lock or runbook state.
    for path in (
        app.config.audit.path,
        app.config.actions.lock_path,
        app.config.launchday.state_path,
    ):
        assert path.startswith(f"{tmp_path}/")


def test_help_lists_the_commands_with_examples_and_exit_codes():
    result = run("--help")
    assert result.returncode == 0
    out = result.stdout
    assert re.search(r"^\s+check\s+one sweep of the pre-launch checklist", out, re.M)
    assert re.search(r"^\s+config\s+show which config file is used", out, re.M)
    assert "launch-console check --config buywhere-us" in out
    assert "launch-console --print-completion bash" in out
    assert re.search(r"^\s+2\s+usage or config error", out, re.M)
    check = run("check", "--help").stdout
    for code, word in ((0, "OK"), (1, "WARNING"), (2, "CRITICAL"), (3, "UNKNOWN")):
        assert re.search(rf"^\s+{code}\s+{word}:", check, re.M)
    assert re.search(r"^\s+64\s+usage error", check, re.M)
    assert re.search(r"^\s+78\s+config error", check, re.M)


def test_completion_script_knows_the_commands():
    result = run("--print-completion", "bash")
    assert result.returncode == 0
    assert "check" in result.stdout and "config" in result.stdout
    assert "--print-default" in result.stdout and "--scenario" in result.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--scenario", "calm"], 0),  # every check ok
        # T-15 min: disk 81% is in the host pane's warning band (3.4: > 80%), but the checklist
        # item is 1.1's "Disk usage < 85% on host": green (issue 9, item 10).
        ([], 0),
        (["--start=+20m"], 2),  # the incident: pool exhausted, API unhealthy, 503s
    ],
)
def test_check_exit_code_is_the_worst_level(args, code):
    result = run("check", "--demo", *args)
    assert result.returncode == code, result.stdout + result.stderr
    if not args:
        disk = next(line for line in result.stdout.splitlines() if line.startswith("host.disk"))
        assert disk.split()[2:] == ["✔", "ok", "81.0%"]
    levels = {line.split()[3] for line in result.stdout.splitlines()[1:]}
    worst = {0: {"ok"}, 1: {"ok", "warn"}, 2: {"ok", "warn", "crit"}}[code]
    assert levels <= worst and max(levels, key=["ok", "warn", "crit"].index) in levels


def test_check_exit_code_ranking():
    from console.commands.check import exit_code

    assert exit_code(["ok", "unknown"]) == 3
    assert exit_code(["unknown", "warn"]) == 1
    assert exit_code(["warn", "crit", "unknown"]) == 2
    assert exit_code(["ok"]) == 0


def test_check_usage_and_config_errors_are_not_0_to_3(tmp_path):
    usage = run("check", "--demo", "--bogus")
    assert usage.returncode == 64 and "unrecognized arguments: --bogus" in usage.stderr
    both = run("check", "--demo", "--config", "demo")
    assert both.returncode == 64 and "not both" in both.stderr
    missing = run("check", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 78 and "nope.toml: no such config file" in missing.stderr


def test_a_value_the_client_refuses_is_a_config_error_not_a_traceback(tmp_path):
    env = {**os.environ, "PGBOUNCER_ADMIN_DSN": "x", "CATALOG_DSN": "y", "REDIS_URL": "z"}
    for args, code in (
        (["check", "--config", "buywhere-us"], 78),
        (["--config", "buywhere-us"], 2),
    ):
        result = run(*args, env=env)
        assert result.returncode == code
        assert "Traceback" not in result.stderr
        assert "buywhere-us.toml: " in result.stderr and "Redis URL" in result.stderr


def test_check_on_a_stack_that_never_answers_is_unknown(tmp_path):
    """Every system accepts the connection and says nothing: TIMEOUT, which is not a verdict
    on the system (rules.error_level) — the check is UNKNOWN (3), never OK."""
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "fresh.sql.gz").write_bytes(b"x")
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)  # the kernel completes the handshakes; nobody ever reads or writes
        port = hole.getsockname()[1]
        path = tmp_path / "silent.toml"
        poll = "\n".join(
            f'{s} = {{ interval = "1s", timeout = "1s" }}'
            for s in ("containers", "pgbouncer", "postgres", "redis", "host", "traffic", "smoke")
        )
        path.write_text(
            '[launch]\nat = "2026-04-23T14:00:00Z"\n'
            f'[docker]\nurl = "tcp://127.0.0.1:{port}"\ntimeout = "1s"\n'
            f'[pgbouncer]\nadmin_dsn = "postgresql://pgbouncer@127.0.0.1:{port}/pgbouncer"\n'
            f'[postgres]\ndsn = "postgresql://buywhere@127.0.0.1:{port}/catalog"\n'
            f'[redis]\nurl = "redis://127.0.0.1:{port}/0"\n'
            f'[api]\nbase_url = "http://127.0.0.1:{port}"\n'
            f'[host]\nbackups = "{backups}"\n'
            "[thresholds]\ndisk = { warn = 99.9, crit = 100 }\nswap = { warn = 99.9, crit = 100 }\n"
            f"[poll]\n{poll}\n"
        )
        result = run("check", "--config", str(path), "--json")
    checks = json.loads(result.stdout)["checks"]
    assert {c["level"] for c in checks} == {"ok", "unknown"}, checks
    assert result.returncode == 3


def test_options_stand_before_or_after_the_command():
    before = run("--demo", "--scenario", "calm", "check")
    after = run("check", "--demo", "--scenario", "calm")
    assert before.returncode == after.returncode == 0
    foreign = run("--read-only", "check", "--demo")
    assert foreign.returncode == 64 and "--read-only does not apply to `check`" in foreign.stderr


@pytest.mark.parametrize(("args", "shown"), [([], "×60"), (["--speed", "2"], "×2 ")])
def test_scripts_demo_runs_at_60x_unless_told(args, shown):
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ.update(TERM="xterm-256color", COLUMNS="160", LINES="40")
        os.execv(str(ROOT / "scripts" / "demo"), ["demo", "--scenario", "calm", *args])
    try:
        seen = read_until(fd, b"seed 7", time.monotonic() + 60)
        assert f"scenario calm {shown}".encode() in seen
        os.write(fd, b"q")
        assert wait_exit(pid, time.monotonic() + 10, fd) is not None
    finally:
        reap(pid)
        os.close(fd)


def test_once_json_is_the_whole_dashboard():
    result = run("--demo", "--start=+20m", "--once", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "DEMO" and data["launch"]["offset"] == "T+20m"
    sources = data["sources"]
    assert set(sources) == {
        "containers",
        "pgbouncer",
        "postgres",
        "redis",
        "host",
        "traffic",
        "smoke",
    }
    # Every source's reading and findings; the incident as the screen shows it.
    assert all(s["reading"]["source"] == name for name, s in sources.items())
    assert sources["containers"]["level"] == "crit"
    api = next(f for f in sources["containers"]["findings"] if f["title"] == "api-api-1")
    assert api == {
        "id": "container:api-api-1",
        "title": "api-api-1",
        "level": "crit",
        "value": "unhealthy",
        "stale": None,  # seconds, when the finding comes from an old reading
    }
    assert sources["pgbouncer"]["reading"]["pools"][0]["pool_size"] > 0
    assert any(a["id"] == "containers:container:api-api-1" for a in data["alerts"])
    assert {c["id"] for c in data["checks"]} >= {"containers.running", "tls.expiry"}
    assert [g["id"] for g in data["gates"]][:1] == ["gate:db.backup_age"]
    # After T-0 the board no longer calls GO / HOLD nor delays anything: a one-shot console did
    # not see the call at T-0, and says so; the red P0 gate is the launch's health now.
    board = data["go_no_go"]
    assert board["call"] == "PAST T-0" and "delayed" not in board["reason"]
    assert board["reason"].startswith("the call at T-0 was not judged")
    assert "sources.fresh" in {c["id"] for c in data["checks"]}
    assert {t["metric"] for t in data["triggers"]} == {
        "error_rate_5xx",
        "p99_latency",
        "pool_usage",
    }


def test_once_prints_the_dashboard_as_text():
    result = run("--demo", "--once")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("BuyWhere US launch (demo): T-15m (PRE-LAUNCH)")
    assert "▲ host" in lines and "    ▲ disk: 81.0%" in lines
    # The checklist's window closed at T-15 with nothing ticked by hand: the T-2h milestone failed.
    assert lines[-3:] == [
        "alerts (2):",
        "  ▲ milestone t-2h failed: manual items ticked",
        "  ▲ host: disk 81.0%",
    ]
    assert run("--demo", "--json").returncode == 2  # --json only with --once
