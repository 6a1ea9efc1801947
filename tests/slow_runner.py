"""A real runner session in a process of its own whose second step never ends: for the tests
that watch a run from a console, and kill its runner mid-step.

Usage: python -m tests.slow_runner LOCK_PATH AUDIT_PATH [GENERATION]. Prints "ready PID" once
the run is taken (the lock held, the record written, the first step done).
"""

from __future__ import annotations

import asyncio
import os
import sys

from console.actions.plan import Plan, Step
from console.actions.runner import Order, Session
from console.actions.runs import new_run_id


async def main(lock_path: str, audit_path: str, generation: int) -> None:
    started = asyncio.Event()

    async def quick() -> str:
        return "SIGHUP sent"

    async def forever() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    plan = Plan(
        "rollback",
        "Rollback (runbook 4.3)",
        [
            Step("pause_traffic", "Pause incoming US traffic", "api", "kill -HUP", "ok", quick),
            Step("restart_api", "Restart the API container", "api", "restart", "ok", forever),
            Step("verify", "Verify the rollback", "api", "GET /health", "200", quick),
        ],
    )
    order = Order(
        new_run_id(), plan.action, "bolt", {}, generation, plan.signature, lock_path, audit_path
    )
    session = Session(order)
    session.acquire()
    session.begin(plan)
    run = asyncio.ensure_future(session.execute(plan))
    await started.wait()
    print(f"ready {os.getpid()}", flush=True)
    await run


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0))
