"""The runbook's remediation against the real Docker engine, file system and HTTPS API."""

import json
import os
import time
from pathlib import Path

import pytest

from console.actions.plan import execute
from console.actions.runbook import build_plan
from console.audit import AuditLog
from console.control.live import LiveControl
from console.lock import ActionLock
from tests.stack import IMAGE, LOOP, wait_until


@pytest.fixture()
def running_scraper(stack):
    container = stack.docker.containers.run(
        IMAGE, ["sh", "-c", LOOP], name="scraper-worker-live", detach=True, network_mode="none"
    )
    yield container.name
    container.remove(force=True)


def audited(path) -> list[tuple[str, str]]:
    return [(r["step"], r["status"]) for r in map(json.loads, Path(path).read_text().splitlines())]


async def test_rollback_on_the_real_stack(stack, make_config, running_scraper, tmp_path):
    config = make_config('\n[actions]\nhealth_wait = "20s"\nstop_timeout = "5s"\n')
    config = config.model_copy(
        update={"docker": config.docker.model_copy(update={"scraper": running_scraper})}
    )
    control = LiveControl(config)
    audit = AuditLog(str(tmp_path / "audit.jsonl"), who="tester")
    api_before = stack.docker.containers.get("api-api-1").attrs["State"]["StartedAt"]
    try:
        plan = await build_plan("rollback", config, control, time.time())
        ok = await execute(plan, audit, ActionLock(str(tmp_path / "lock")), lambda p, s: None)
    finally:
        await control.close()
    assert ok, [(s.id, s.status, s.detail) for s in plan.steps]
    assert stack.docker.containers.get(running_scraper).status == "exited"
    api = stack.docker.containers.get("api-api-1")
    assert api.status == "running" and api.attrs["State"]["StartedAt"] != api_before
    assert "search total 2841" in plan.steps[-1].detail
    # Leave the shared stack as the other tests expect it: the API container healthy again.
    wait_until(
        "api healthy after the rollback",
        lambda: (
            stack.docker.containers.get("api-api-1").attrs["State"]["Health"]["Status"] == "healthy"
        ),
        20,
        0.2,
    )
    steps = audited(audit.path)
    assert steps[:4] == [
        (s, "planned") for s in ("pause_traffic", "stop_scraper", "restart_api", "verify")
    ]
    assert steps[4:] == [
        (s, status)
        for s in ("pause_traffic", "stop_scraper", "restart_api", "verify")
        for status in ("started", "ok")
    ]


async def test_disk_cleanup_keeps_named_containers(stack, make_config, tmp_path, backups):
    ws = backups.parent
    old = ws / "scraper" / "old.json"
    old.parent.mkdir()
    old.write_bytes(b"x" * 4096)
    os.utime(old, (time.time() - 9 * 86400,) * 2)
    fresh = ws / "fresh.jsonl"
    fresh.write_bytes(b"y")
    config = make_config()
    control = LiveControl(config)
    audit = AuditLog(str(tmp_path / "audit.jsonl"), who="tester")
    try:
        plan = await build_plan("disk_cleanup", config, control, time.time())
        assert any(str(old) in line for line in plan.preview)
        ok = await execute(plan, audit, ActionLock(str(tmp_path / "lock")), lambda p, s: None)
    finally:
        await control.close()
    assert ok, [(s.id, s.status, s.detail) for s in plan.steps]
    assert not old.exists() and fresh.exists()
    assert plan.steps[0].detail.startswith("deleted 1 (4.0KiB)")
    # The stopped scraper the config names is still there to be resumed.
    assert stack.docker.containers.get("scraper-worker-fixed").status == "exited"
    assert plan.steps[-1].detail.startswith("measured; now ")
