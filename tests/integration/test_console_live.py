"""The console and `check` against the real test stack."""

import json
import subprocess
import sys

from console.app import LaunchConsole
from console.clock import SystemClock
from console.kinds import live_sources
from console.rules import Level
from widgets.containers import ContainersPane
from widgets.pane import Pane

PANES = ("containers", "traffic", "smoke", "pgbouncer", "postgres", "redis", "host")


async def test_every_pane_filled_from_the_real_servers(config):
    clock = SystemClock()
    app = LaunchConsole(config, live_sources(config, clock), clock, live=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        await pilot.pause()
        for pane_id in PANES:
            latest = app.store.latest(pane_id)
            assert latest is not None and latest.ok, (pane_id, latest and latest.error)
            assert app.query_one(f"#{pane_id}").border_subtitle == ""
        # The stack has an unhealthy MCP container and an exited scraper: the pane says so.
        assert app.query_one("#containers", ContainersPane).level is Level.CRIT
        assert app.query_one("#smoke", Pane).level is Level.OK


def test_check_tells_the_truth(config):
    result = subprocess.run(
        [sys.executable, "-m", "console", "check", "--config", config.source_path, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # The unhealthy MCP container is crit: CRITICAL, as a monitoring plugin says it.
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    levels = {c["id"]: c["level"] for c in report["checks"]}
    assert set(levels) == {
        "containers.running",
        "api.health",
        "pgbouncer.pool_usage",
        "redis.ping",
        "host.disk",
        "host.swap",
        "api.env",
        "affiliate.tag",
        "db.migration",
        "db.backup_age",
        "catalog.count",
        "smoke.search",
        "smoke.product",
        "mcp.health",
        "affiliate.redirect",
        "tls.expiry",
    }
    assert levels["containers.running"] == "crit"
    value = {c["id"]: c["value"] for c in report["checks"]}["containers.running"]
    assert "api-mcp-1 unhealthy" in value
    # Everything else on the stack is healthy; disk and swap depend on the machine running CI.
    for check_id in set(levels) - {"containers.running", "host.disk", "host.swap"}:
        assert levels[check_id] == "ok", (check_id, report)
    table = subprocess.run(
        [sys.executable, "-m", "console", "check", "--config", config.source_path],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "containers.running" in table.stdout and "Bolt" in table.stdout


def test_check_with_a_bad_config_exits_78(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[launch]\n")
    result = subprocess.run(
        [sys.executable, "-m", "console", "check", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 78  # EX_CONFIG: never one of check's 0-3 verdicts
    assert result.stderr.strip() == f"launch-console: {bad}: missing key 'launch.at'"


def test_once_json_on_the_real_stack(config):
    result = subprocess.run(
        [sys.executable, "-m", "console", "--config", config.source_path, "--once", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "LIVE"
    for name, source in data["sources"].items():
        assert source["reading"]["error"] is None, (name, source["reading"])
    names = {c["name"] for c in data["sources"]["containers"]["reading"]["containers"]}
    assert {"api-api-1", "api-mcp-1"} <= names
    assert data["sources"]["containers"]["level"] == "crit"  # the unhealthy MCP container
    assert data["sources"]["pgbouncer"]["reading"]["pools"][0]["pool_size"] == 4
    assert any("api-mcp-1" in a["text"] for a in data["alerts"])
