"""The runbook on the screen: gates, go/no-go, milestones, incidents, state, posts."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from console.clock import FrozenClock
from console.judge import judge, remember
from console.judge.board import call, p0_gates
from console.judge.checks import CheckResult
from console.judge.status import launch_verdict
from console.launchday import (
    Incident,
    LaunchState,
    ladder,
    p1_too_long,
)
from console.readings import SmokeCheck, SmokeReading, TrafficReading
from console.runbook_store import RunbookStore
from console.slack import NoWebhook, post
from console.store import Store
from tests.helpers import LAUNCH, demo_app, demo_config
from widgets.runbook import PostModal, RunbookScreen


def check(cid, level="ok", value="v"):
    return CheckResult(cid, cid, "Bolt", level, value, "")


GREEN = [
    check("db.backup_age"),
    check("api.health"),
    check("affiliate.redirect"),
    check("smoke.search"),
    check("containers.running"),
    check("sources.fresh"),
]


def test_p0_gates_and_the_p1_gate():
    state, config = LaunchState(), demo_config()
    gates = p0_gates(GREEN, state, config)
    assert [g.ok for g in gates] == [True, True, True, True]
    state.incidents.append(Incident(1, "P1", "search down", 0.0, "rex"))
    gates = p0_gates([check("db.backup_age", "crit", "25h old"), *GREEN[1:]], state, config)
    assert [g.ok for g in gates] == [False, True, True, False]
    assert gates[3].value == "#1 search down"
    assert p0_gates([], LaunchState(), config)[0].ok is None  # no reading: not known, not green


def test_go_no_go_verdicts():
    config = demo_config()
    state = LaunchState(owners={o: "go" for o in config.launchday.go_owners})
    now = LAUNCH - 900
    assert call(p0_gates(GREEN, state, config), state, config, now).call == "GO"
    state.owners["Link"] = "hold"
    v = call(p0_gates(GREEN, state, config), state, config, now)
    assert (v.call, v.reason, v.new_launch) == ("HOLD", "Hold called by Link", None)
    del state.owners["Link"]
    assert call(p0_gates(GREEN, state, config), state, config, now).reason == (
        "waiting for Go from Link"
    )
    failing = [check("api.health", "crit", "HTTP 503")] + [c for c in GREEN if c.id != "api.health"]
    v = call(p0_gates(failing, state, config), state, config, now)
    assert v.call == "HOLD" and "launch delayed 30 min" in v.reason and "HTTP 503" in v.reason
    assert v.new_launch == LAUNCH + 1800  # 30 min after the planned launch


def store_with(err, p50, t=LAUNCH + 900):
    clock = FrozenClock(t)
    store = Store(clock, 4000, {})
    store.record(
        SmokeReading(
            source="smoke",
            at=t,
            checks=(SmokeCheck(id="smoke.search", title="search", ok=True, detail="total 2841"),),
        )
    )
    store.record(
        TrafficReading(
            source="traffic",
            at=t,
            window_s=60,
            requests=10000,
            errors_5xx=round(err * 100),
            p50_s=p50,
            p99_s=0.5,
        )
    )
    return store


@pytest.mark.parametrize(
    ("err", "p50", "passed"),
    [
        (0.49, 0.199, True),
        (0.5, 0.1, False),
        (0.1, 0.2, False),
        (0.0, 0.05, True),
    ],
)
def test_t15_at_its_limits(err, p50, passed):
    # "P50 < 200ms", "error rate < 0.5%": exactly at the limit is not below it.
    j = judge(store_with(err, p50), demo_config(), LaunchState(), LAUNCH + 900)
    t15 = next(m for m in j.milestones if m.id == "t+15m")
    assert t15.state == ("passed" if passed else "failed")


def test_t15_new_incident_fails_it_and_milestones_are_recorded_once():
    config = demo_config()
    state = LaunchState()
    state.incidents.append(Incident(1, "P2", "slow search", LAUNCH + 60, "atlas"))
    store = store_with(0.1, 0.1)
    assert "t+15m" not in judge(store, config, state, LAUNCH + 899).facts.milestones
    j = judge(store, config, state, LAUNCH + 900)
    assert "t+15m" in j.facts.milestones and remember(state, j)
    assert state.milestones["t+15m"]["passed"] is False
    assert ["no new P1/P2", False, "1 new"] in state.milestones["t+15m"]["values"]
    assert "t+15m" not in judge(store, config, state, LAUNCH + 960).facts.milestones


def test_p1_walks_up_its_escalation_ladder():
    incident = Incident(1, "P1", "DB pool exhausted", 1000.0, "bolt")
    assert [due for _, _, due in ladder(incident, 1000)] == [True, False, False, False]
    assert [due for _, _, due in ladder(incident, 1000 + 600)] == [True, True, False, False]
    assert [due for _, _, due in ladder(incident, 1000 + 1200)] == [True, True, True, False]
    assert [due for _, _, due in ladder(incident, 1000 + 1800)] == [True, True, True, True]
    state = LaunchState(incidents=[incident])
    assert p1_too_long(state, 1000 + 1800) is None  # "> 30 minutes"
    assert p1_too_long(state, 1000 + 1801) is incident


def test_state_survives_a_restart(tmp_path):
    path = str(tmp_path / "s" / "launchday.sqlite")
    state = LaunchState(ticks={"pagerduty": {"by": "rex", "at": 1.0}}, owners={"Bolt": "go"})
    state.incidents.append(Incident(1, "P2", "x", 2.0, "rex"))
    assert RunbookStore(path, "rex", writable=True).save(state) == []
    again = RunbookStore(path, "bolt", writable=False).state
    assert again == state


async def test_ticks_and_owner_calls_survive_a_console_restart(tmp_path):
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(160, 45)) as pilot:
        await app.sweep()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunbookScreen)
        manual = screen.view.manual_ids[0]
        screen.cursor = [c[0] for c in screen.view.checklist].index(manual)
        await pilot.press("space", "1", "2", "2")
        await pilot.pause()
    app2, _, _ = demo_app(state_dir=str(tmp_path))
    assert manual in app2.launch_state.ticks
    assert app2.launch_state.ticks[manual]["by"] == app.audit.operator
    assert app2.launch_state.owners == {"Bolt": "go", "Sol": "hold"}


async def test_a_p1_older_than_30_minutes_is_a_rollback_trigger(tmp_path):
    app, clock, _ = demo_app(state_dir=str(tmp_path), scenario="calm")
    app.launch_state.incidents.append(Incident(1, "P1", "checkout broken", clock.now(), "rex"))
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        clock.advance(1801, wall=1)
        await app.sweep()
        await pilot.pause()
        first = app.assessment.alerts[0]
        assert first.id == "rollback:p1" and first.rollback


class Catcher(BaseHTTPRequestHandler):
    bodies: ClassVar[list] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Catcher.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


async def test_webhook_receives_the_exact_text(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Catcher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("LC_TEST_HOOK", f"http://127.0.0.1:{server.server_address[1]}/hook")
        text = "[10:15 EDT] Status update\n🔴 5xx 11.6%"
        assert await post(text, "LC_TEST_HOOK") == "posted to Slack"
        assert Catcher.bodies == [{"text": text}]
        monkeypatch.delenv("LC_TEST_HOOK")
        with pytest.raises(NoWebhook, match=r"set \$LC_TEST_HOOK"):
            await post(text, "LC_TEST_HOOK")
    finally:
        server.shutdown()
        server.server_close()


async def test_copy_emits_osc52(tmp_path):
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(160, 45)) as pilot:
        written = []
        app._driver.write = written.append
        modal = PostModal([("T+15 status", "T+15 status: GREEN — latency: 60ms")])
        app.push_screen(modal)
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        encoded = base64.b64encode("T+15 status: GREEN — latency: 60ms".encode()).decode()
        assert f"\x1b]52;c;{encoded}\a" in written


def test_launch_verdict():
    config = demo_config()
    state = LaunchState()
    gates = p0_gates(GREEN, state, config)
    good = [("Product searches", "", "", True), ("Error rate (5xx)", "", "", True)]
    after = LAUNCH + 3601
    assert launch_verdict(state, good, gates, config, LAUNCH + 60)[0] == "PENDING"
    assert launch_verdict(state, good, gates, config, after) == (
        "SUCCESS",
        "all P0 gates green, targets met, no rollback",
    )
    unmeasured = [*good, ("Unique users (GA4)", "", "not measured", None)]
    assert launch_verdict(state, unmeasured, gates, config, after)[0] == "PENDING"
    state.manual["ga4_users"] = "7"
    assert launch_verdict(state, good, gates, config, after)[1].startswith("< 10 users")
    state = LaunchState(rollback_at=LAUNCH + 1200)
    word, why = launch_verdict(state, good, gates, config, LAUNCH + 1300)
    assert (word, why) == ("FAILED", "rollback executed (post-mortem)")


async def test_numbers_the_console_cannot_measure_are_entered_by_hand(tmp_path):
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"users 140", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        users = next(v for name, _, v, _ in app.screen.view.first_hour if name.startswith("Unique"))
        assert users == "140"
    saved = RunbookStore(app.config.launchday.state_path, "anyone", writable=False).state
    assert saved.manual == {"ga4_users": "140"}


async def test_the_checklist_follows_its_cursor(tmp_path):
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(160, 45)) as pilot:
        await app.sweep()
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        last = len(screen.view.checklist) - 1
        for _ in range(last + 3):  # past the end: the cursor stops at the last item
            await pilot.press("down")
        await pilot.pause()
        box = screen.query_one("#checklist-box")
        assert screen.cursor == last
        assert box.scroll_y > 0 and box.scroll_y <= last < box.scroll_y + box.size.height
