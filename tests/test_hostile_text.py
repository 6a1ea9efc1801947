"""Text from outside the code is data: markup and terminal control in any source field, file
name, operator input, lock or state file reach the screen as visible characters, never as
markup (which would raise MarkupError and kill the console) or raw control sequences (screen
clear, window title, OSC 52 clipboard writes). Everything here goes through the real widgets."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events
from textual.widgets import Input

from console.check import evaluate, render_table
from console.clock import FrozenClock
from console.config import CleanupRule
from console.control.live import LiveControl
from console.kinds import sim_sources
from console.readings import (
    Container,
    ContainersReading,
    HostReading,
    Pool,
    PoolReading,
    PostgresReading,
    RedisReading,
    SmokeCheck,
    SmokeReading,
    TrafficReading,
)
from console.runbook_store import RunbookStore
from console.sim import SimStack
from console.text import clean
from tests.helpers import LAUNCH, demo_app, demo_config, screen_lines, screen_segments
from widgets.confirm import ConfirmModal
from widgets.runbook import RunbookScreen, TextModal

# Markup that does not close, markup that would style, OSC 52 (clipboard), CSI 2J (clear), OSC 0
# (window title), CR, LF, NUL and a C1 CSI: each must show as characters or a visible mark.
H = "[/x][bold]\x1b]52;c;ZXZp\x07\x1b[2J\x1b]0;T\x07\r\n\x00\x9bZ"
# A file name cannot hold "/" or NUL: the same, less those.
H_FILE = "[x][bold]\x1b]52;c;ZXZp\x07\x1b[2J\x1b]0;T\x07\r\n\x9bZ"
SHOWN = clean(H)
CONTROL = {chr(c) for c in range(32)} | {chr(c) for c in range(0x7F, 0xA0)}


async def shown(pilot, *needles: str, tries: int = 100) -> str:
    """The screen's text once every needle is on it (toasts and screens land a few frames
    later on a loaded machine); the last text if they never are, for the assertion to show."""
    text = ""
    for _ in range(tries):
        text = "\n".join(screen_lines(pilot.app))
        if all(n in text for n in needles):
            break
        await pilot.pause()
    return text


def assert_safe(app) -> str:
    """The screen has no control character in any segment; returns its text."""
    for seg in screen_segments(app):
        bad = CONTROL & set(seg)
        assert not bad, f"control characters {sorted(map(ord, bad))} in {seg!r}"
    return "\n".join(screen_lines(app))


class Fixed:
    """A source that answers one prepared reading (or its error)."""

    def __init__(self, name, reading):
        self.name = name
        self.reading_type = type(reading)
        self.reading = reading

    async def read(self):
        return self.reading

    async def close(self):
        pass


def hostile_readings(at: float, h: str = H) -> list:
    return [
        ContainersReading(
            source="containers",
            at=at,
            api="api-api-1",
            containers=(
                Container(name=f"c{h}", state=h, health=h, exit_code=1),
                Container(name="api-api-1", state="running", health="healthy"),
            ),
            api_env={"USD_DEFAULT": h, "US_REGION": h},
        ),
        PoolReading(
            source="pgbouncer",
            at=at,
            pools=(
                Pool(
                    database=h,
                    user=h,
                    cl_active=1,
                    cl_waiting=0,
                    sv_active=1,
                    sv_idle=1,
                    sv_used=0,
                    pool_size=4,
                    maxwait_s=0,
                    pool_mode=h,
                ),
            ),
        ),
        PostgresReading(
            source="postgres",
            at=at,
            by_state={f"s{h}": 3},
            max_connections=40,
            migration=f"m{h}",
            product_count=5,
        ),
        RedisReading.failed("redis", at, f"ERROR: invalid literal for int(): {h}"),
        HostReading(
            source="host", at=at, disk_path=f"/d{h}", disk_used=1, disk_total=10, swap_total=0
        ),
        TrafficReading(source="traffic", at=at, window_s=60, requests=10, log_alerts={h: 3}),
        SmokeReading(
            source="smoke",
            at=at,
            checks=(
                SmokeCheck(id="api.health", title=f"t{h}", ok=False, detail=f"h{h}"),
                SmokeCheck(id="smoke.product", title="product", ok=True, detail=f"p{h}"),
            ),
        ),
    ]


def hostile_app(tmp_path, readings, **kw):
    app, clock, _ = demo_app(state_dir=str(tmp_path), **kw)
    app.poller.sources = [Fixed(r.source, r) for r in readings]
    return app, clock


async def test_every_source_field_is_shown_literally(tmp_path):
    readings = hostile_readings(LAUNCH - 900)
    app, _ = hostile_app(tmp_path, readings)
    async with app.run_test(size=(250, 70), notifications=True) as pilot:
        await app.sweep()
        await pilot.pause()
        text = assert_safe(app)
        for shown in (
            f"c{SHOWN}"[:20],  # a container name (its column is narrow)
            f"h{SHOWN}",  # the /health status
            f"p{SHOWN}",  # a product name
            f"s{SHOWN}",  # a PostgreSQL state
            f"m{SHOWN}",  # the migration
            f"log {SHOWN}",  # a log pattern
            f"disk /d{SHOWN}"[:30],  # the disk path (a label: it gives way to its value)
            f"ERROR: invalid literal for int(): {SHOWN}"[:50],  # an error: a Redis INFO value
        ):
            assert shown in text, shown
        # The checklist carries the values too (api.env, the migration): the runbook screen.
        await pilot.press("g")
        await pilot.pause()
        text = assert_safe(app)
        assert f"m{SHOWN}"[:20] in text  # the value column is narrow
    # The same texts as errors: every pane's subtitle.
    errors = [type(r).failed(r.source, r.at, f"ERROR: {H}") for r in readings]
    app, _ = hostile_app(tmp_path, errors)
    async with app.run_test(size=(250, 70), notifications=True) as pilot:
        await app.sweep()
        await pilot.pause()
        text = assert_safe(app)
        assert text.count(f"ERROR: {SHOWN}") >= 7


def test_check_table_prints_no_control_characters(tmp_path):
    table = render_table(evaluate(hostile_readings(LAUNCH), demo_config(str(tmp_path))))
    assert not CONTROL - {"\n"} & set(table)
    assert f"h{SHOWN}" in table and f"m{SHOWN}" in table
    assert all("\x1b" not in line for line in table.splitlines())


def hostile_state(path, h: str = H) -> None:
    at = LAUNCH - 600
    state = {
        "ticks": {"sentry.dsn": {"by": f"by{h}", "at": at}},
        "owners": {"Bolt": "hold"},
        "incidents": [
            {
                "id": 1,
                "severity": "P1",
                "summary": "[/api/search] returns 503",
                "opened_at": at,
                "opened_by": h,
            },
            {
                "id": 2,
                "severity": "P2",
                "summary": f"sum{h}",
                "opened_at": at,
                "opened_by": h,
                "resolved_at": at + 60,
                "root_cause": f"rc{h}",
            },
        ],
        "milestones": {"t-15m": {"passed": False, "at": at, "values": [[f"w{h}", False, h]]}},
        "manual": {"ga4_users": "140"},
    }
    path.write_text(json.dumps(state))


async def test_a_saved_incident_summary_does_not_crash_any_console(tmp_path):
    hostile_state(tmp_path / "launchday.json")
    for kw in ({}, {"display": True}):
        app, _, _ = demo_app(state_dir=str(tmp_path), **kw)
        async with app.run_test(size=(250, 70), notifications=True) as pilot:
            await app.sweep()
            await pilot.pause()
            text = assert_safe(app)
            assert "[/api/search] returns 503" in text  # the P1 gate / banner say which
            app.action_runbook()
            await pilot.pause()
            text = assert_safe(app)
            for shown in (
                "#1 [/api/search] returns 503",
                f"sum{SHOWN}: rc{SHOWN}",
                f"by{SHOWN}"[:14],  # who ticked (the value column is narrow)
                f"w{SHOWN}",
            ):
                assert shown in text, (kw, shown)
        assert app.return_code in (None, 0), kw


async def test_operator_input_is_shown_literally(tmp_path):
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(250, 70), notifications=True) as pilot:
        await app.sweep()
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, TextModal)
        # A paste is how hostile bytes reach an input: markup, escapes and all.
        app.screen.query_one(Input).post_message(events.Paste(f"P1 [/api/search] {H}"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RunbookScreen)
        text = assert_safe(app)
        assert "#1 [/api/search] [/x][bold]" in text
        # Resolve it with a hostile root cause: the all-clear toast carries the summary.
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).post_message(events.Paste(f"rc{H}"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        text = assert_safe(app)
        assert "rc[/x][bold]" in text
    saved = RunbookStore(app.config.launchday.state_path, "anyone", writable=False).state
    assert saved.incidents[0].summary.startswith("[/api/search]")  # kept as typed


async def test_file_names_in_the_cleanup_preview_are_one_line_each(tmp_path):
    # A short workspace path, so that the whole line fits the modal and cannot wrap.
    ws = Path(tempfile.mkdtemp(prefix="w"))
    try:
        await _cleanup_preview(ws, tmp_path)
    finally:
        shutil.rmtree(ws)


async def _cleanup_preview(ws, tmp_path):
    name = f"old\n{H_FILE}.json"
    old = ws / name
    old.write_bytes(b"x" * 10)
    os.utime(old, (time.time() - 9 * 86400,) * 2)
    app, _, _ = demo_app(state_dir=str(tmp_path / "state"))
    config = app.config.model_copy(
        update={
            "host": app.config.host.model_copy(update={"workspace": str(ws), "disk_path": "/"}),
            "cleanup": app.config.cleanup.model_copy(
                update={
                    "rules": [CleanupRule(under=".", glob="*.json", older_than=86400)],
                    "docker_prune": False,
                }
            ),
        }
    )
    app.config = config
    app.control = LiveControl(config)
    async with app.run_test(size=(250, 70), notifications=True) as pilot:
        await pilot.press("D")
        # The preview reads the file system in a thread: wait for it (bounded), not a frame.
        for _ in range(400):
            if isinstance(app.screen, ConfirmModal):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, ConfirmModal), [n.message for n in app._notifications]
        text = assert_safe(app)
        assert f"{ws}/old {clean(H_FILE)}.json" in text  # one line, every character visible
        await pilot.press("escape")
        await pilot.pause()
    assert old.exists()


async def test_lock_holder_text_is_shown_literally(tmp_path):
    app, _, _ = demo_app(state_dir=str(tmp_path))
    path = app.lock.path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder = {"operator": f"op{H}", "action": f"act{H}", "since": time.time(), "pid": 1}
        os.write(fd, json.dumps(holder).encode())
        async with app.run_test(size=(250, 70), notifications=True) as pilot:
            await pilot.press("P")
            await shown(pilot, "Another console holds the action lock")
            text = assert_safe(app)
            assert "Another console holds the action lock" in text
            assert f"op{SHOWN}"[:16] in text  # the toast wraps the rest
    finally:
        os.close(fd)


async def test_config_strings_are_shown_literally(tmp_path):
    base = demo_config(str(tmp_path))
    config = base.model_copy(
        update={
            "launch": base.launch.model_copy(update={"name": f"name{H}"}),
            "launchday": base.launchday.model_copy(update={"go_owners": [f"own{H}"]}),
        }
    )
    clock = FrozenClock(LAUNCH - 900)
    stack = SimStack(launch=LAUNCH, scenario="launch", seed=7)
    from console.app import LaunchConsole

    app = LaunchConsole(config, sim_sources(stack, clock), clock, live=False, detail=f"d{H}")
    async with app.run_test(size=(250, 70), notifications=True) as pilot:
        await app.sweep()
        await pilot.pause()
        text = assert_safe(app)
        assert f"name{SHOWN}" in text
        app.action_runbook()
        await pilot.pause()
        text = assert_safe(app)
        assert f"own{SHOWN}" in text


async def test_a_state_file_of_the_wrong_shape_is_kept_aside_not_a_crash(tmp_path):
    path = tmp_path / "launchday.json"
    hostile_state(path)
    state = json.loads(path.read_text())
    state["owners"] = {"Bolt": H}  # not go / hold
    state["manual"] = {"ga4_users": H}  # not a number
    path.write_text(json.dumps(state))
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await app.sweep()
        app.action_runbook()
        await shown(pilot, "unreadable", "no open incident")
        text = assert_safe(app)
        assert "unreadable" in text and "owners.Bolt" in text
        assert "no open incident" in text  # started from an empty state
    assert (tmp_path / "launchday.json.unreadable").exists()
    # The console went on from an empty state (what it keeps now is its own, not the bad file's).
    assert not path.exists() or json.loads(path.read_text())["owners"] == {}


def test_a_crash_exits_promptly_whatever_is_still_running(tmp_path):
    """A source that swallows cancellation and a thread stuck in a driver cannot hold the
    process: it ends within its exit deadlines (a few seconds), with the crash's exit code and
    the traceback printed."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tests.crash_console", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    assert result.returncode == 1, result.stderr[-2000:]
    assert "boom: a bug in the console" in result.stderr
    assert took < 30, took  # without the deadline it never ends (the 60 s timeout fires)
