"""Remediation from the keyboard on the demo stack: modals, refusals, audit, lock, plans."""

import json
from pathlib import Path

from console.actions.plan import Plan, Step, execute
from console.audit import AuditLog
from console.clock import SimClock
from console.lock import ActionBusy, ActionLock
from tests.helpers import LAUNCH, demo_app, screen_lines
from widgets.confirm import ConfirmModal
from widgets.progress import ProgressScreen


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


def audit_lines(app) -> list[dict]:
    path = Path(app.audit.path)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def open_modal(pilot, key: str) -> ConfirmModal:
    await pilot.press(key)
    for _ in range(50):
        await pilot.pause()
        if isinstance(pilot.app.screen, ConfirmModal):
            return pilot.app.screen
    raise AssertionError(f"no confirmation modal after {key}")


async def finish(pilot) -> ProgressScreen:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ProgressScreen)
    return screen


async def test_cancel_is_the_default_and_nothing_runs(tmp_path):
    app, _, stack = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot, "P")
        assert app.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        for key in ("n", "escape"):
            await open_modal(pilot, "P")
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmModal)
    assert stack.scraper_running(LAUNCH)
    assert [(r["step"], r["status"]) for r in audit_lines(app)] == [("plan", "cancelled")] * 3
    assert modal.plan.action == "pause_ingestion"


async def test_y_confirms_and_every_step_is_audited(tmp_path):
    app, clock, stack = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_modal(pilot, "P")
        await pilot.press("y")
        screen = await finish(pilot)
        assert screen.view.ok and screen.view.steps[0].status == "ok"
        assert "Done" in screen_text(app) and "every step verified" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        # The key now offers the opposite: resume.
        modal = await open_modal(pilot, "P")
        assert modal.plan.action == "resume_ingestion"
    assert not stack.scraper_running(clock.now())
    lines = audit_lines(app)
    assert [(r["action"], r["step"], r["status"]) for r in lines] == [
        ("pause_ingestion", "stop_scraper", "planned"),
        ("pause_ingestion", "stop_scraper", "started"),
        ("pause_ingestion", "stop_scraper", "ok"),
    ]
    assert all(r["operator"] and r["ts"].endswith("Z") for r in lines)


async def test_rollback_needs_the_typed_word(tmp_path):
    # A simulated clock racing 600x: the restarted API is healthy again within a wall second.
    clock = SimClock(LAUNCH + 20 * 60, speed=600)
    app, clock, stack = demo_app(state_dir=str(tmp_path), clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_modal(pilot, "R")
        assert modal.plan.confirm_word == "ROLLBACK"
        assert app.screen.query_one("#confirm").disabled
        await pilot.press("y")  # not enough for a rollback
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press(*"ROLLBAC")
        await pilot.press("enter")  # wrong word: still not confirmed
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal) and not stack.events
        await pilot.press("K")
        assert not app.screen.query_one("#confirm").disabled
        await pilot.press("enter")
        screen = await finish(pilot)
        assert [s.status for s in screen.view.steps] == ["ok", "ok", "ok", "ok"], [
            (s.title, s.detail) for s in screen.view.steps
        ]
        assert "ROLLBACK INITIATED" in screen_text(app)
    kinds = [(e.kind, e.target) for e in stack.events]
    assert kinds == [
        ("signal", "api-api-1"),
        ("stop", "scraper-worker-fixed"),
        ("restart", "api-api-1"),
    ]
    # The demo reacts: the leak is gone a couple of minutes later.
    assert stack.error_rate(clock.now() + 180) < 0.5


async def test_read_only_refuses_keys_and_palette(tmp_path):
    app, _, stack = demo_app(read_only=True, state_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        await app.run_action("remediate('disk_cleanup')")
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert len(notes) == 2 and all("READ-ONLY" in m for m in notes)
    assert not stack.events and audit_lines(app) == []


async def test_another_console_holding_the_lock_is_named(tmp_path):
    app, _, stack = demo_app(state_dir=str(tmp_path))
    other = ActionLock(app.config.actions.lock_path)
    other.acquire("bolt@10.0.0.7", "disk_cleanup")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("A")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmModal)
            (note,) = [n.message for n in app._notifications]
            assert "bolt@10.0.0.7 is running disk_cleanup" in note
    finally:
        other.release()
    assert not stack.events


async def test_already_stopped_is_skipped_not_failed(tmp_path):
    app, clock, stack = demo_app(state_dir=str(tmp_path))
    from console.actions.runbook import build_plan

    plan = await build_plan("rollback", app.config, app.control, clock.now())
    stack.stop("scraper-worker-fixed", clock.now())  # someone stopped it after the preview
    step = plan.steps[1]
    assert await step.skip_if() == "already stopped (exited)"


async def test_first_failure_stops_the_run(tmp_path):
    audit = AuditLog(str(tmp_path / "a.jsonl"), who="tester")
    lock = ActionLock(str(tmp_path / "lock"))
    ran = []

    async def good():
        ran.append("good")
        return "fine"

    async def bad():
        raise RuntimeError("engine said no")

    plan = Plan(
        "restart_api",
        "t",
        [
            Step("one", "one", "x", "call one", "ok", good),
            Step("two", "two", "x", "call two", "ok", bad),
            Step("three", "three", "x", "call three", "ok", good),
        ],
    )
    ok = await execute(plan, audit, lock, lambda p, s: None)
    assert not ok and ran == ["good"]
    assert [s.status for s in plan.steps] == ["ok", "failed", "not run"]
    assert plan.steps[1].detail == "RuntimeError: engine said no"
    statuses = [json.loads(x)["status"] for x in Path(audit.path).read_text().splitlines()]
    assert statuses == ["planned"] * 3 + ["started", "ok", "started", "failed"]
    assert lock.holder() is None  # released after the run


def test_lock_names_its_holder_and_refuses_a_second(tmp_path):
    path = str(tmp_path / "lock")
    first, second = ActionLock(path), ActionLock(path)
    assert first.holder() is None
    first.acquire("rex", "rollback")
    holder = second.holder()
    assert (holder.operator, holder.action) == ("rex", "rollback")
    try:
        second.acquire("bolt", "disk_cleanup")
        raise AssertionError("two actions at once")
    except ActionBusy as busy:
        assert busy.holder.operator == "rex"
    first.release()
    second.acquire("bolt", "disk_cleanup")
    second.release()


def test_audit_lines_never_carry_credentials(tmp_path):
    audit = AuditLog(str(tmp_path / "x" / "audit.jsonl"), who="rex@10.1.2.3")
    record = audit.write("rollback", "s", "failed", "postgresql://buywhere:hunter2@db/catalog down")
    assert "hunter2" not in Path(audit.path).read_text()
    assert record["detail"] == "postgresql://***@db/catalog down"


async def test_guided_restore_waits_for_the_person_and_needs_two_names(tmp_path):
    from widgets.names import NamesModal

    app, clock, stack = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, NamesModal)
        app.screen.query_one("#operator").value = "Bolt"
        await pilot.press(*"bolt", "enter")  # the same person cannot authorise
        await pilot.pause()
        assert isinstance(app.screen, NamesModal)
        app.screen.query_one("#authoriser").value = ""
        await pilot.press(*"Rex", "enter")
        modal = None
        for _ in range(20):
            await pilot.pause()
            if isinstance(app.screen, ConfirmModal):
                modal = app.screen
                break
        assert modal is not None and modal.plan.confirm_word == "RESTORE"
        assert any("catalog-2026-04-23.sql.gz" in line for line in modal.plan.preview)
        await pilot.pause()  # let the modal take the focus before typing
        await pilot.press(*"RESTORE", "enter")
        for _ in range(50):
            await pilot.pause()
            if (
                isinstance(app.screen, ProgressScreen)
                and app.screen.view.steps[1].status == "started"
            ):
                break
        progress = app.screen
        assert [s.status for s in progress.view.steps] == ["ok", "started", "pending", "pending"]
        assert "waiting for the person restoring" in screen_text(app)
        assert not stack.scraper_running(clock.now())  # ingestion stopped while a person restores
        await pilot.press("d")
        await finish(pilot)
        assert [s.status for s in progress.view.steps] == ["ok", "ok", "ok", "ok"]
    assert stack.scraper_running(clock.now())
    details = [r["detail"] for r in audit_lines(app) if r["status"] == "planned"]
    assert all("authorised by Rex" in d for d in details)
