"""One runbook state for every console on the host (issue 11, item 3): real consoles (app
instances and processes of their own) on one state path, checked on what their screens show."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console import statecodec
from console.launchday import Incident, LaunchState
from console.runbook_store import RunbookStore, store_path
from console.sharedstate import ABSENT, Change, SharedState
from tests.helpers import LAUNCH, demo_app
from tests.screen import screen_text
from widgets.runbook import RunbookScreen

ROOT = Path(__file__).resolve().parent.parent
SIZE = (200, 60)
OWNERS = ["Bolt", "Sol", "Link", "Atlas", "Lyra"]


def db(state_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{state_dir / 'launchday.sqlite'}?mode=ro", uri=True)


def history(state_dir: Path) -> list[tuple]:
    with db(state_dir) as conn:
        return conn.execute("SELECT field, key, by FROM change ORDER BY seq").fetchall()


def line(app, needle: str) -> str:
    """The rendered line of the runbook screen that holds `needle` (one box's part of it)."""
    for row in screen_text(app).splitlines():
        for part in row.split("││"):
            if needle in part:
                return part.strip("│ ")
    raise AssertionError(f"{needle!r} is not on the screen:\n{screen_text(app)}")


async def open_runbook(pilot) -> RunbookScreen:
    await pilot.press("g")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RunbookScreen)
    return screen


async def tick(pilot, screen: RunbookScreen, item: str) -> None:
    screen.cursor = [c[0] for c in screen.view.checklist].index(item)
    await pilot.press("space")
    await pilot.pause()


async def refreshed(pilot) -> None:
    """One refresh, as the clock's tick makes it, then the frame it draws."""
    pilot.app.refresh_panes()
    await pilot.pause()


# --- two consoles, one state ------------------------------------------------------------------


async def test_two_consoles_keep_each_others_ticks_and_calls(tmp_path):
    """The bug: each console rewrote the whole file from its own copy, so the second one's
    save threw away the first one's tick. Neither console refreshes in between here."""
    a, _, _ = demo_app(state_dir=str(tmp_path))
    b, _, _ = demo_app(state_dir=str(tmp_path))
    async with a.run_test(size=SIZE) as pa, b.run_test(size=SIZE) as pb:
        sa, sb = await open_runbook(pa), await open_runbook(pb)
        for round_ in range(6):
            await tick(pa, sa, "pagerduty")
            await tick(pb, sb, "comms.email")  # b has not seen a's tick yet
            await pa.press("1")  # Bolt
            await pb.press("2")  # Sol
            await pa.pause()
            await pb.pause()
            await refreshed(pa)
            await refreshed(pb)
            ticked = round_ % 2 == 0
            call = "GO" if ticked else "HOLD"
            for app in (a, b):
                assert ("ticked by" in line(app, "PagerDuty")) is ticked, round_
                assert ("ticked by" in line(app, "Countdown email")) is ticked, round_
                assert line(app, "1. Bolt").endswith(call) and line(app, "2. Sol").endswith(call)
    assert len(history(tmp_path)) == 6 * 4  # every change made, none lost or doubled


async def test_the_wall_display_shows_each_change_within_one_refresh(tmp_path):
    on_call, _, _ = demo_app(state_dir=str(tmp_path))
    wall, _, _ = demo_app(state_dir=str(tmp_path), display=True)
    async with on_call.run_test(size=SIZE) as po, wall.run_test(size=SIZE) as pw:
        so = await open_runbook(po)
        await open_runbook(pw)
        await tick(po, so, "ga4.panel")
        await refreshed(pw)
        assert "ticked by" in line(wall, "GA4 real-time panel")
        await po.press("3")
        await refreshed(pw)
        assert line(wall, "3. Link").endswith("GO")
        await po.press("i")
        await po.pause()
        await po.press(*"P1 checkout returns 500", "enter")
        await on_call.workers.wait_for_complete()
        await refreshed(pw)
        assert "P1 #1 checkout returns 500" in screen_text(wall)
        assert "#1 checkout returns 500" in line(wall, "No active P1 incident")  # the gate
        await po.press("u")
        await po.pause()
        await po.press(*"users 140", "enter")
        await on_call.workers.wait_for_complete()
        await refreshed(pw)
        assert "140" in line(wall, "Unique users (GA4)")


async def test_a_call_someone_changed_first_is_said_not_overwritten(tmp_path):
    a, _, _ = demo_app(state_dir=str(tmp_path))
    b, _, _ = demo_app(state_dir=str(tmp_path))
    async with a.run_test(size=SIZE, notifications=True) as pa, b.run_test(size=SIZE) as pb:
        await open_runbook(pa)
        await open_runbook(pb)
        await pb.press("4")  # Atlas: Go, from b
        await pb.pause()
        await pa.press("4")  # a still shows Atlas undecided: its "Go" is overtaken
        await pa.pause()
        warned = [n.message for n in a._notifications if n.severity == "warning"]
        assert any("Atlas's Go / Hold: not changed" in m and "changed it" in m for m in warned)
        assert line(a, "4. Atlas").endswith("GO")  # b's call, now on a's screen
        await pa.press("4")  # seen now: this press changes it
        await refreshed(pb)
        assert line(b, "4. Atlas").endswith("HOLD")


def run_console(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.state_console", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


async def test_two_console_processes_tick_and_call_concurrently_losing_nothing(tmp_path):
    rounds = 15
    go = tmp_path / "go"
    jobs = {
        "10.0.0.1": ("pagerduty,comms.ph", "Bolt"),
        "10.0.0.2": ("sentry.dsn,comms.social", "Lyra"),
    }
    procs = {
        ip: run_console(
            "worker",
            str(tmp_path),
            items,
            owner,
            str(rounds),
            str(go),
            env={"SSH_CLIENT": f"{ip} 50000 22"},
        )
        for ip, (items, owner) in jobs.items()
    }
    time.sleep(0.5)
    go.touch()  # both start together
    results = {ip: result(p) for ip, p in procs.items()}
    # They ran at the same time (each round is a few transactions; the runs overlap).
    (a, b) = results.values()
    assert a["started"] < b["ended"] and b["started"] < a["ended"]
    assert all(r["warnings"] == [] for r in results.values())  # no conflict, nothing refused
    user = os.environ.get("USER") or __import__("getpass").getuser()
    by = {ip: f"{user}@{ip}" for ip in jobs}
    changes = history(tmp_path)
    for ip in jobs:
        mine = [c for c in changes if c[2] == by[ip]]
        assert len(mine) == rounds * 3  # two ticks and a call per round, every one kept
    # What a console started now shows: odd rounds leave items ticked and owners on Go.
    app, _, _ = demo_app(state_dir=str(tmp_path), display=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_runbook(pilot)
        assert f"ticked by {by['10.0.0.1']}" in line(app, "PagerDuty")
        assert f"ticked by {by['10.0.0.1']}" in line(app, "Product Hunt submission")
        assert f"ticked by {by['10.0.0.2']}" in line(app, "Sentry DSN")
        assert f"ticked by {by['10.0.0.2']}" in line(app, "Social posts")
        assert line(app, "1. Bolt").endswith("GO") and line(app, "5. Lyra").endswith("GO")


def test_incidents_opened_at_once_by_three_consoles_get_distinct_numbers(tmp_path):
    go = tmp_path / "go"
    procs = [run_console("incidents", str(tmp_path), "5", str(go)) for _ in range(3)]
    time.sleep(0.5)
    go.touch()
    ids = [i for p in procs for i in result(p)["ids"]]
    assert sorted(ids) == list(range(1, 16))  # 15 incidents, no number twice, none skipped
    state = RunbookStore(str(tmp_path / "launchday.sqlite"), "x", writable=False).state
    assert [i.id for i in state.incidents] == list(range(1, 16))


# --- read-only consoles -------------------------------------------------------------------------


async def test_a_read_only_console_never_writes(tmp_path):
    """The old display saved its stale copy whenever it judged a milestone, over the
    engineer's ticks. Now: every input refused, derived facts only shown, the file untouched."""
    on_call, _, _ = demo_app(state_dir=str(tmp_path))
    async with on_call.run_test(size=SIZE) as pilot:
        screen = await open_runbook(pilot)
        await tick(pilot, screen, "pagerduty")
    before = history(tmp_path)
    files = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.suffix == ".sqlite"}
    for kw in ({"read_only": True}, {"display": True}):
        app, clock, _ = demo_app(state_dir=str(tmp_path), **kw)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_runbook(pilot)
            screen.cursor = [c[0] for c in screen.view.checklist].index("comms.email")
            for key in ("space", "1", "i", "u", "x"):  # tick, Go/Hold, incidents, numbers
                app.clear_notifications()
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, RunbookScreen), key  # no dialog opened
                told = [n.message for n in app._notifications]
                assert any(m.startswith("READ-ONLY console") for m in told), (kw, key, told)
            clock.advance(LAUNCH + 16 * 60 - clock.now())  # past T+15: a milestone is judged
            await app.sweep()
            await pilot.pause()
            assert line(app, "Initial health check")[0] in "✖✔"  # judged, and shown
            assert "ticked by" in line(app, "PagerDuty") and "to do" in line(app, "Countdown")
        assert history(tmp_path) == before, kw
    after = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.suffix == ".sqlite"}
    assert after == files


async def test_a_read_only_console_creates_nothing_and_sees_the_state_appear(tmp_path):
    wall, _, _ = demo_app(state_dir=str(tmp_path), display=True)
    async with wall.run_test(size=SIZE) as pw:
        await open_runbook(pw)
        assert list(tmp_path.iterdir()) == []
        on_call, _, _ = demo_app(state_dir=str(tmp_path))
        async with on_call.run_test(size=SIZE) as po:
            await tick(po, await open_runbook(po), "uptime.armed")
        await refreshed(pw)
        assert "ticked by" in line(wall, "Uptime monitor armed")


async def test_a_milestone_is_judged_once_by_the_first_console(tmp_path):
    first, clock_a, _ = demo_app(state_dir=str(tmp_path))
    second, clock_b, _ = demo_app(state_dir=str(tmp_path))
    async with first.run_test(size=SIZE), second.run_test(size=SIZE) as pb:
        clock_a.advance(LAUNCH + 15 * 60 + 5 - clock_a.now())
        await first.sweep()
        judged = RunbookStore(first.config.launchday.state_path, "x", writable=False).state
        at = judged.milestones["t+15m"]["at"]
        clock_b.advance(LAUNCH + 25 * 60 - clock_b.now())  # later, on other values
        await second.sweep()
        await pb.pause()
        assert second.launch_state.milestones["t+15m"]["at"] == at
    with db(tmp_path) as conn:
        rows = conn.execute(
            "SELECT key, count(*) FROM change WHERE field = 'milestones' GROUP BY key"
        ).fetchall()
    assert ("t+15m", 1) in rows and {n for _, n in rows} == {1}  # each judged once, by one


# --- migration of the JSON state file -----------------------------------------------------------

OLD = {  # as 0.x wrote launchday.json
    "ticks": {"pagerduty": {"by": "rex", "at": LAUNCH - 7000}},
    "owners": {"Bolt": "go", "Sol": "hold"},
    "incidents": [
        {
            "id": 1,
            "severity": "P2",
            "summary": "search slow",
            "opened_at": LAUNCH - 600,
            "opened_by": "rex",
            "resolved_at": None,
            "root_cause": "",
        }
    ],
    "milestones": {},
    "manual": {"ph_votes": "62"},
    "last_status_post": None,
    "rollback_at": None,
    "error_trigger_at": None,
}


async def test_an_old_json_state_file_is_migrated_once_and_kept(tmp_path):
    old = tmp_path / "launchday.json"
    old.write_text(json.dumps(OLD, indent=1))
    # A display started first reads the old file as it is (it migrates nothing).
    wall, _, _ = demo_app(state_dir=str(tmp_path), display=True)
    async with wall.run_test(size=SIZE) as pw:
        await open_runbook(pw)
        assert "ticked by rex" in line(wall, "PagerDuty") and old.exists()
        on_call, _, _ = demo_app(state_dir=str(tmp_path))
        async with on_call.run_test(size=SIZE, notifications=True) as po:
            await open_runbook(po)
            told = [n.message for n in on_call._notifications]
            assert any("migrated from" in m and str(old) in m for m in told), told
            assert "ticked by rex" in line(on_call, "PagerDuty")
            assert line(on_call, "2. Sol").endswith("HOLD")
            assert "P2 #1 search slow" in screen_text(on_call)
            await po.press("i")
            await po.pause()
            await po.press(*"P2 second one", "enter")
            await on_call.workers.wait_for_complete()
            await po.pause()
            assert "P2 #2 second one" in screen_text(on_call)  # numbering goes on
        await refreshed(pw)
        assert "P2 #2 second one" in screen_text(wall)
    assert not old.exists() and json.loads((tmp_path / "launchday.json.migrated").read_text())
    # Restarted: nothing is migrated twice.
    again, _, _ = demo_app(state_dir=str(tmp_path))
    assert len(again.launch_state.incidents) == 2 and again.runbook_store.notes == []


def test_a_json_state_path_in_an_old_config_means_the_database_beside_it(tmp_path):
    old = tmp_path / "state.json"
    old.write_text(json.dumps(OLD))
    assert store_path(str(old)) == str(tmp_path / "state.sqlite")
    store = RunbookStore(str(old), "bolt", writable=True)
    assert store.state.owners == {"Bolt": "go", "Sol": "hold"}
    assert (tmp_path / "state.sqlite").exists() and (tmp_path / "state.json.migrated").exists()
    # An old JSON file at a path without .json: migrated too, not taken for a broken database.
    plain = tmp_path / "runbook-state"
    plain.write_text(json.dumps(OLD))
    store = RunbookStore(str(plain), "bolt", writable=True)
    assert store.state.manual == {"ph_votes": "62"} and store.problem == ""
    assert (tmp_path / "runbook-state.json.migrated").exists()


# --- files that are not a runbook state ---------------------------------------------------------


async def test_a_corrupt_or_foreign_database_is_kept_aside_with_its_path_named(tmp_path):
    path = tmp_path / "launchday.sqlite"
    for content in ("garbage", "foreign"):
        for p in tmp_path.iterdir():
            p.unlink()
        if content == "garbage":
            path.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
        else:
            with sqlite3.connect(path) as other:  # somebody else's database (a recording?)
                other.execute("CREATE TABLE readings (x)")
        # A read-only console says so and leaves it where it is.
        wall, _, _ = demo_app(state_dir=str(tmp_path), display=True)
        async with wall.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
            told = " ".join(n.message for n in wall._notifications)
            assert str(path) in told and "not used" in told, told
        assert path.exists() and len(list(tmp_path.iterdir())) == 1
        # The on-call console keeps it aside, says where, and starts a new one.
        app, _, _ = demo_app(state_dir=str(tmp_path))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await open_runbook(pilot)
            told = " ".join(n.message for n in app._notifications)
            assert str(path) in told and "kept as" in told, told
            await tick(pilot, screen, "pagerduty")
            assert "ticked by" in line(app, "PagerDuty")
        aside = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
        assert len(aside) == 1 and aside[0].stat().st_size > 0


async def test_a_newer_schema_is_left_alone_and_edits_are_refused(tmp_path):
    path = tmp_path / "launchday.sqlite"
    RunbookStore(str(path), "x", writable=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_runbook(pilot)
        await tick(pilot, screen, "pagerduty")
        told = [n.message for n in app._notifications]
        assert any("newer launch-console" in m and str(path) in m for m in told), told
        assert any(m.startswith("Not saved") for m in told), told
    assert [p.name for p in tmp_path.iterdir() if "unreadable" in p.name] == []


async def test_a_row_of_the_wrong_shape_is_ignored_and_named(tmp_path):
    path = tmp_path / "launchday.sqlite"
    store = RunbookStore(str(path), "rex", writable=True)
    store.edit(lambda s: s.owners.update(Bolt="go", Sol="go"))
    with sqlite3.connect(path) as conn:  # someone with the sqlite3 shell
        conn.execute("UPDATE fact SET value = '\"maybe\"' WHERE key = 'Sol'")
    app, _, _ = demo_app(state_dir=str(tmp_path), display=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_runbook(pilot)
        told = " ".join(n.message for n in app._notifications)
        assert "field 'owners', key 'Sol'" in told and "ignored" in told, told
        assert line(app, "1. Bolt").endswith("GO") and line(app, "2. Sol").endswith("—")


# --- the file on disk -----------------------------------------------------------------------------


def test_created_for_the_group_and_never_through_a_symlink(tmp_path):
    path = tmp_path / "s" / "launchday.sqlite"
    RunbookStore(str(path), "x", writable=True).edit(lambda s: s.manual.update(ph_votes="1"))
    assert oct(path.stat().st_mode & 0o777) == "0o660"
    assert oct((tmp_path / "s").stat().st_mode & 0o777) == "0o700"  # the user's own dir
    target = tmp_path / "precious"
    target.write_text("keep me")
    link = tmp_path / "link.sqlite"
    link.symlink_to(target)
    store = RunbookStore(str(link), "x", writable=True)
    assert "symlink" in store.problem and str(link) in store.problem
    assert target.read_text() == "keep me"
    hard = tmp_path / "hard.sqlite"
    os.link(target, hard)
    assert "2 links" in RunbookStore(str(hard), "x", writable=True).problem
    assert target.read_text() == "keep me"
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    problem = RunbookStore(str(open_dir / "s.sqlite"), "x", writable=True).problem
    assert "world-writable" in problem and str(open_dir) in problem
    assert list(open_dir.iterdir()) == []


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"),
    reason="a second Unix user needs root (setpriv) and the system Python",
)
AS_NOBODY = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"]
TICK = """
import json, sys
sys.path.insert(0, sys.argv[1])
from console.sharedstate import ABSENT, Change, SharedState
s = SharedState(sys.argv[2], "nobody", writable=True)
out = {"problem": s.problem}
if not s.problem:
    s.write([Change("ticks", "pagerduty", ABSENT, {"by": "nobody", "at": 1.0})])
    out["rows"] = sorted(k for f in s.rows().values() for k in f)
print(json.dumps(out))
"""


def as_nobody(path: Path) -> dict:
    done = subprocess.run(
        [*AS_NOBODY, "/usr/bin/python3", "-c", TICK, str(ROOT), str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def traversable(path: Path) -> None:
    for parent in [path, *path.parents]:
        if str(parent) in ("/", "/tmp"):
            break
        os.chmod(parent, os.stat(parent).st_mode | 0o011)


@needs_root
def test_operators_of_one_group_share_the_state_and_others_are_told_why_not(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, 0, 65534)  # group nogroup: the operators' group, here
    os.chmod(shared, 0o2770)  # setgid: the files get the group
    traversable(shared)
    path = shared / "launchday.sqlite"
    mine = RunbookStore(str(path), "root", writable=True)
    mine.edit(lambda s: s.owners.update(Bolt="go"))
    assert as_nobody(path) == {"problem": "", "rows": ["Bolt", "pagerduty"]}
    assert mine.changed() and mine.state.ticks["pagerduty"]["by"] == "nobody"
    assert mine.row("ticks", "pagerduty").by == "nobody"  # who, per change
    assert {os.stat(p).st_gid for p in shared.iterdir()} == {65534}
    private = tmp_path / "private"
    private.mkdir(mode=0o755)
    traversable(private)
    RunbookStore(str(private / "launchday.sqlite"), "root", writable=True)
    answer = as_nobody(private / "launchday.sqlite")
    assert str(private / "launchday.sqlite") in answer["problem"]
    assert "operators' group" in answer["problem"]


# --- generic over the state's fields --------------------------------------------------------------


@dataclass
class Frozen:
    searches: float
    at: float


@dataclass
class Later(LaunchState):
    """What a later branch adds to LaunchState: nothing in the store knows these fields."""

    figures: dict[str, Frozen] = field(default_factory=dict)
    onsets: dict[str, float] = field(default_factory=dict)
    board: Frozen | None = None


def test_a_field_the_state_gains_later_is_stored_without_a_line_for_it(tmp_path):
    shared = SharedState(str(tmp_path / "s.sqlite"), "rex", writable=True)
    state = Later(
        figures={"searches": Frozen(1234.0, 5.0)},
        onsets={"error_rate_5xx": 9.0},
        board=Frozen(1.0, 2.0),
        incidents=[Incident(3, "P1", "x", 1.0, "rex")],
    )
    assert shared.write(statecodec.diff({}, statecodec.encode(state))) == []
    rows = {f: {k: r.value for k, r in keys.items()} for f, keys in shared.rows().items()}
    back = statecodec.build(Later, statecodec.plain_fields(Later, rows))
    assert back == state and isinstance(back.board, Frozen)
    assert isinstance(back.figures["searches"], Frozen)
    # Set if absent: a second judge of the same onset does not move it.
    late = Change("onsets", "error_rate_5xx", ABSENT, 99.0)
    conflicts = shared.write([late])
    assert [c.now.value for c in conflicts] == [9.0]


def test_once_shows_the_shared_state_and_writes_nothing(tmp_path):
    state = tmp_path / "launchday.sqlite"
    config = tmp_path / "launch.toml"
    config.write_text(
        f'[launch]\nat = "2026-04-23T14:00:00Z"\n[launchday]\nstate_path = "{state}"\n'
    )
    RunbookStore(str(state), "rex", writable=True).add_incident(
        lambda n: Incident(n, "P1", "checkout broken", 1.0, "rex")
    )
    before = history(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "console", "--config", str(config), "--once", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )
    assert done.returncode == 0, done.stderr
    gate = next(g for g in json.loads(done.stdout)["gates"] if g["id"] == "gate:no_p1")
    assert gate["ok"] is False and gate["value"] == "#1 checkout broken"
    assert history(tmp_path) == before


async def test_hostile_rows_reach_the_screen_as_plain_text(tmp_path):
    """The file is writable by the operators' group: a row planted by hand (markup, escape
    sequences in a key, the writer's name, its console) is shown literally, never as markup or
    terminal control, in the rows shown and in the notices about them."""
    from tests.test_hostile_text import assert_safe

    path = tmp_path / "launchday.sqlite"
    store = RunbookStore(str(path), "rex", writable=True)
    store.edit(lambda s: s.owners.update(Atlas="go"))
    evil = "\x1b]52;c;aGk=\x07[/x][bold]\x1b[2J"
    with sqlite3.connect(path) as conn:  # someone in the group, with the sqlite3 shell
        conn.execute(
            "INSERT INTO fact VALUES ('owners', ?, '\"maybe\"', 'rex', 0, 'c')", (f"K{evil}",)
        )
        conn.execute("UPDATE fact SET by = ?, console = ? WHERE key = 'Atlas'", (evil, evil))
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_runbook(pilot)
        told = " ".join(n.message for n in app._notifications)
        assert "ignored" in told and "[/x][bold]" in told, told
        assert_safe(app)
        # Someone else's call, overtaking this console's: the notice names them, literally.
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE fact SET value = '\"hold\"' WHERE key = 'Atlas'")
        app.clear_notifications()
        app.runbook_store.shared._version = None  # this console has not looked yet
        await pilot.press("4")
        await pilot.pause()
        warned = [n.message for n in app._notifications if n.severity == "warning"]
        assert warned and "[/x][bold]" in warned[0], warned
        for message in (n.message for n in app._notifications):
            assert not (set(message) & {"\x1b", "\x07"}), repr(message)
        assert_safe(app)
