"""A remediation as a plan of steps, and the runner that executes it.

Every step says what it does, to which target, with which exact call, and what it expects.
The runner re-checks state just before each step (a step whose work is already done is
skipped, not failed), verifies each step after it, stops at the first failure, and writes
every event to the audit log before going on. Only one plan runs per host at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

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
    status: str = "pending"  # pending, started, ok, failed, skipped, not run
    detail: str = ""


@dataclass
class Plan:
    action: str  # rollback, disk_cleanup, restart_api, pause_ingestion, resume_ingestion
    title: str
    steps: list[Step]
    confirm_word: str = ""  # the rollback must be typed to arm its confirm button
    preview: list[str] = field(default_factory=list)  # extra lines shown before the steps
    result: list[str] = field(default_factory=list)  # lines produced by the run (a post text)
    # A step done by a person (the guided restore) waits for this; the progress screen sets it.
    done_by_hand: asyncio.Event | None = None

    @property
    def ok(self) -> bool:
        return all(s.status in ("ok", "skipped") for s in self.steps)


Progress = Callable[[Plan, Step], None]


async def execute(plan: Plan, audit: AuditLog, lock: ActionLock, progress: Progress) -> bool:
    """Run a confirmed plan; True when every step ended ok or skipped."""
    # Raises LockError (ActionBusy, LockUnusable): nothing has been done yet.
    lock.acquire(audit.operator, plan.action)
    try:
        for step in plan.steps:
            audit.write(plan.action, step.id, "planned", f"{step.call} -> expect {step.expect}")
        failed = False
        for step in plan.steps:
            if failed:
                step.status, step.detail = "not run", "an earlier step failed"
                progress(plan, step)
                continue
            await _run_step(plan, step, audit, progress)
            failed = step.status == "failed"
        return not failed
    finally:
        lock.release()


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
    except Exception as exc:
        ok, detail, checked = False, "", f"{type(exc).__name__}: {exc}"
    step.status = "ok" if ok else "failed"
    step.detail = "; ".join(x for x in (detail, checked) if x)
    audit.write(plan.action, step.id, step.status, step.detail)
    progress(plan, step)


def cancelled(plan: Plan, audit: AuditLog) -> None:
    """The operator said no: one audit line, nothing else happens."""
    audit.write(plan.action, "plan", "cancelled", f"{len(plan.steps)} steps not run")
