"""A rollback on the real test stack, run by its runner process, against consoles that die.

Each console is the real command (`python -m console --config ...`) in a real terminal (a tmux
window on the test's own server); what is checked is what the terminal shows and what the audit
log and the action lock say. The API stand-in answers /health 500 while a test holds the run in
its `restart_api` step (the step waits for /health), and 200 to let it finish.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from console.lock import ActionLock
from tests.stack import IMAGE, LOOP, wait_until
from tests.tmux import Tmux, alive, wait_gone

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="scripts/test installs tmux")

STEPS = ("pause_traffic", "stop_scraper", "restart_api", "verify")


class Day:
    """The files one test's consoles share (config, audit log, lock) and its terminals."""

    def __init__(self, stack, tmp_path: Path, backups: Path, scraper: str) -> None:
        self.stack = stack
        self.dir = tmp_path
        self.audit = tmp_path / "audit.jsonl"
        self.lock_path = tmp_path / "run" / "actions.lock"
        text = stack.config_toml(backups)
        text = text.replace("[docker]\n", f'[docker]\nscraper = "{scraper}"\n')
        text += f"""
[actions]
health_wait = "40s"
stop_timeout = "5s"
lock_path = "{self.lock_path}"
[audit]
path = "{self.audit}"
[launchday]
state_path = "{tmp_path / "launchday.json"}"
"""
        self.config = tmp_path / "stack.toml"
        self.config.write_text(text)
        self.tmux = Tmux(tmp_path.name[:20])
        self.n = 0

    def console(self, window: str, *extra: str) -> int:
        self.n += 1
        args = ["--config", str(self.config), "--no-record", "--log-file", str(self.dir / "log")]
        pid = self.tmux.console(window, [*args, *extra])
        self.tmux.wait_for(window, "Containers", "Countdown")
        return pid

    def lines(self) -> list[dict]:
        if not self.audit.exists():
            return []
        return [json.loads(x) for x in self.audit.read_text().splitlines()]

    def steps(self) -> list[tuple[str, str]]:
        return [(r["step"], r["status"]) for r in self.lines() if r["status"] != "planned"]

    def wait_audit(self, step: str, status: str, timeout: float = 60.0) -> None:
        wait_until(f"audit {step} {status}", lambda: (step, status) in self.steps(), timeout, 0.05)

    def record(self) -> dict:
        return json.loads(self.lock_path.read_text() or "{}")

    def confirm_rollback(self, window: str) -> None:
        self.tmux.keys(window, "R")
        self.tmux.wait_for(window, "what will be done", "type ROLLBACK")
        self.tmux.type(window, "ROLLBACK")
        self.tmux.wait_for(window, "ROLLBACK")

    def close(self) -> None:
        self.tmux.close()


@pytest.fixture()
def day(stack, tmp_path, backups):
    container = stack.docker.containers.run(
        IMAGE, ["sh", "-c", LOOP], name="scraper-worker-live", detach=True, network_mode="none"
    )
    health = stack.api.state
    health.health_status = 500  # the rollback waits in restart_api until a test says 200
    d = Day(stack, tmp_path, backups, container.name)
    try:
        yield d
    finally:
        health.health_status = 200
        d.close()
        # A runner left behind by a failed test: ours (its pid is in our own lock file).
        pid = d.record().get("pid") if d.lock_path.exists() else None
        if pid and ActionLock(str(d.lock_path)).holder() is not None:
            os.kill(int(pid), signal.SIGKILL)
        container.remove(force=True)
        wait_until(
            "api healthy again",
            lambda: (
                stack.docker.containers.get("api-api-1").attrs["State"]["Health"]["Status"]
                == "healthy"
            ),
            30,
            0.2,
        )


def kill(day: Day, how: str, window: str, pid: int) -> None:
    if how == "SIGKILL":
        os.kill(pid, signal.SIGKILL)
    elif how == "SIGHUP":
        os.kill(pid, signal.SIGHUP)
    elif how in ("q", "C-q"):  # the operator quits: asked first, told the run goes on
        day.tmux.keys(window, how)
        day.tmux.wait_for(window, "Quit during an action?", "goes on in its runner (pid")
        assert day.steps()[-1] == ("restart_api", "started")  # asking stopped nothing
        day.tmux.keys(window, "y")
    else:  # the terminal itself goes away under the console
        day.tmux.kill_window(window)
    assert wait_gone(pid, 15), f"console {pid} still there after {how}"


@pytest.mark.parametrize("how", ["SIGKILL", "SIGHUP", "closed pty", "q", "C-q"])
def test_the_rollback_outlives_its_console(day, how):
    api_before = day.stack.docker.containers.get("api-api-1").attrs["State"]["StartedAt"]
    first = day.console("first")
    day.confirm_rollback("first")
    day.tmux.keys("first", "Enter")
    day.tmux.wait_for("first", "Rollback (runbook 4.3): running", "in its runner (pid")
    day.wait_audit("restart_api", "started")
    runner = int(day.record()["pid"])
    assert runner != first
    kill(day, how, "first", first)
    assert alive(runner), "the runner died with its console"
    # A console started meanwhile shows the run, then attaches to it.
    day.console("second")
    shown = day.tmux.wait_for(
        "second", "rollback by", "step 3/4", "Restart the API container", "since"
    )
    assert "running · by" in shown  # the progress view opened by itself
    day.stack.api.state.health_status = 200
    # (A toast saying how it ended may cover the post for a few seconds: waited for, too.)
    day.tmux.wait_for("second", "Done", "every step verified", "ROLLBACK INITIATED", timeout=60)
    assert day.steps() == [(s, st) for s in STEPS for st in ("started", "ok")]
    assert ActionLock(str(day.lock_path)).holder() is None
    assert wait_gone(runner, 10)
    api = day.stack.docker.containers.get("api-api-1")
    assert api.attrs["State"]["StartedAt"] != api_before  # it did restart


def test_a_dead_runner_is_recorded_interrupted(day):
    day.console("first")
    day.confirm_rollback("first")
    day.tmux.keys("first", "Enter")
    day.wait_audit("restart_api", "started")
    runner = int(day.record()["pid"])
    os.kill(runner, signal.SIGKILL)
    assert wait_gone(runner, 10)
    day.tmux.close()  # no console saw it die
    day.tmux = Tmux(day.dir.name[:18] + "b")
    day.console("next")
    shown = day.tmux.wait_for("next", "INTERRUPTED at restart_api")
    assert "a: watch" in shown
    last = day.lines()[-1]
    assert (last["step"], last["status"]) == ("restart_api", "interrupted")
    assert f"pid {runner}" in last["detail"]
    assert ActionLock(str(day.lock_path)).holder() is None
    # Nothing is left claiming to run: a new action may start.
    day.tmux.keys("next", "a")
    day.tmux.wait_for("next", "INTERRUPTED", "check the stack before acting again")


def test_the_abort_key_stops_after_the_current_step(day):
    day.console("first")
    day.confirm_rollback("first")
    day.tmux.keys("first", "Enter")
    day.wait_audit("restart_api", "started")
    day.tmux.wait_for("first", "3. Restart the API container and wait for /health [started]")
    day.tmux.keys("first", "x")
    day.tmux.wait_for("first", "Stop Rollback", "after step 3")
    day.tmux.keys("first", "y")
    day.tmux.wait_for("first", "stops after the step running now")
    time.sleep(0.5)  # the runner has seen the request (it looks every 0.2 s): still running
    assert day.steps()[-1] == ("restart_api", "started")
    day.stack.api.state.health_status = 200
    day.tmux.wait_for("first", "ABORTED", timeout=60)
    assert day.steps()[-2:] == [("restart_api", "ok"), ("verify", "aborted")]
    assert "aborted by root" in day.lines()[-1]["detail"]
    assert ActionLock(str(day.lock_path)).holder() is None


def test_two_consoles_confirm_the_same_plan_exactly_one_runs(day):
    day.console("a")
    day.console("b")
    day.confirm_rollback("a")
    day.confirm_rollback("b")
    day.tmux.keys("a", "Enter")
    day.tmux.keys("b", "Enter")
    wait_until("one run taken", lambda: day.record().get("state") == "running", 30, 0.05)
    day.wait_audit("restart_api", "started")
    # The one refused says so, and nothing of its own ran.
    refused = [
        w for w in ("a", "b") if "Refused" in day.tmux.screen(w) or "Not run" in day.tmux.screen(w)
    ]
    deadline = time.monotonic() + 20
    while not refused and time.monotonic() < deadline:
        time.sleep(0.1)
        refused = [w for w in ("a", "b") if "Refused" in day.tmux.screen(w)]
    assert len(refused) == 1, {w: day.tmux.screen(w) for w in ("a", "b")}
    day.stack.api.state.health_status = 200
    day.wait_audit("verify", "ok")
    runs = {r["run"] for r in day.lines() if r["status"] == "planned"}
    assert len(runs) == 1
    assert [s for s, st in day.steps() if st == "started"] == list(STEPS)


def test_a_plan_previewed_before_another_run_is_refused_and_rebuilt(day):
    day.stack.api.state.health_status = 200
    day.console("a")
    day.console("b")
    day.confirm_rollback("b")  # b reads its plan ...
    day.confirm_rollback("a")
    day.tmux.keys("a", "Enter")  # ... while a runs the same one to its end
    day.tmux.wait_for("a", "every step verified", timeout=60)
    day.tmux.keys("b", "Enter")
    # The rebuilt plan, with why at its top (a toast says it too, for a few seconds).
    day.tmux.wait_for(
        "b", "Not run", "another run happened since", "Rebuilt from the state now", "what will"
    )
    day.tmux.keys("b", "Escape")
    day.tmux.wait_for("b", "Cancelled")
    statuses = [(r["step"], r["status"]) for r in day.lines()]
    assert ("plan", "refused") in statuses and statuses[-1] == ("plan", "cancelled")
    assert len({r["run"] for r in day.lines() if r["status"] == "planned"}) == 1


def test_a_runner_told_to_terminate_stops_after_its_step_recorded_aborted(day):
    """SIGTERM (a host shutting down): the step running ends, the rest are not run, the audit
    log and every console say aborted, and why."""
    day.console("first")
    day.confirm_rollback("first")
    day.tmux.keys("first", "Enter")
    day.wait_audit("restart_api", "started")
    runner = int(day.record()["pid"])
    os.kill(runner, signal.SIGTERM)
    time.sleep(0.5)  # it has seen the signal: the step still runs
    assert alive(runner) and day.steps()[-1] == ("restart_api", "started")
    day.stack.api.state.health_status = 200
    day.tmux.wait_for("first", "ABORTED", timeout=60)
    assert day.steps()[-2:] == [("restart_api", "ok"), ("verify", "aborted")]
    assert "SIGTERM" in day.lines()[-1]["detail"]
    assert wait_gone(runner, 10)
    assert day.record()["outcome"] == "aborted"
    assert ActionLock(str(day.lock_path)).holder() is None
