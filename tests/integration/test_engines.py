"""Several Docker engines in one Containers pane: the test stack's engine and a second one.

The second engine (its own dockerd) runs a second API replica and a worker; one test stops it
mid-run: its rows become one DOWN row, the first engine's containers stay, fresh, and the poll
stays inside its timeout.
"""

from __future__ import annotations

import time

import pytest

from console.app import LaunchConsole
from console.clock import SystemClock
from console.config import load_config
from console.control.live import LiveControl
from console.rules import Level
from console.sources.docker_fleet import DockerFleetSource
from tests.screen import screen_text
from tests.stack import ExtraEngine
from widgets.containers import ContainersPane

pytestmark = pytest.mark.stack


@pytest.fixture()
def edge():
    engine = ExtraEngine(("api-api-2", "api-worker-2")).start()
    yield engine
    engine.stop()


@pytest.fixture()
def fleet_config(stack, backups, tmp_path, edge):
    text = stack.config_toml(backups).replace(
        f'url = "unix://{stack.docker_sock}"',
        "engines = ["
        f'{{ name = "main", url = "unix://{stack.docker_sock}" }}, '
        f'{{ name = "edge", url = "{edge.url}" }}]',
    )
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    return load_config(path)


async def test_two_engines_in_one_pane_grouped_by_host_and_one_dying(fleet_config, edge):
    clock = SystemClock()
    source = DockerFleetSource(fleet_config, clock, follow=False)
    app = LaunchConsole(fleet_config, [source], clock, live=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        await pilot.pause()
        reading = app.store.latest("containers")
        assert reading.ok
        hosts = {c.where: c.host for c in reading.containers}
        assert hosts["edge/api-api-2"] == "edge"
        assert hosts["main/api-api-1"] == "main"
        assert hosts["main/scraper-worker-fixed"] == "main"
        table = app.query_one(ContainersPane).rendered_text()
        assert "edge/api-api-2" in table and "main/api-mcp-1" in table
        # The configured services are found across the fleet: none is "missing".
        assert not [c for c in reading.containers if c.state == "missing"]

        edge.stop_engine()
        started = time.monotonic()
        await app.sweep()
        took = time.monotonic() - started
        await pilot.pause()
        reading = app.store.latest("containers")
        assert reading.ok  # one engine down is not the source down
        assert took < fleet_config.poll.containers.timeout
        (dead,) = [e for e in reading.engines if e.error]
        assert dead.name == "edge" and dead.error.startswith("DOWN")
        assert not [c for c in reading.containers if c.host == "edge"]
        assert [c for c in reading.containers if c.host == "main" and c.state == "running"]
        findings = {f.id: f for f in app.assessment.panes["containers"]}
        assert findings["engine:edge"].level is Level.CRIT
        table = app.query_one(ContainersPane).rendered_text()
        assert "edge/ (engine)" in table and "DOWN" in table
        assert "main/api-api-1" in table
        assert "engine edge" in screen_text(app)  # the alert strip names it
    await source.close()


async def test_an_action_acts_on_the_engine_its_container_is_on(fleet_config, edge):
    control = LiveControl(fleet_config)
    try:
        before = await control.container("api-api-2")
        assert (before.state, before.host) == ("running", "edge")
        await control.restart("api-api-2")
        after = await control.container("api-api-2")
        assert after.host == "edge" and after.state == "running"
        assert after.started_at != before.started_at
        # The first engine's container of the same role is untouched.
        main_api = await control.container("api-api-1")
        assert main_api.host == "main"
        assert (await control.container("no-such-container")).state == "missing"
    finally:
        await control.close()


def test_several_engines_config_is_checked(tmp_path):
    from console.config import ConfigError

    path = tmp_path / "bad.toml"
    path.write_text(
        '[launch]\nat = "2026-04-23T14:00:00Z"\n[docker]\nurl = "unix:///x.sock"\n'
        'engines = [{ name = "a", url = "unix:///a.sock" }]\n'
    )
    with pytest.raises(ConfigError, match=r"either url .* or engines"):
        load_config(path)
    path.write_text(
        '[launch]\nat = "2026-04-23T14:00:00Z"\n[docker]\n'
        'engines = [{ name = "a", url = "unix:///a.sock" }, { name = "a", url = "ssh://b" }]\n'
    )
    with pytest.raises(ConfigError, match="repeated: a"):
        load_config(path)


async def test_the_plan_names_the_engine_before_it_is_confirmed(fleet_config, edge, tmp_path):
    """With several engines, "docker restart api-api-2" is not enough to approve: the confirm
    modal names the host the step will act on, and so does the audit line of the plan."""
    config = fleet_config.model_copy(
        update={
            "docker": fleet_config.docker.model_copy(update={"api": "api-api-2"}),
            "audit": fleet_config.audit.model_copy(update={"path": str(tmp_path / "audit.jsonl")}),
            "actions": fleet_config.actions.model_copy(
                update={"lock_path": str(tmp_path / "lock")}
            ),
        }
    )
    control = LiveControl(config)
    app = LaunchConsole(config, [], SystemClock(), live=False, control=control)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("A")
            for _ in range(200):
                await pilot.pause()
                if type(app.screen).__name__ == "ConfirmModal":
                    break
            shown = screen_text(app)
            assert "target  api-api-2 on edge" in shown
            assert "docker restart api-api-2  [engine edge]" in shown
            await pilot.press("escape")  # Cancel: nothing restarts
            await pilot.pause()
            assert type(app.screen).__name__ != "ConfirmModal"
    finally:
        await control.close()  # the app closes it too; closing twice is harmless
    audit = (tmp_path / "audit.jsonl").read_text()
    assert '"cancelled"' in audit and "restart_api" in audit


async def test_the_runners_own_plan_names_the_engines_as_the_preview_did(fleet_config, edge):
    """A runner process rebuilds the confirmed plan from its request over its own control:
    with several engines its steps name the engines too, so the rebuild is the plan previewed
    (else every rollback would be refused as 'changed', or run steps the person never saw)."""
    from console.actions.runbook import plan_from_request

    config = fleet_config.model_copy(
        update={"docker": fleet_config.docker.model_copy(update={"api": "api-api-2"})}
    )
    console, runner = LiveControl(config), LiveControl(config)
    try:
        request = {"action": "rollback", "now": time.time(), "reason": ""}
        previewed = await plan_from_request(request, config, console)
        rebuilt = await plan_from_request(previewed.request, config, runner)
    finally:
        await console.close()
        await runner.close()
    restart = next(s for s in rebuilt.steps if s.id == "restart_api")
    assert restart.target == "api-api-2 on edge"
    assert restart.call.endswith("[engine edge]")
    assert rebuilt.signature == previewed.signature
