"""Runs as every console sees them: the lock's record and generation, a plan bound to the state
it previewed, a runner in another process followed and its death recorded, the abort and the
question before quitting. The runner processes here are real (tests/slow_runner.py); the stack
is the demo's (the real stack's runner: tests/integration/test_runner_live.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.actions.plan import Plan, Step
from console.actions.runbook import plan_from_request
from console.actions.runner import Order, Refused, Session
from console.actions.runs import RunWatch, Signals, new_run_id
from console.audit import AuditLog
from console.clock import FrozenClock
from console.lock import ActionLock
from console.sim.control import SimControl
from console.sim.stack import SimStack
from tests.helpers import demo_app, demo_config
from tests.screen import screen_lines
from tests.test_actions import audit_lines, open_modal
from tests.tmux import Tmux, alive
from widgets.confirm import ConfirmModal
from widgets.progress import ProgressScreen
from widgets.question import QuestionModal

ROOT = Path(__file__).resolve().parent.parent


def text(app) -> str:
    """The terminal's rows (dialogs over their background), runs of blanks as one space."""
    return " ".join(" ".join(screen_lines(app)).split())


async def until(pilot, check, tries: int = 100) -> None:
    for _ in range(tries):
        await pilot.pause()
        if check():
            return
    raise AssertionError("the screen never got there:\n" + "\n".join(screen_lines(pilot.app)))


def quick_plan() -> Plan:
    async def done() -> str:
        return "done"

    return Plan(
        "restart_api", "Restart API", [Step("restart_api", "Restart", "api", "c", "e", done)]
    )


def order_for(plan: Plan, tmp_path: Path, generation: int = 0, who: str = "rex") -> Order:
    return Order(
        new_run_id(),
        plan.action,
        who,
        {},
        generation,
        plan.signature,
        str(tmp_path / "run" / "actions.lock"),
        str(tmp_path / "audit.jsonl"),
    )


@pytest.fixture()
def slow_runner(tmp_path):
    """A runner process holding a rollback in its second step; killed (by pid) at the end."""
    procs = []

    def start(state: Path) -> tuple[subprocess.Popen, int]:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.slow_runner",
                str(state / "actions.lock"),
                str(state / "audit.jsonl"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("ready"), line
        return proc, int(line.split()[1])

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


# --- the lock's record -------------------------------------------------------------------------


def test_the_record_outlives_its_holder_and_lookers_never_block_a_holder(tmp_path):
    path = str(tmp_path / "lock")
    lock, looker = ActionLock(path), ActionLock(path)
    assert lock.acquire("rex", "rollback", {"generation": 1}) == {}
    holder, record = looker.peek()
    assert holder is not None and record["generation"] == 1 and holder.operator == "rex"
    lock.release({"generation": 1, "state": "ended", "outcome": "ok"})
    assert looker.peek() == (None, {"generation": 1, "state": "ended", "outcome": "ok"})
    # A looker's shared probe held right now does not make the next holder's acquire fail.
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        import threading

        threading.Timer(0.05, fcntl.flock, (fd, fcntl.LOCK_UN)).start()
        previous = lock.acquire("bolt", "disk_cleanup", keep=True)
    finally:
        os.close(fd)
    assert previous["outcome"] == "ok"  # keep: the record stays until the holder writes
    assert looker.record()["outcome"] == "ok"
    lock.release(previous)


# --- 10.13: a plan is bound to the state it previewed -----------------------------------------


async def test_two_confirms_of_one_preview_run_once(tmp_path):
    first, second = quick_plan(), quick_plan()
    a = Session(order_for(first, tmp_path, generation=0))
    b = Session(order_for(second, tmp_path, generation=0, who="bolt"))
    a.acquire()
    a.begin(first)
    with pytest.raises(Refused) as busy:  # while a runs
        b.acquire()
    assert busy.value.kind == "busy"
    assert await a.execute(first) == "ok"
    with pytest.raises(Refused) as stale:  # after: another run happened since b's preview
        b.acquire()
    assert stale.value.kind == "stale" and stale.value.generation == 1
    assert "restart_api by rex (ok" in str(stale.value)
    runs = {r["run"] for r in map(json.loads, (tmp_path / "audit.jsonl").read_text().splitlines())}
    assert runs == {a.order.run}
    assert ActionLock(str(tmp_path / "run" / "actions.lock")).holder() is None


async def test_a_confirm_after_another_run_is_refused_audited_and_the_plan_rebuilt(tmp_path):
    app, _, stack = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_modal(pilot, "P")  # pause ingestion: previewed at generation 0
        # Meanwhile another console runs a plan to its end (the generation moves to 1).
        other = quick_plan()
        session = Session(
            Order(
                new_run_id(),
                other.action,
                "rex",
                {},
                0,
                other.signature,
                app.lock.path,
                app.audit.path,
            )
        )
        session.acquire()
        session.begin(other)
        await session.execute(other)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal) and "Not run" in text(app))
        # The rebuilt plan, shown again, and why.
        assert "another run happened since this plan was previewed" in text(app)
        assert not stack.events  # nothing of this console's ran
        await pilot.press("y")  # confirmed again, now against the state it shows
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen) and app.screen.view.ok
    statuses = [(r["operator"], r["step"], r["status"]) for r in audit_lines(app)]
    refused = [s for s in statuses if s[2] == "refused"]
    assert len(refused) == 1 and refused[0][1] == "plan"
    assert [e.kind for e in stack.events] == ["stop"]


# --- a run in another process -----------------------------------------------------------------


async def test_a_console_started_during_a_run_attaches_and_sees_its_runner_die(
    tmp_path, slow_runner
):
    proc, pid = slow_runner(tmp_path)
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen)  # attached at start
        shown = text(app)
        assert "rollback by bolt, step 2/3 (Restart the API container), since" in shown
        assert "2. Restart the API container [started]" in shown
        assert f"the run goes on in its runner (pid {pid})" in shown
        # q during a run asks first, and says the run goes on.
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuestionModal))
        assert f"goes on in its runner (pid {pid})" in text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ProgressScreen)
        os.kill(pid, signal.SIGKILL)
        proc.wait(10)
        app._poll_run()  # the console's 0.25 s look (timers are off in tests)
        await pilot.pause()
        shown = text(app)
        assert "INTERRUPTED" in shown and "2. Restart the API container [interrupted]" in shown
        assert "3. Verify the rollback [not run]" in shown
        assert "INTERRUPTED at restart_api (its runner died)" in shown  # the run bar
    last = audit_lines(app)[-1]
    assert (last["step"], last["status"], last["operator"]) == (
        "restart_api",
        "interrupted",
        app.audit.operator,
    )
    assert f"pid {pid}" in last["detail"]
    assert ActionLock(app.lock.path).holder() is None
    assert app.lock.record()["outcome"] == "interrupted"


async def test_a_console_glancing_at_someone_elses_run_quits_without_asking(tmp_path, slow_runner):
    """Quitting asks only in a console that started the run or shows its progress: the wall,
    or an engineer glancing at the run bar, just quits (the run never depended on them)."""
    _, pid = slow_runner(tmp_path)
    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProgressScreen)  # attached at start: q would ask
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ProgressScreen))
        assert "▶ rollback by bolt, step 2/3" in text(app)  # the bar still says it runs
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, QuestionModal)
        assert app.return_code == 0  # quit, not asked
    assert ActionLock(app.lock.path).holder() is not None  # the run goes on
    assert alive(pid)


async def test_the_wall_and_a_read_only_console_watch_a_run_and_cannot_stop_it(
    tmp_path, slow_runner
):
    _, pid = slow_runner(tmp_path)
    wall, _, _ = demo_app(state_dir=str(tmp_path), display=True)
    async with wall.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert not isinstance(wall.screen, ProgressScreen)  # the wall shows the bar only
        assert "▶ rollback by bolt, step 2/3 (Restart the API container), since" in text(wall)
        assert "a: watch" not in text(wall)
    watcher, _, _ = demo_app(state_dir=str(tmp_path), read_only=True)
    async with watcher.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        assert isinstance(watcher.screen, ProgressScreen)  # attached at start
        await pilot.press("x")
        for _ in range(5):
            await pilot.pause()
        assert not isinstance(watcher.screen, QuestionModal)  # not even asked
        assert isinstance(watcher.screen, ProgressScreen) and "[started]" in text(watcher)
    assert not list(tmp_path.glob("*.abort"))  # nothing was sent to the runner
    assert ActionLock(str(tmp_path / "actions.lock")).holder() is not None
    assert alive(pid)


def test_after_a_reboot_the_audit_logs_unfinished_run_is_recorded(tmp_path):
    # The lock's record went with /run; the audit log still ends on a bare `started`.
    audit = AuditLog(str(tmp_path / "audit.jsonl"), who="bolt", run="20260423T141400-abcdef")
    for step in ("pause_traffic", "restart_api"):
        audit.write("rollback", step, "planned", "x")
    audit.write("rollback", "pause_traffic", "started", "x")
    audit.write("rollback", "pause_traffic", "ok", "x")
    audit.write("rollback", "restart_api", "started", "x")
    lock = ActionLock(str(tmp_path / "run" / "actions.lock"))
    watch = RunWatch(lock, "rex", audit.path)
    watch.first_poll()
    lines = [json.loads(x) for x in Path(audit.path).read_text().splitlines()]
    assert (lines[-1]["step"], lines[-1]["status"], lines[-1]["run"]) == (
        "restart_api",
        "interrupted",
        "20260423T141400-abcdef",
    )
    assert "host restarted?" in lines[-1]["detail"]
    RunWatch(lock, "rex", audit.path).first_poll()  # once only
    assert len(Path(audit.path).read_text().splitlines()) == len(lines)


def test_signals_never_follow_a_planted_link(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    signals = Signals(str(tmp_path / "actions.lock"), "20260423T141400-abcdef")
    os.symlink(victim, tmp_path / "20260423T141400-abcdef.abort")
    assert signals.received("abort") is None  # a link is not a signal
    with pytest.raises(OSError):
        signals.send("abort", "bolt")  # nor written through
    assert victim.read_text() == "keep"
    with pytest.raises(ValueError):
        Signals(str(tmp_path / "actions.lock"), "../../etc/x").send("done", "bolt")


# --- stopping a run on purpose ----------------------------------------------------------------


async def test_abort_is_confirmed_and_recorded_after_the_current_step(tmp_path):
    from widgets.names import NamesModal

    app, clock, stack = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, NamesModal)
        await pilot.press(*"Bolt", "tab", *"Rex", "enter")
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, ConfirmModal):
                break
        await pilot.pause()
        await pilot.press(*"RESTORE", "enter")
        for _ in range(100):
            await pilot.pause()
            if isinstance(app.screen, ProgressScreen) and "[started]" in text(app):
                break
        assert "waiting for the person restoring" in text(app)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, QuestionModal))
        assert "The run stops after step 2" in text(app)
        assert app.focused.id == "no"  # keep running is the default
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = text(app)
        assert "ABORTED" in shown and "4. Resume ingestion [not run]" in shown
    aborted = [r for r in audit_lines(app) if r["status"] == "aborted"]
    assert len(aborted) == 1 and aborted[0]["step"] == "restore_by_hand"
    assert "ingestion stays stopped" in aborted[0]["detail"]
    assert not stack.scraper_running(clock.now())  # the safe state: ingestion stays stopped


async def test_quitting_the_demo_during_a_run_says_the_run_stops_with_it(tmp_path):
    from widgets.names import NamesModal

    app, _, _ = demo_app(state_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, NamesModal)
        await pilot.press(*"Bolt", "tab", *"Rex", "enter")
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, ConfirmModal):
                break
        await pilot.pause()
        await pilot.press(*"RESTORE", "enter")
        for _ in range(100):
            await pilot.pause()
            if isinstance(app.screen, ProgressScreen) and "[started]" in text(app):
                break
        await pilot.press("escape")  # the view closes, the run goes on
        await pilot.pause()
        assert "▶ db_restore by" in text(app)
        await pilot.press("ctrl+q")
        await until(
            pilot, lambda: "This is the demo: its actions run inside this console" in text(app)
        )
        assert isinstance(app.screen, QuestionModal)
        await pilot.press("y")
        await pilot.pause()
    last = audit_lines(app)[-1]
    assert (last["step"], last["status"]) == ("restore_by_hand", "interrupted")


# --- the confirm word, typed fast -------------------------------------------------------------


@pytest.mark.skipif(shutil.which("tmux") is None, reason="scripts/test installs tmux")
def test_the_confirm_word_typed_in_one_burst_is_kept_whole(tmp_path):
    """A burst (fast typing over SSH, a paste without bracketed paste) reaches a real console key
    by key while the focus moves from Cancel to the field: every key must land in the field.
    (Before the fix, one burst in three kept only its first letter.)"""
    tmux = Tmux("burst")
    try:
        tmux.console("demo", ["--demo", "--no-record", "--log-file", str(tmp_path / "log")])
        tmux.wait_for("demo", "Containers", "Countdown")
        for _ in range(8):
            tmux.keys("demo", "R")
            tmux.wait_for("demo", "what will be done", "type ROLLBACK and press Enter")
            tmux.type("demo", "ROLLBACK")
            shown = tmux.wait_for("demo", "▊  ROLLBACK ")  # the field, not its placeholder
            assert "type ROLLBACK and press Enter" not in shown
            tmux.keys("demo", "Escape")
            tmux.wait_for("demo", "Cancelled")
            deadline = time.monotonic() + 10
            while "what will be done" in tmux.screen("demo") and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        tmux.close()


# --- the runner's own plan ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        {"action": "rollback", "now": 0.0, "reason": ""},
        {"action": "restart_api"},
        {"action": "ingestion"},
        {"action": "disk_cleanup"},
        {"action": "db_restore", "operator": "bolt", "authoriser": "rex"},
    ],
)
async def test_the_runner_rebuilds_exactly_the_plan_previewed(tmp_path, request_):
    """A runner builds its own plan from the plan's request: every action's rebuild has the
    steps previewed (else every confirm would be refused as `changed`)."""
    config = demo_config(str(tmp_path))
    clock = FrozenClock(config.launch.epoch)
    control = SimControl(SimStack(launch=config.launch.epoch), clock, step_delay=0)
    request = {**request_, "now": clock.now()} if "now" in request_ else request_
    previewed = await plan_from_request(request, config, control)
    rebuilt = await plan_from_request(previewed.request, config, control)
    assert previewed.steps and rebuilt.signature == previewed.signature


async def test_a_rebuild_on_a_state_that_moved_is_refused_as_changed(tmp_path):
    """Pause ingestion previewed while the scraper runs; it stops before the runner rebuilds:
    the rebuilt plan (resume) is not the one confirmed, and nothing runs."""
    config = demo_config(str(tmp_path))
    clock = FrozenClock(config.launch.epoch)
    stack = SimStack(launch=config.launch.epoch)
    control = SimControl(stack, clock, step_delay=0)
    previewed = await plan_from_request({"action": "ingestion"}, config, control)
    assert previewed.action == "pause_ingestion"
    stack.stop(config.docker.scraper, clock.now())  # someone stops it by hand
    rebuilt = await plan_from_request(previewed.request, config, control)
    session = Session(order_for(previewed, tmp_path))
    session.acquire()
    with pytest.raises(Refused) as changed:
        session.begin(rebuilt)
    assert changed.value.kind == "changed"
    assert ActionLock(session.order.lock_path).holder() is None  # given back, untouched
    assert not (tmp_path / "audit.jsonl").exists()  # nothing ran, nothing claimed to
