"""The runner: what executes a confirmed plan, holding the action lock from the first step to the
last, writing the audit log and the run's record (console.actions.runs).

Two runners behind one interface (`start`):
- `ProcessRunner` (a live console): a process of its own, in its own session and process group,
  with no terminal and none of the console's files, started with
  `python -m console.actions.runner` and handed the order and the config on its stdin. It
  builds its own plan from the order's request over its own control, and refuses when the steps
  differ from those previewed. Closing the terminal, losing SSH, SIGKILL of the console: the run
  goes on. SIGTERM (a host shutting down) stops it after the step running, recorded `aborted`.
- `InProcessRunner` (the demo, whose stack is a model in the console's memory; and tests): the
  same session in the console's own event loop. Quitting that console ends its run, recorded.

Either way, a plan is bound to the state it previewed: the console reads the lock's generation
before building the plan, and the runner, once it holds the lock, refuses the order when the
generation moved (another run happened since): the console then rebuilds the plan and asks again.
Two consoles confirming the same plan: one holds the lock and runs; the other is refused (busy,
or stale once the first has ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from console.actions.plan import Plan, Progress, run_steps
from console.actions.runs import Signals, clock_time, record_interruption
from console.audit import AuditLog
from console.lock import ActionBusy, ActionLock, LockUnusable

log = logging.getLogger(__name__)

SIGNAL_POLL = 0.2  # seconds between looks for a console's `done` / `abort`
HANDSHAKE = 45.0  # seconds a console waits for its runner to say it took the run (or not)
BUILD_TIMEOUT = 30.0  # seconds the runner may take to rebuild the plan (it holds the lock)
REFUSED_EXIT = 3


@dataclass(frozen=True)
class Order:
    """What a console hands to a runner: which plan (the request that rebuilds it, and its
    steps as previewed), for whom, at which lock generation, and where the lock and log are."""

    run: str
    action: str
    operator: str
    request: dict[str, Any]
    generation: int
    signature: list[list[str]]
    lock_path: str
    audit_path: str
    log_file: str | None = None


class Refused(Exception):
    """The runner did not take the order; nothing was done. `kind`: busy (another run holds the
    lock), stale (another run happened since the preview: rebuild), changed (the state moved:
    the rebuilt steps differ), unusable (the lock), failed (the runner could not start)."""

    def __init__(self, kind: str, message: str, generation: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.generation = generation


def describe_last(record: dict, zone: str = "UTC") -> str:
    """'rollback by rex (ok, ended 10:14 EDT)': the run that moved the generation."""
    action, who = record.get("action", "an action"), record.get("operator", "someone")
    ended = record.get("ended")
    when = f", ended {clock_time(ended, zone)}" if isinstance(ended, int | float) else ""
    return f"{action} by {who} ({record.get('outcome', 'ended')}{when})"


class Session:
    """One run, on the runner's side: `acquire` (the lock, the generation), `begin` (the steps
    match the preview: the record says running), `execute` (the steps, the signals), and the
    final record however it ends."""

    def __init__(
        self,
        order: Order,
        audit: AuditLog | None = None,
        now: Callable[[], float] = time.time,
        zone: str = "UTC",
    ) -> None:
        self.order = order
        self.lock = ActionLock(order.lock_path)
        self.audit = audit or AuditLog(order.audit_path, who=order.operator, run=order.run)
        self.signals = Signals(order.lock_path, order.run)
        self.now = now
        self.zone = zone
        self.previous: dict = {}
        self.record: dict = {}
        self.stop_reason = ""
        self._ended = False

    # --- taking the run -----------------------------------------------------------------------

    def acquire(self) -> None:
        """Hold the lock, or raise Refused. Records a dead predecessor's interruption first."""
        order = self.order
        try:
            previous = self.lock.acquire(order.operator, order.action, keep=True)
        except ActionBusy as exc:
            raise Refused("busy", f"another action holds the lock: {exc}") from None
        except LockUnusable as exc:
            raise Refused("unusable", str(exc)) from None
        if previous.get("state") in ("running", "starting"):
            previous, _ = record_interruption(
                previous, order.operator, self.now(), "seen by the next run"
            )
            self.lock.write(previous)
        self.previous = previous
        generation = int(previous.get("generation") or 0)
        if generation != order.generation:
            self.lock.release(previous)
            raise Refused(
                "stale",
                f"another run happened since this plan was previewed: "
                f"{describe_last(previous, self.zone)}",
                generation,
            )

    def abandon(self) -> None:
        """Give the lock back untouched (the plan could not be rebuilt)."""
        self.lock.release(self.previous)

    def begin(self, plan: Plan) -> None:
        """The plan about to run must be the plan previewed; then the record says running."""
        order = self.order
        if plan.signature != order.signature:
            self.abandon()
            raise Refused(
                "changed",
                "the state changed since the preview (the plan rebuilt now has other steps)",
                int(self.previous.get("generation") or 0),
            )
        try:
            offset = os.path.getsize(order.audit_path)
        except OSError:
            offset = 0
        self.record = {
            "operator": order.operator,
            "action": plan.action,
            "title": plan.title,
            "since": self.now(),
            "pid": os.getpid(),
            "run": order.run,
            "generation": order.generation + 1,
            "state": "running",
            "steps": [{"id": s.id, "title": s.title} for s in plan.steps],
            "result": plan.result,
            "audit": os.path.abspath(order.audit_path),
            "audit_offset": offset,
        }
        self.lock.write(self.record)
        self.signals.clear()  # nothing left from an earlier run of the same id (there is none)

    # --- running it ---------------------------------------------------------------------------

    def request_stop(self, reason: str, plan: Plan | None = None) -> None:
        if not self.stop_reason:
            self.stop_reason = reason
            log.info("run %s: stop requested: %s", self.order.run, reason)
        if plan is not None:
            plan.stop_requested.set()

    async def _watch_signals(self, plan: Plan) -> None:
        while True:
            who = self.signals.received("abort")
            if who is not None:
                self.request_stop(f"aborted by {who}", plan)
            who = self.signals.received("done")
            hand = plan.done_by_hand
            if who is not None and hand is not None and not hand.is_set():
                plan.done_by = who
                hand.set()
            if self.stop_reason:
                plan.stop_requested.set()
            await asyncio.sleep(SIGNAL_POLL)

    async def execute(self, plan: Plan, progress: Progress | None = None) -> str:
        """Run the steps; the outcome (ok, failed, aborted). The lock is released with the final
        record whatever happens; a cancelled run (its console quit: the in-process runner) is
        recorded `interrupted`."""
        watcher = asyncio.ensure_future(self._watch_signals(plan))
        outcome, error = "failed", ""

        def told(p: Plan, step: object) -> None:
            # Whoever shows the progress (the demo's console) must never stop the run.
            if progress is not None:
                try:
                    progress(p, step)  # type: ignore[arg-type]
                except Exception:
                    log.exception("run %s: showing its progress failed", self.order.run)

        try:
            outcome = await run_steps(plan, self.audit, told, lambda: self.stop_reason)
        except asyncio.CancelledError:
            outcome = "interrupted"
            self._interrupted(plan, "the console running it quit (the demo runs actions inside it)")
            raise
        except Exception as exc:  # the audit log cannot be written, or a bug: say it, end
            error = f"{type(exc).__name__}: {exc}"
            log.exception("run %s failed", self.order.run)
        finally:
            watcher.cancel()
            self.end(outcome, error)
        return outcome

    def _interrupted(self, plan: Plan, why: str) -> None:
        step = next((s for s in plan.steps if s.status == "started"), None)
        step = step or next((s for s in plan.steps if s.status == "pending"), None)
        with contextlib.suppress(OSError):
            self.audit.write(plan.action, step.id if step else "plan", "interrupted", why)

    def end(self, outcome: str, error: str = "") -> None:
        if self._ended:
            return
        self._ended = True
        final = {**self.record, "state": "ended", "outcome": outcome, "ended": self.now()}
        if error:
            final["error"] = error
        self.lock.release(final)
        self.signals.clear()
        log.info("run %s (%s) ended: %s", self.order.run, self.order.action, outcome)


# --- the two runners --------------------------------------------------------------------------


class Runner(Protocol):
    local: bool  # the run lives in this console's process (the demo)

    async def start(
        self, order: Order, plan: Plan, audit: AuditLog, progress: Progress | None = None
    ) -> Started:
        """Take the run, or raise Refused (nothing done)."""
        ...


@dataclass
class Started:
    run: str
    pid: int
    # The in-process runner's task (the console awaits it); None for a runner process.
    task: asyncio.Task | None = None


class InProcessRunner:
    """The demo's runner: the run in the console's own event loop, behind the same files."""

    local = True

    def __init__(self, now: Callable[[], float] = time.time, zone: str = "UTC") -> None:
        self.now = now
        self.zone = zone

    async def start(
        self, order: Order, plan: Plan, audit: AuditLog, progress: Progress | None = None
    ) -> Started:
        session = Session(order, audit.for_run(order.run, order.operator), self.now, self.zone)
        session.acquire()
        session.begin(plan)
        task = asyncio.ensure_future(session.execute(plan, progress))
        return Started(order.run, os.getpid(), task)


class ProcessRunner:
    """A live console's runner: a detached process per run."""

    local = False

    def __init__(self, config: Any, python: str = sys.executable) -> None:
        self.config = config
        self.python = python

    async def start(
        self, order: Order, plan: Plan, audit: AuditLog, progress: Progress | None = None
    ) -> Started:
        return await asyncio.to_thread(self.spawn, order)

    def spawn(self, order: Order) -> Started:
        """Start the runner and wait for its word (blocking: run in a thread)."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen(
                [self.python, "-m", "console.actions.runner"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                # Its own session and process group, no controlling terminal: the hang-up of
                # the console's terminal (SIGHUP to its group) never reaches it.
                start_new_session=True,
                close_fds=True,  # none of the console's files (its terminal, its recording)
                cwd="/",
                env=env,
            )
        except OSError as exc:
            raise Refused("failed", f"cannot start the runner: {exc.strerror}") from None
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        try:
            proc.stdin.write(pickle.dumps({"config": self.config, "order": order}))
            proc.stdin.close()
        except OSError:
            pass  # it died at once: its stderr says why
        reply = _read_line(proc.stdout, HANDSHAKE)
        if reply is None:
            if proc.poll() is None:
                # Still starting: it may yet take the run. Say so; the run bar will show it.
                threading.Thread(target=proc.wait, daemon=True).start()
                raise Refused(
                    "failed", f"the runner (pid {proc.pid}) did not answer in {HANDSHAKE:g}s"
                )
            err = proc.stderr.read().decode(errors="replace").strip().splitlines()
            raise Refused(
                "failed",
                f"the runner did not start (exit {proc.returncode})"
                + (f": {err[-1]}" if err else ""),
            )
        threading.Thread(target=_reap, args=(proc,), daemon=True).start()
        if "refused" in reply:
            raise Refused(
                str(reply["refused"]), str(reply.get("message", "")), reply.get("generation")
            )
        return Started(order.run, int(reply.get("pid") or proc.pid))


def _reap(proc: subprocess.Popen) -> None:
    """Wait for the runner (no zombie while this console lives), and close its pipes."""
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        with contextlib.suppress(Exception):
            pipe.close()


def _read_line(pipe, timeout: float) -> dict | None:
    """One JSON line from the runner within `timeout`, or None (it died, or said nothing)."""
    deadline = time.monotonic() + timeout
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(pipe, selectors.EVENT_READ)
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(pipe.fileno(), 4096)
            if not chunk:
                return None
            buf += chunk
    try:
        reply = json.loads(buf.split(b"\n", 1)[0])
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


# --- the runner process -----------------------------------------------------------------------


def _reply(message: dict) -> None:
    """Tell the console (if it is still there) whether the run was taken."""
    with contextlib.suppress(OSError, ValueError):
        os.write(1, (json.dumps(message) + "\n").encode())


def _detach_output() -> None:
    """From here on nothing goes to the console's pipes (it may be gone): the log file only."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


async def _serve(config: Any, order: Order) -> int:
    from console.actions.runbook import plan_from_request
    from console.control.live import LiveControl

    session = Session(order, zone=config.launch.zone)
    loop = asyncio.get_running_loop()
    plan: Plan | None = None

    def terminate() -> None:  # a host shutting down: end after the step running, say so
        session.request_stop("aborted: the runner got SIGTERM (host shutting down?)", plan)

    loop.add_signal_handler(signal.SIGTERM, terminate)
    control = LiveControl(config)
    try:
        try:
            session.acquire()
            try:
                plan = await asyncio.wait_for(
                    plan_from_request(order.request, config, control), BUILD_TIMEOUT
                )
            except Exception as exc:
                session.abandon()
                raise Refused(
                    "failed", f"could not rebuild the plan: {type(exc).__name__}: {exc}"
                ) from None
            session.begin(plan)
        except Refused as exc:
            _reply({"refused": exc.kind, "message": str(exc), "generation": exc.generation})
            return REFUSED_EXIT
        _reply({"accepted": order.run, "pid": os.getpid()})
        _detach_output()
        log.info("run %s: %s for %s, pid %d", order.run, order.action, order.operator, os.getpid())
        if session.stop_reason:
            plan.stop_requested.set()
        await session.execute(plan)
        return 0
    finally:
        closing = asyncio.ensure_future(control.close())
        _, hung = await asyncio.wait({closing}, timeout=5.0)
        for task in hung:
            task.cancel()


def main() -> int:
    # No terminal to lose; an interrupt meant for the console's group must not end a run.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The console that started us wrote this (our parent, through a pipe): trusted input.
    data = pickle.load(sys.stdin.buffer)
    config, order = data["config"], data["order"]
    from console import logs

    logs.setup(order.log_file)
    logs.register_config(config)
    try:
        code = asyncio.run(_serve(config, order))
    except Exception:
        log.exception("runner %s crashed", order.run)
        code = 70
    # Threads stuck in a blocking client must not keep a finished runner alive.
    sys.stdout.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
