"""The append-only audit log: one JSON line per step event, on disk before the step goes on.

Fields: ts, operator (user and SSH client), action, step, status, detail, and `run`: the id of
the run a line belongs to (console.actions.runs), so that any console can follow one run's lines
and tell when it ended. Statuses: planned / started / ok / failed / skipped per step; cancelled
(the operator said no), refused (the confirm came too late: another run since the preview),
aborted (stopped on purpose after a step), interrupted (its runner died: the step it was on).
Details are written by the actions, which never put a secret in them; as a last guard, anything
that looks like a URL with credentials is masked.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime

STATUSES = (
    "planned",
    "started",
    "ok",
    "failed",
    "skipped",
    "cancelled",
    "refused",
    "aborted",
    "interrupted",
)
# A run ends on one of these (or on its last step's ok / skipped).
FINAL = ("failed", "cancelled", "refused", "aborted", "interrupted")
_CREDENTIALS = re.compile(r"(\w+://)[^/@\s:]*:[^/@\s]*@")
log = logging.getLogger(__name__)


def operator() -> str:
    """Who is at the keyboard: the login user, and the SSH client's address when remote."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in a container: fall back to the uid
        user = f"uid{os.getuid()}"
    ssh = os.environ.get("SSH_CLIENT", "").split(" ")[0]
    return f"{user}@{ssh}" if ssh else user


class AuditLog:
    def __init__(self, path: str, who: str | None = None, run: str = "") -> None:
        self.path = path
        self.operator = who or operator()
        self.run = run  # every line carries it when set (console.actions.runs)
        # Told of every record once it is on disk (the recorder): called on the writer's thread.
        self.listeners: list[Callable[[dict], None]] = []

    def for_run(self, run: str, who: str | None = None) -> AuditLog:
        """The same log, each line marked with `run` (and written as `who`), telling the same
        listeners."""
        other = AuditLog(self.path, who or self.operator, run)
        other.listeners = self.listeners
        return other

    def write(self, action: str, step: str, status: str, detail: str = "") -> dict:
        if status not in STATUSES:
            raise ValueError(f"unknown audit status {status!r}")
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "operator": self.operator,
            "action": action,
            "step": step,
            "status": status,
            "detail": _CREDENTIALS.sub(r"\1***@", detail),
        }
        if self.run:
            record["run"] = self.run
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        # O_APPEND: concurrent consoles never interleave inside a line; fsync before returning
        # so the record is on disk before the step it records goes on. Hand-written rather than
        # a logging handler: a handler neither fsyncs nor lets a failed write stop the action.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        log.info("action %s %s %s by %s: %s", action, step, status, self.operator, record["detail"])
        for listener in self.listeners:
            listener(record)
        return record
