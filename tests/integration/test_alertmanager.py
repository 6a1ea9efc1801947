"""Alertmanager as a source and a place for silences: a real Alertmanager on loopback."""

from __future__ import annotations

import uuid

import pytest

from console.app import LaunchConsole
from console.clock import SystemClock
from console.config import parse_config
from console.rules import Level
from console.sources.alertmanager import AlertmanagerClient, AlertmanagerSource
from tests.screen import screen_text

pytestmark = pytest.mark.stack


def am_config(prom, **alertmanager):
    raw = {
        "launch": {"at": "2026-04-23T14:00:00Z"},
        "alertmanager": {
            "url": prom.alertmanager_url,
            "matchers": ['launch="us"'],
            **alertmanager,
        },
    }
    return parse_config(raw, "alertmanager-test.toml")


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:6]}"


async def test_the_launchs_firing_alerts_join_the_alert_list(prom):
    ours, theirs = unique("ApiErrorBudgetBurn"), unique("EuCheckoutDown")
    prom.fire_alert(
        {"alertname": ours, "severity": "critical", "launch": "us"},
        {"summary": "5xx above 5% for 10m [/api/search]"},  # outside text: never markup
    )
    prom.fire_alert({"alertname": theirs, "severity": "critical", "launch": "eu"})
    config = am_config(prom)
    clock = SystemClock()
    app = LaunchConsole(config, [AlertmanagerSource(config, clock)], clock, live=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        await pilot.pause()
        alerts = {a.id: a for a in app.assessment.alerts}
        mine = [a for a in alerts.values() if ours in a.text]
        assert len(mine) == 1 and mine[0].level is Level.CRIT
        assert not [a for a in alerts.values() if theirs in a.text]  # another launch's
        text = screen_text(app)
        assert ours in text
        assert "[/api/search]" in text


async def test_a_silence_made_for_an_action_is_in_alertmanager_and_mutes_the_alert(prom):
    name = unique("RedisMemoryHigh")
    config = am_config(prom, matchers=['launch="us"', f'alertname="{name}"'])
    prom.fire_alert({"alertname": name, "severity": "warning", "launch": "us"})
    source = AlertmanagerSource(config, SystemClock())
    client = AlertmanagerClient(config.alertmanager, timeout=5)
    try:
        reading = await source.read()
        assert [a.name for a in reading.alerts] == [name]
        silence_id = await client.silence("rollback by bolt (launch-console)", "bolt")
        made = {s["id"]: s for s in prom.silences()}
        assert silence_id in made
        silence = made[silence_id]
        assert silence["status"]["state"] == "active"
        assert silence["createdBy"] == "bolt"
        assert {(m["name"], m["value"], m["isRegex"]) for m in silence["matchers"]} == {
            ("launch", "us", False),
            ("alertname", name, False),
        }
        reading = await source.read()
        assert reading.ok and reading.alerts == ()  # silenced alerts are Alertmanager's business
        await client.expire(silence_id)
        assert {s["id"]: s for s in prom.silences()}[silence_id]["status"]["state"] == "expired"
    finally:
        await source.close()
        await client.close()


async def test_a_dead_alertmanager_is_one_source_down_not_a_crash(prom):
    config = am_config(prom, url="http://127.0.0.1:9")
    reading = await AlertmanagerSource(config, SystemClock()).read()
    assert reading.error is not None and reading.error.startswith("DOWN")


def test_matchers_are_checked_when_the_config_loads(prom):
    from console.config import ConfigError

    with pytest.raises(ConfigError, match=r"alertmanager\.matchers.*not a label matcher"):
        am_config(prom, matchers=["launch=us"])


async def test_a_planned_restart_starts_with_a_silence_recorded_in_the_audit_log(
    prom, make_config, stack, tmp_path
):
    import json
    import time
    from pathlib import Path

    from console.actions.plan import execute
    from console.actions.runbook import build_plan
    from console.audit import AuditLog
    from console.control.live import LiveControl
    from console.lock import ActionLock
    from tests.stack import wait_until

    config = make_config(
        f'\n[alertmanager]\nurl = "{prom.alertmanager_url}"\nmatchers = [\'launch="us"\']\n'
        '[alertmanager.silence]\nduration = "10m"\n[actions]\nhealth_wait = "20s"\n'
    )
    control = LiveControl(config)
    audit = AuditLog(str(tmp_path / "audit.jsonl"), who="tester")
    try:
        plan = await build_plan("restart_api", config, control, time.time())
        # The plan shows the silence before anything is done, as its first step.
        assert [s.id for s in plan.steps] == ["silence_alerts", "restart_api"]
        assert 'launch="us"' in plan.steps[0].call and "10m" in plan.steps[0].call
        ok = await execute(plan, audit, ActionLock(str(tmp_path / "lock")), lambda p, s: None)
    finally:
        await control.close()
    assert ok, [(s.id, s.status, s.detail) for s in plan.steps]
    lines = [json.loads(x) for x in Path(audit.path).read_text().splitlines()]
    (made,) = [x for x in lines if x["step"] == "silence_alerts" and x["status"] == "ok"]
    silence_id = made["detail"].split()[1].rstrip(";")
    silences = {s["id"]: s for s in prom.silences()}
    assert silences[silence_id]["status"]["state"] == "active"
    from console.audit import operator

    assert silences[silence_id]["comment"] == f"restart_api by {operator()} (launch-console)"
    assert silences[silence_id]["createdBy"] == operator()
    wait_until(
        "api healthy after the restart",
        lambda: (
            stack.docker.containers.get("api-api-1").attrs["State"]["Health"]["Status"] == "healthy"
        ),
        20,
        0.2,
    )
