"""One remediation at a time per host, across consoles: an flock'd file that says who holds it.

The kernel drops the lock when its holder dies, so a crashed console never blocks the next.
Hand-written on fcntl.flock rather than a library (filelock, portalocker): those add little
over these lines and none lets a refused caller read who holds the lock and since when.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Holder:
    operator: str
    action: str
    since: float
    pid: int

    def describe(self, now: float | None = None) -> str:
        age = int((now or time.time()) - self.since)
        return f"{self.operator} is running {self.action} (pid {self.pid}) for {age}s"


class ActionBusy(Exception):
    def __init__(self, holder: Holder | None) -> None:
        self.holder = holder
        super().__init__(holder.describe() if holder else "another action is running")


class ActionLock:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def holder(self) -> Holder | None:
        """Who holds the lock now, or None if nobody does."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._read(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    @staticmethod
    def _read(fd: int) -> Holder | None:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            data = json.loads(os.read(fd, 4096) or b"{}")
            return Holder(data["operator"], data["action"], float(data["since"]), int(data["pid"]))
        except (ValueError, KeyError):
            return None

    def acquire(self, operator: str, action: str) -> None:
        if self._fd is not None:
            raise ActionBusy(self._read(self._fd))
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._read(fd)
            os.close(fd)
            raise ActionBusy(holder) from None
        info = {"operator": operator, "action": action, "since": time.time(), "pid": os.getpid()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
