"""Record, replay and report against the real test stack: a fault, a rollback, the verdict.

The console watches the real servers (Docker engine, PostgreSQL, PgBouncer, Redis, the HTTPS
API) and records. The API's /health starts answering 500 (the fault); the on-call runs the
rollback from the keyboard on the real Docker engine; the restart clears the fault. The
replay shows the same screens at the same instants, and the report names the fault with its
onset and end, the rollback with its steps, and the launch verdict.

The console's clock is stepped to the wall clock before each sweep and held during a redraw,
so that the screen of an instant is one screen (a running clock would redraw it mid-way).
"""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.app import LaunchConsole
from console.clock import FrozenClock
from console.control.live import LiveControl
from console.kinds import live_sources
from console.recording.reader import Recording
from console.recording.recorder import Recorder
from tests.screen import screen_text
from tests.stack import IMAGE, LOOP, wait_until
from tests.test_replay import REPLAY_SIZE, body, replay_app, show

SIZE = (160, 50)


@pytest.fixture()
def running_scraper(stack):
    container = stack.docker.containers.run(
        IMAGE, ["sh", "-c", LOOP], name="scraper-worker-rec", detach=True, network_mode="none"
    )
    yield container.name
    container.remove(force=True)


def at_wall(clock: FrozenClock) -> None:
    """Bring the console's clock to the wall clock (both its time and its monotonic time)."""
    clock.advance(time.time() - clock.now(), wall=time.monotonic() - clock.monotonic())


async def test_fault_rollback_recorded_replayed_reported(
    stack, make_config, running_scraper, tmp_path
):
    config = make_config('\n[actions]\nhealth_wait = "20s"\nstop_timeout = "5s"\n')
    # Launch five minutes ago: the first quarter hour of the day, on the real stack.
    launch = datetime.fromtimestamp(time.time() - 300, UTC)
    config = config.model_copy(
        update={
            "launch": config.launch.model_copy(update={"at": launch}),
            "docker": config.docker.model_copy(update={"scraper": running_scraper}),
            "audit": config.audit.model_copy(update={"path": str(tmp_path / "audit.jsonl")}),
            "actions": config.actions.model_copy(update={"lock_path": str(tmp_path / "lock")}),
            "launchday": config.launchday.model_copy(
                update={"state_path": str(tmp_path / "launchday.json")}
            ),
        }
    )
    path = str(tmp_path / "day.sqlite")
    clock = FrozenClock(time.time(), time.monotonic())
    recorder = Recorder(path, clock, config=config, mode="LIVE", detail="test stack", batch_s=0.05)
    control = LiveControl(config)
    app = LaunchConsole(
        config,
        live_sources(config, clock),
        clock,
        live=False,
        control=control,
        recorder=recorder,
    )
    # A step of the rollback moves the console's clock with it; the API restart clears the fault.
    health = stack.api.state

    def on_audit(record: dict) -> None:
        at_wall(clock)
        if record["step"] == "restart_api" and record["status"] == "started":
            health.health_status = 200

    app.audit.listeners.insert(0, on_audit)
    shots: dict[float, str] = {}

    async def moment(pilot) -> None:
        at_wall(clock)
        await app.sweep()
        await pilot.pause()
        app.refresh_panes()
        await pilot.pause()
        shots[clock.now()] = screen_text(app)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await moment(pilot)  # healthy
            healthy = clock.now()
            health.health_status = 500  # the fault
            await moment(pilot)
            fault_seen = clock.now()
            await moment(pilot)
            assert "P0 gate: API health endpoint returning 200" in shots[fault_seen]
            await pilot.press("R")
            for _ in range(100):
                await pilot.pause()
                if type(app.screen).__name__ == "ConfirmModal":
                    break
            await pilot.press(*"ROLLBACK", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.running_action is None
            await pilot.press("escape")
            await pilot.pause()
            await moment(pilot)  # after the rollback
            recovered = clock.now()
            assert "P0 gate: API health" not in shots[recovered]
    finally:
        health.health_status = 200
        wait_until(
            "api healthy after the rollback",
            lambda: (
                stack.docker.containers.get("api-api-1").attrs["State"]["Health"]["Status"]
                == "healthy"
            ),
            30,
            0.2,
        )
    assert recorder.error is None

    # Replayed: the same screens at the same instants.
    replay = replay_app(path)
    async with replay.run_test(size=REPLAY_SIZE) as pilot:
        for t, live in shots.items():
            shown = await show(replay, pilot, t)
            assert body(shown, 3) == body(live, 1), t - healthy

    # Reported: the fault with its onset and end, the rollback with its steps, the verdict.
    from console.report.write import write_report

    with Recording(path) as recording:
        written = write_report(recording, "json", str(tmp_path / "pm.json"))
    report = json.loads(Path(written).read_text())
    (fault,) = [a for a in report["alerts"] if a["id"] == "gate:api.health"]
    assert fault["level"] == "crit" and "500" in fault["text"]
    iso = lambda t: datetime.fromtimestamp(t, UTC).isoformat()  # noqa: E731
    assert iso(healthy) < fault["onset"] <= iso(fault_seen)
    assert fault["end"] is not None and iso(fault_seen) < fault["end"] <= iso(recovered)
    (rollback,) = [a for a in report["actions"] if a["action"] == "rollback"]
    # The report tells what the audit log says happened, step by step: on a quiet machine every
    # step is ok; on a loaded one the real engine's restart can miss its deadline, and then the
    # report must say where the run stopped.
    audited = [json.loads(line) for line in Path(config.audit.path).read_text().splitlines()]
    final = {r["step"]: r["status"] for r in audited if r["status"] != "planned"}
    assert [s["step"] for s in rollback["steps"]] == [
        "pause_traffic",
        "stop_scraper",
        "restart_api",
        "verify",
    ]
    assert [(s["step"], s["status"]) for s in rollback["steps"] if s["step"] in final] == list(
        final.items()
    )
    failed = [step for step, status in final.items() if status == "failed"]
    assert rollback["outcome"] == (f"failed at {failed[0]}" if failed else "ok")
    assert failed or len(final) == 4
    assert rollback["operator"] == app.audit.operator
    assert report["verdict"]["result"] == "FAILED"
    assert report["verdict"]["why"].startswith("rollback executed")
