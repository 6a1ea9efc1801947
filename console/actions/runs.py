"""A run — one confirmed plan being executed by its runner — as every console sees it.

Nothing about a run lives only in one process's memory, so that any console (the one that
started it, one started later, the war-room display) can follow it and the run outlives them all:

- the action lock's record (console.lock): the run's id, action, title and steps, who started it
  and when, the runner's pid, the lock *generation* (one more per run: a plan previewed at an
  older generation is refused), the state (`running`, then `ended` with the outcome), and where
  its audit lines start;
- the audit log: the run's lines, each marked with its id (console.audit);
- signal files beside the lock, `<run>.done` (the restore by hand is done) and `<run>.abort`
  (stop after the step running), which the runner polls: a console says something to a runner
  in another process, or another user's, without a socket to keep alive.

Whether a runner is alive is the kernel's word: it holds the lock for the whole run, and the
kernel drops the lock when it dies. A record that says `running` on a lock nobody holds is a dead
runner: the first console (or runner) to see it records `interrupted` on the step it was on
(`record_interruption`), so the audit log never ends on a bare `started`. After a host reboot
the lock's record is gone (/run is a tmpfs): the audit log's last run, unfinished with nobody
holding the lock, is recorded the same way (`unfinished_run`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from console.audit import AuditLog
from console.lock import ActionBusy, ActionLock, LockError

RUN_ID = re.compile(r"^[0-9A-Za-z-]{6,64}$")  # names files beside the lock: nothing else
MAX_READ = 4 << 20  # bytes of audit log read per poll: a run's lines are a few KB
TAIL = 256 << 10  # bytes from the end of the audit log searched for an unfinished run
DONE_STEP = ("ok", "skipped")


def new_run_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    return f"{stamp}-{secrets.token_hex(3)}"


def valid_run(value: object) -> str:
    """A run id from a file (outside text: it names files), or ""."""
    return value if isinstance(value, str) and RUN_ID.match(value) else ""


def clock_time(ts: float, zone: str) -> str:
    return f"{datetime.fromtimestamp(ts, UTC).astimezone(ZoneInfo(zone)):%H:%M %Z}"


@dataclass
class StepView:
    id: str
    title: str
    status: str = "pending"  # pending, started, ok, failed, skipped, aborted, interrupted, not run
    detail: str = ""


@dataclass
class RunView:
    """One run: its record and the audit lines it has written so far."""

    run: str
    action: str
    title: str
    operator: str
    since: float
    pid: int
    steps: list[StepView]
    audit: str
    offset: int = 0  # where in the audit log this run's lines start
    result: list[str] = field(default_factory=list)  # e.g. the rollback post, for when it is ok
    state: str = "running"  # running, ended
    outcome: str = ""  # ok, failed, aborted, interrupted (once ended)
    ended: float | None = None
    error: str = ""  # the runner's own failure, when it had one
    note: str = ""  # something about this view itself (an interruption not recorded, ...)
    _pos: int = field(default=-1, repr=False)

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def from_record(cls, record: dict) -> RunView | None:
        run = valid_run(record.get("run"))
        if not run:
            return None
        steps = []
        for s in record.get("steps") or []:
            if isinstance(s, dict):
                steps.append(StepView(str(s.get("id", "")), str(s.get("title", ""))))
        view = cls(
            run=run,
            action=str(record.get("action", "")),
            title=str(record.get("title") or record.get("action", "")),
            operator=str(record.get("operator", "")),
            since=_number(record.get("since")),
            pid=int(_number(record.get("pid"))),
            steps=steps,
            audit=str(record.get("audit", "")),
            offset=max(0, int(_number(record.get("audit_offset")))),
            result=[str(x) for x in record.get("result") or []],
        )
        view.update(record)
        return view

    def update(self, record: dict) -> None:
        """The record's state (it changes when the run ends)."""
        state = record.get("state")
        self.state = "ended" if state == "ended" else "running"
        self.outcome = str(record.get("outcome", "")) if self.state == "ended" else ""
        self.ended = _number(record.get("ended")) or None
        self.error = str(record.get("error", ""))

    def step(self, step_id: str) -> StepView:
        for s in self.steps:
            if s.id == step_id:
                return s
        added = StepView(step_id, step_id)  # not in the record (an older console's run)
        self.steps.append(added)
        return added

    def apply(self, line: dict) -> None:
        """One of this run's audit lines."""
        status, step_id = str(line.get("status", "")), str(line.get("step", ""))
        if status == "planned":
            self.step(step_id)
            return
        if status not in ("started", "ok", "failed", "skipped", "aborted", "interrupted"):
            return
        step = self.step(step_id)
        step.status, step.detail = status, str(line.get("detail", ""))
        if status in ("failed", "aborted", "interrupted"):
            after = False
            for s in self.steps:
                if after and s.status == "pending":
                    s.status = "not run"
                after = after or s is step

    def catch_up(self) -> list[dict]:
        """Read this run's new audit lines (from where the last read stopped); returns them."""
        if not self.audit:
            return []
        pos = self.offset if self._pos < 0 else self._pos
        try:
            with open(self.audit, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < pos:  # truncated under us: look again from the start
                    pos = 0
                if size == pos:
                    self._pos = pos
                    return []
                f.seek(pos)
                data = f.read(MAX_READ)
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # a line being written now is read next time
        self._pos = pos + end
        new = []
        for raw in data[:end].splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and line.get("run") == self.run:
                self.apply(line)
                new.append(line)
        return new

    # --- what it says --------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.state == "ended"

    @property
    def ok(self) -> bool:
        return self.finished and self.outcome == "ok"

    def audit_outcome(self) -> str:
        """How the audit lines say the run ended, or "" while they say it has not."""
        statuses = [s.status for s in self.steps]
        for final in ("failed", "aborted", "interrupted"):
            if final in statuses:
                return final
        if statuses and all(s in DONE_STEP for s in statuses):
            return "ok"
        return ""

    def position(self) -> tuple[int, StepView | None]:
        """(the 1-based number of the step running or next, that step)."""
        for i, s in enumerate(self.steps, 1):
            if s.status in ("started", "pending"):
                return i, s
        return len(self.steps), self.steps[-1] if self.steps else None

    def summary(self, zone: str) -> str:
        """'rollback by bolt, step 3/4 (Restart the API ...), since 10:14 EDT' or how it ended."""
        since = clock_time(self.since, zone) if self.since else "?"
        who = f"{self.action} by {self.operator}"
        if not self.finished:
            i, step = self.position()
            what = f" ({step.title})" if step is not None else ""
            return f"{who}, step {i}/{len(self.steps)}{what}, since {since}"
        ended = f" at {clock_time(self.ended, zone)}" if self.ended else ""
        return f"{who}, started {since}: {self.outcome_text()}{ended}"

    def outcome_text(self) -> str:
        if self.outcome == "ok":
            return "done, every step verified"
        stopped = next((s for s in self.steps if s.status in ("failed", "aborted")), None)
        if self.outcome == "interrupted":
            at = next((s for s in self.steps if s.status == "interrupted"), None)
            return f"INTERRUPTED at {at.id if at else 'an unknown step'} (its runner died)"
        if self.outcome == "aborted":
            return f"ABORTED before {stopped.id if stopped else 'a step'}"
        if self.outcome == "failed":
            return f"FAILED at {stopped.id if stopped else 'a step'}"
        return self.outcome or "ended"


def view_from_lines(lines: list[tuple[float, dict]]) -> RunView | None:
    """The last run among audit lines (time, record), as far as they go: what a replay shows
    (the lock's record is not recorded: titles are the steps' ids, times the lines')."""
    runs = [(t, r) for t, r in lines if isinstance(r, dict) and valid_run(r.get("run"))]
    if not runs:
        return None
    run = runs[-1][1]["run"]
    mine = [(t, r) for t, r in runs if r.get("run") == run]
    first = mine[0][1]
    view = RunView(
        run,
        str(first.get("action", "")),
        str(first.get("action", "")),
        str(first.get("operator", "")),
        mine[0][0],
        0,
        [],
        "",
    )
    for _, r in mine:
        view.apply(r)
    outcome = view.audit_outcome()
    if outcome:
        view.state, view.outcome, view.ended = "ended", outcome, mine[-1][0]
    return view


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


# --- a dead runner ----------------------------------------------------------------------------


def record_interruption(record: dict, operator: str, now: float, why: str) -> tuple[dict, str]:
    """The final record for a run whose runner is gone (the caller holds the lock), and a note
    when the audit line could not be written. The `interrupted` line names the step the runner
    was on; when the audit log says the run had in fact ended (the runner died just after its
    last line), that outcome stands and nothing is added."""
    final = {**record, "state": "ended", "ended": now}
    view = RunView.from_record(record)
    if view is None:
        final["outcome"] = "not started"
        return final, ""
    view.catch_up()
    outcome = view.audit_outcome()
    note = ""
    if not outcome:
        outcome = "interrupted"
        step = next((s for s in view.steps if s.status == "started"), None)
        if step is not None:
            where = f"during {step.id} ({step.title}): whether it took effect is not known"
        else:
            step = next((s for s in view.steps if s.status == "pending"), None)
            where = f"before {step.id}" if step else "after its last step"
        pid = f" (pid {view.pid})" if view.pid else ""
        detail = f"the runner{pid} is gone {where}; check the stack before acting again ({why})"
        try:
            audit = AuditLog(view.audit, who=operator, run=view.run)
            audit.write(view.action, step.id if step else "plan", "interrupted", detail)
        except OSError as exc:
            note = f"the interruption could not be written to {view.audit}: {exc.strerror}"
    final["outcome"] = outcome
    return final, note


def unfinished_run(audit_path: str) -> tuple[str, str, str, str] | None:
    """The audit log's last run when its lines say it never ended: (run, action, the step it was
    on or would run next, how far it got). Reads only the end of the file."""
    try:
        with open(audit_path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(max(0, size - TAIL))
            data = f.read(TAIL)
    except OSError:
        return None
    lines = []
    for raw in data.splitlines():
        with contextlib.suppress(ValueError):
            line = json.loads(raw)
            if isinstance(line, dict) and valid_run(line.get("run")):
                lines.append(line)
    if not lines:
        return None
    run = lines[-1]["run"]
    mine = [x for x in lines if x.get("run") == run]
    if any(x.get("status") in ("cancelled", "refused") for x in mine):
        return None
    view = RunView(run, str(mine[0].get("action", "")), "", "", 0.0, 0, [], audit_path)
    for x in mine:
        view.apply(x)
    if view.audit_outcome():
        return None
    step = next((s for s in view.steps if s.status in ("started", "pending")), None)
    return run, view.action, step.id if step else "plan", step.status if step else ""


def record_unfinished(
    lock: ActionLock, audit_path: str, operator: str, why: str
) -> tuple[str, str] | None:
    """After a host restart (the lock's record gone with /run): the audit log's last run, never
    ended and with no runner holding the lock, is recorded `interrupted`. (run, step) or None."""
    found = unfinished_run(audit_path)
    if found is None:
        return None
    try:
        lock.acquire(operator, "recover", keep=True)
    except LockError:
        return None  # held: a runner is alive (or someone else is recording it)
    try:
        again = unfinished_run(audit_path)
        if again is None:
            return None
        run, action, step, status = again
        where = "during" if status == "started" else "before"
        detail = (
            f"no runner holds the action lock (the host restarted?): the run stopped {where} "
            f"{step}; check the stack before acting again ({why})"
        )
        AuditLog(audit_path, who=operator, run=run).write(action, step, "interrupted", detail)
        return run, step
    except OSError:
        return None
    finally:
        lock.release(lock.record() or None)


# --- what a console says to a runner ----------------------------------------------------------


class Signals:
    """`<run>.done` and `<run>.abort` beside the lock: made once (O_EXCL, never following a link),
    holding who sent them; the runner reads and then removes them."""

    KINDS = ("done", "abort")

    def __init__(self, lock_path: str, run: str) -> None:
        self.directory = os.path.dirname(os.path.abspath(lock_path))
        self.run = valid_run(run)

    def _path(self, kind: str) -> str:
        if kind not in self.KINDS or not self.run:
            raise ValueError(f"no signal {kind!r} for run {self.run!r}")
        return os.path.join(self.directory, f"{self.run}.{kind}")

    def send(self, kind: str, operator: str) -> None:
        """Raises OSError (with the path) when it cannot be made; sent twice is sent."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        path = self._path(kind)
        try:
            fd = os.open(path, flags, 0o660)
        except FileExistsError:
            if stat.S_ISREG(os.lstat(path).st_mode):
                return  # sent already
            raise OSError(f"{path} exists and is not a regular file: refusing") from None
        try:
            os.write(fd, json.dumps({"operator": operator, "at": time.time()}).encode())
        finally:
            os.close(fd)

    def received(self, kind: str) -> str | None:
        """Who sent it, or None. In a world-writable (sticky) directory only our own or root's
        files count: anyone could make one there."""
        path = self._path(kind)
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        with contextlib.suppress(OSError):
            if os.stat(self.directory).st_mode & stat.S_IWOTH and st.st_uid not in (
                0,
                os.geteuid(),
            ):
                return None
        who = ""
        with contextlib.suppress(OSError, ValueError), open(path, "rb") as f:
            who = str(json.loads(f.read(4096)).get("operator", ""))
        return who or _owner(st.st_uid)

    def clear(self) -> None:
        for kind in self.KINDS:
            with contextlib.suppress(OSError, ValueError):
                os.unlink(self._path(kind))


def _owner(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


# --- following the run from a console ---------------------------------------------------------


class RunWatch:
    """What a console knows of the current (or last) run on this host, read again by `poll`.

    `poll` is cheap (the lock file, /proc/locks when it is held, the new bytes of the audit
    log): a console calls it every second, and a few times a second while a run is active."""

    def __init__(
        self,
        lock: ActionLock,
        operator: str,
        audit_path: str,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.lock = lock
        self.operator = operator
        self.audit_path = audit_path
        self.now = now
        self.view: RunView | None = None
        self.problem = ""
        self.generation = 0  # the lock's, at the last poll
        self.changed = False
        self._seen: tuple = ()

    @property
    def active(self) -> RunView | None:
        return self.view if self.view is not None and not self.view.finished else None

    def first_poll(self) -> list[dict]:
        """At start-up: also an unfinished run the audit log remembers (a host restart)."""
        holder, record = self.lock.peek()
        if holder is None and record.get("state") != "running":
            record_unfinished(self.lock, self.audit_path, self.operator, "found at start-up")
        return self.poll()

    def poll(self) -> list[dict]:
        """Read the run's state again; returns its audit lines new since the last poll. Sets
        `changed` when what a console shows of it changed."""
        holder, record = self.lock.peek()
        self.problem = holder.problem if holder is not None else ""
        self.generation = int(_number(record.get("generation")))
        run = valid_run(record.get("run"))
        new: list[dict] = []
        if not run:
            self.view = None
        else:
            if self.view is None or self.view.run != run:
                self.view = RunView.from_record(record)
            else:
                self.view.update(record)
            assert self.view is not None
            new = self.view.catch_up()
            if holder is None and record.get("state") in ("running", "starting"):
                new += self._record_death()
        view = self.view
        seen = (
            (view.run, view.state, view.outcome, tuple((s.status, s.detail) for s in view.steps))
            if view is not None
            else ()
        )
        self.changed, self._seen = seen != self._seen, seen
        return new

    def _record_death(self) -> list[dict]:
        """The run's runner is gone (nobody holds the lock): record it, under the lock."""
        try:
            previous = self.lock.acquire(self.operator, "recover", keep=True)
        except (ActionBusy, LockError):
            return []  # someone holds it now: a new runner, or a console recording this
        final, note = previous, ""
        try:
            if previous.get("state") in ("running", "starting"):
                final, note = record_interruption(
                    previous, self.operator, self.now(), "seen by a console"
                )
        finally:
            # Written even when the audit line could not be: the run has ended either way.
            self.lock.release(final)
        assert self.view is not None
        self.view.update(final)
        self.view.note = note
        return self.view.catch_up()
