"""A remediation as a plan of steps, and the runner that executes it.

Every step says what it does, to which target, with which exact call, and what it expects.
The runner re-checks state just before each step (a step whose work is already done is
skipped, not failed), verifies each step after it, stops at the first failure, and writes
every event to the audit log before going on. Only one plan runs per host at a time.

`execute` holds the action lock itself (tests, scripts); the console hands a confirmed plan to a
runner (console.actions.runner), which holds the lock for the whole run and calls `run_steps`.
A run can be stopped on purpose between steps (`stop`): the step running goes on to its end,
the rest are not run, and the audit log says `aborted` and by whom.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from console.audit import AuditLog
from console.lock import ActionLock

Check = Callable[[], Awaitable[tuple[bool, str]]]


@dataclass
class Step:
    id: str
    title: str
    target: str
    call: str  # the exact call, as a person would read it
    expect: str
    run: Callable[[], Awaitable[str]]
    verify: Check | None = None
    # Just before the step: a reason to skip it (already done), or None to go on.
    skip_if: Callable[[], Awaitable[str | None]] | None = None
    status: str = "pending"  # pending, started, ok, failed, skipped, aborted, not run
    detail: str = ""


class Aborted(Exception):
    """Raised inside a step that waits (the restore by hand) when the run is stopped on purpose."""


@dataclass
class Plan:
    action: str  # rollback, disk_cleanup, restart_api, pause_ingestion, resume_ingestion
    title: str
    steps: list[Step]
    confirm_word: str = ""  # the rollback must be typed to arm its confirm button
    preview: list[str] = field(default_factory=list)  # extra lines shown before the steps
    result: list[str] = field(default_factory=list)  # lines produced by the run (a post text)
    # A step done by a person (the guided restore) waits for this; the runner sets it when a
    # console says the restore is done (and who said so, in `done_by`).
    done_by_hand: asyncio.Event | None = None
    done_by: str = ""
    # Set when someone asked to stop the run (the reason and who); a waiting step gives up.
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    # What rebuilds exactly this plan (console.actions.runbook.plan_from_request): a runner in
    # another process builds its own from it, and refuses if the steps differ from these.
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def signature(self) -> list[list[str]]:
        """The steps as previewed: what a runner's own rebuild must match exactly."""
        return [[s.id, s.title, s.target, s.call, s.expect] for s in self.steps]

    @property
    def ok(self) -> bool:
        return all(s.status in ("ok", "skipped") for s in self.steps)


Progress = Callable[[Plan, Step], None]


async def execute(plan: Plan, audit: AuditLog, lock: ActionLock, progress: Progress) -> bool:
    """Run a confirmed plan under the action lock; True when every step ended ok or skipped."""
    # Raises LockError (ActionBusy, LockUnusable): nothing has been done yet.
    lock.acquire(audit.operator, plan.action)
    try:
        return await run_steps(plan, audit, progress) == "ok"
    finally:
        lock.release()


async def run_steps(
    plan: Plan,
    audit: AuditLog,
    progress: Progress,
    stop: Callable[[], str | None] = lambda: None,
) -> str:
    """Run a confirmed plan's steps (the caller holds the lock): "ok", "failed" or "aborted".

    `stop` is asked before each step: a reason (who asked, why) ends the run there, audited as
    `aborted` on the step that would have run next."""
    for step in plan.steps:
        audit.write(plan.action, step.id, "planned", f"{step.call} -> expect {step.expect}")
    outcome = "ok"
    for i, step in enumerate(plan.steps):
        if outcome != "ok":
            step.status, step.detail = (
                "not run",
                ("an earlier step failed" if outcome == "failed" else "the run was aborted"),
            )
            progress(plan, step)
            continue
        reason = stop()
        if reason:
            rest = ", ".join(s.id for s in plan.steps[i:])
            step.status, step.detail = "aborted", f"{reason}; not run: {rest}"
            audit.write(plan.action, step.id, "aborted", step.detail)
            progress(plan, step)
            outcome = "aborted"
            continue
        await _run_step(plan, step, audit, progress)
        if step.status == "failed":
            outcome = "failed"
        elif step.status == "aborted":
            outcome = "aborted"
    return outcome


async def _run_step(plan: Plan, step: Step, audit: AuditLog, progress: Progress) -> None:
    try:
        reason = await step.skip_if() if step.skip_if else None
    except Exception as exc:
        reason, step.status = None, "failed"
        step.detail = f"could not re-check state: {type(exc).__name__}: {exc}"
        audit.write(plan.action, step.id, "failed", step.detail)
        progress(plan, step)
        return
    if reason:
        step.status, step.detail = "skipped", reason
        audit.write(plan.action, step.id, "skipped", reason)
        progress(plan, step)
        return
    step.status, step.detail = "started", ""
    audit.write(plan.action, step.id, "started", step.call)
    progress(plan, step)
    try:
        detail = await step.run()
        ok, checked = await step.verify() if step.verify else (True, "")
    except Aborted as exc:
        step.status, step.detail = "aborted", str(exc)
        audit.write(plan.action, step.id, "aborted", step.detail)
        progress(plan, step)
        return
    except Exception as exc:
        ok, detail, checked = False, "", f"{type(exc).__name__}: {exc}"
    step.status = "ok" if ok else "failed"
    step.detail = "; ".join(x for x in (detail, checked) if x)
    audit.write(plan.action, step.id, step.status, step.detail)
    progress(plan, step)


def cancelled(plan: Plan, audit: AuditLog) -> None:
    """The operator said no: one audit line, nothing else happens."""
    audit.write(plan.action, "plan", "cancelled", f"{len(plan.steps)} steps not run")
