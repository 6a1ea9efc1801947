"""The log file: what it records, and that no secret ever reaches it."""

from __future__ import annotations

import logging
import os
import pty
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console import logs
from console.alerting import AlertTracker
from console.audit import AuditLog
from console.clock import FrozenClock
from console.config import Poll
from console.poller import Poller
from console.readings import RedisReading
from console.rules import Alert, Level
from console.store import Store
from tests.test_cli import read_until, reap, wait_exit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_leftover_secrets():
    yield
    logs._secrets.clear()


def test_mask_urls_pairs_and_registered_values():
    logs.register_secrets(["postgresql://buywhere:pw-in-dsn@db:5432/catalog", "tok-123456"])
    text = logs.mask(
        "dsn postgresql://buywhere:pw-in-dsn@db:5432/catalog; pw-in-dsn alone; "
        "redis://:other-pass@cache:6379/0; host=db password=kv-secret user=x; "
        "https://hooks.example/T0/B0?token=abc123; the token tok-123456"
    )
    for secret in ("pw-in-dsn", "other-pass", "kv-secret", "abc123", "tok-123456"):
        assert secret not in text
    assert "redis://:***@cache:6379/0" in text and "password=***" in text


def test_short_values_are_not_masked_everywhere():
    logs.register_secrets(["x", "ab"])  # an empty-ish password must not mask every 'x'
    assert logs.mask("max 2 ab") == "max 2 ab"


def test_the_formatter_masks_tracebacks_too(tmp_path):
    path = logs.setup(str(tmp_path / "lc.log"))
    logs.register_secrets(["redis://:in-a-traceback@cache:6379/0"])
    try:
        raise ValueError("cannot use redis://:in-a-traceback@cache:6379/0")
    except ValueError:
        logging.getLogger("console.test").exception("boom")
    logs.setup("-")  # close the file
    text = path.read_text()
    assert "boom" in text and "Traceback" in text and "in-a-traceback" not in text


class Flaky:
    """A source that fails for `failures` polls, then answers."""

    name = "redis"
    reading_type = RedisReading

    def __init__(self, clock, failures: int) -> None:
        self.clock, self.left = clock, failures

    async def read(self):
        if self.left:
            self.left -= 1
            raise ConnectionRefusedError("Connection refused")
        return RedisReading(source="redis", at=self.clock.now(), ping_ms=1.0)

    async def close(self) -> None:
        pass


async def test_poller_logs_a_source_going_down_once_and_its_recovery(caplog):
    clock = FrozenClock(1000.0)
    source = Flaky(clock, failures=3)
    poller = Poller([source], Store(clock, 60, {}), clock, Poll())
    with caplog.at_level(logging.INFO, logger="console"):
        for _ in range(5):
            await poller.poll_once(source)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert lines == [
        "source redis failed: ERROR: ConnectionRefusedError: Connection refused",
        "source redis recovered after 3 failed polls",
    ]


def test_alert_tracker_logs_firing_level_change_and_clearing(caplog):
    tracker = AlertTracker()
    warn = Alert("pgbouncer:pool_usage", Level.WARN, "pgbouncer: pool usage 75%")
    crit = Alert("pgbouncer:pool_usage", Level.CRIT, "pgbouncer: pool usage 95%")
    with caplog.at_level(logging.INFO, logger="console"):
        tracker.update([warn], 1.0)
        tracker.update([warn], 2.0)  # still firing: nothing new
        tracker.update([crit], 3.0)
        tracker.update([], 4.0)
    assert [r.getMessage() for r in caplog.records] == [
        "alert firing [warn]: pgbouncer: pool usage 75%",
        "alert pgbouncer:pool_usage: warn -> crit: pgbouncer: pool usage 95%",
        "alert cleared: pgbouncer:pool_usage",
    ]


def test_audit_records_are_logged(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="console"):
        AuditLog(str(tmp_path / "audit.jsonl"), who="bolt").write(
            "rollback", "restart_api", "ok", "api-api-1 healthy in 4s"
        )
    assert caplog.records[-1].getMessage() == (
        "action rollback restart_api ok by bolt: api-api-1 healthy in 4s"
    )


def test_check_writes_a_private_log_without_the_secrets(tmp_path):
    """A sweep whose sources fail with errors that echo their DSN: the log keeps the failure
    and the config it loaded, masked."""
    config = tmp_path / "stack.toml"
    config.write_text(
        '[launch]\nat = "2026-04-23T14:00:00Z"\n'
        '[docker]\nurl = "unix:///nonexistent/docker.sock"\n'
        '[pgbouncer]\nadmin_dsn = "${PGBOUNCER_ADMIN_DSN}"\n'
        '[postgres]\ndsn = "${CATALOG_DSN}"\n'
        '[redis]\nurl = "${REDIS_URL}"\n'
        '[api]\nbase_url = "http://127.0.0.1:9"\n'
    )
    secrets = {
        # Not a DSN at all: psycopg's error echoes it whole ('missing "=" after ...').
        "CATALOG_DSN": "hunter2-garbage-dsn",
        "PGBOUNCER_ADMIN_DSN": "postgresql://pgbouncer:bouncer-pass-77@127.0.0.1:9/pgbouncer",
        "REDIS_URL": "redis://:redis-pass-77@127.0.0.1:9/0",
    }
    log = tmp_path / "logs" / "lc.log"
    result = subprocess.run(
        [sys.executable, "-m", "console", "check", "--config", str(config), "--log-file", str(log)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **secrets},
    )
    assert result.returncode == 2, result.stderr  # refused systems are DOWN: crit
    text = log.read_text()
    assert f"check: config loaded: {config}" in text
    assert 'source postgres failed: ERROR: missing "=" after "***"' in text
    assert "source redis failed: DOWN" in text
    assert "-> exit 2" in text
    for value in (*secrets.values(), "bouncer-pass-77", "redis-pass-77"):
        assert value not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_the_console_logs_its_start_and_alerts(tmp_path):
    log = tmp_path / "lc.log"
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40")
        argv = [sys.executable, "-m", "console", "--demo", "--speed", "60", "--log-file", str(log)]
        os.execv(sys.executable, argv)
    try:
        read_until(fd, b"Countdown", time.monotonic() + 30)
        deadline = time.monotonic() + 20
        while "alert firing [warn]: host:" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "no alert logged"
            read_until(fd, b"\x1b", time.monotonic() + 1)  # drain the terminal meanwhile
        os.write(fd, b"q")
        assert wait_exit(pid, time.monotonic() + 10, fd) is not None
    finally:
        reap(pid)
        os.close(fd)
    text = log.read_text()
    assert "demo console: config loaded:" in text and "demo.toml" in text
    # T-15 min on the demo: the disk is above its warning line.
    assert "alert firing [warn]: host:" in text


def test_no_log_file_means_nothing_on_stderr_either(tmp_path):
    """Without a handler, logging's last resort prints warnings to stderr: the console's
    screen. `--log-file -` must be silent."""
    result = subprocess.run(
        [sys.executable, "-m", "console", "check", "--config", "buywhere-us", "--log-file", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "CATALOG_DSN": "x",
            "PGBOUNCER_ADMIN_DSN": "y",
            "REDIS_URL": "redis://127.0.0.1:9/0",
        },
    )
    assert result.returncode == 2 and result.stderr == ""
