"""The output thread: the console never waits for its terminal.

Textual's own writer thread holds 30 writes and then blocks the caller: a terminal that stops
reading (a laptop lid closed, a frozen SSH client) blocked the event loop once ~1 MB had queued,
and with it polling, alerts, a running action and every signal handler. Here `put()` never
waits. The output is kept in units (one frame each, as the driver hands them over) and written
whole, in order, by this thread. When the terminal has accepted nothing for `stall_after`
seconds while output waits, or more than `max_pending` bytes wait (a link slower than the
screen), the waiting frames are dropped, as is every new one, until the terminal has taken
everything it was given; then `on_drained` asks for one full repaint, which shows the screen
as it is now. A frame is never cut: a unit is written whole or dropped whole, so no escape
sequence is torn. Units marked `keep` (entering and leaving full-screen mode) are never
dropped. A write that fails (EIO: the terminal hung up) ends the output and calls `on_lost`.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

STALL_AFTER = 2.0  # seconds with nothing accepted while output waits: the terminal is not reading
MAX_PENDING = 512 * 1024  # bytes waiting: more, and the waiting frames go
CHUNK = 16 * 1024  # bytes per write(): progress is seen between chunks


@dataclass(slots=True)
class OutputStats:
    written: int = 0  # bytes the terminal accepted
    dropped: int = 0  # frames dropped while it did not read
    dropped_bytes: int = 0
    stalls: int = 0  # times it stopped reading (or fell behind)
    repaints: int = 0  # full repaints asked for after a stall


class TerminalWriter(threading.Thread):
    def __init__(
        self,
        fd: int,
        *,
        on_drained: Callable[[], object],
        on_lost: Callable[[str], object],
        encoding: str = "utf-8",
        errors: str = "strict",
        stall_after: float = STALL_AFTER,
        max_pending: int = MAX_PENDING,
    ) -> None:
        super().__init__(daemon=True, name="launch-console-output")
        self._fd = fd
        self._on_drained = on_drained
        self._on_lost = on_lost
        self._encoding = encoding
        self._errors = errors
        self.stall_after = stall_after
        self.max_pending = max_pending
        self._cond = threading.Condition()
        self._units: deque[tuple[bytes, bool]] = deque()
        self._pending = 0  # bytes in _units
        # monotonic: when the write in progress last made progress (None: not writing)
        self._progress_at: float | None = None
        self._stalled_since: float | None = None
        self._repaint = False
        self._stopping = False
        self.lost: str | None = None
        self.stats = OutputStats()

    # --- the console's side: never blocks -----------------------------------------------------

    def put(self, text: str, keep: bool = False) -> None:
        data = text.encode(self._encoding, self._errors)
        if not data:
            return
        note = ""
        with self._cond:
            if self.lost is not None or self._stopping:
                return
            if not keep:
                note = self._check_stall()
                if self._stalled_since is not None:
                    self._drop_waiting()
                    self.stats.dropped += 1
                    self.stats.dropped_bytes += len(data)
                    self._repaint = True
                    data = b""
            if data:
                self._units.append((data, keep))
                self._pending += len(data)
                self._cond.notify()
        if note:
            log.warning("%s", note)

    @property
    def stalled(self) -> bool:
        return self._stalled_since is not None

    def _check_stall(self) -> str:
        """Under the lock: has the terminal stopped reading (or fallen behind)? The note to log
        when this is the moment it is found."""
        if self._stalled_since is not None:
            return ""
        # Only while a write is in progress: the stall then ends when that write completes
        # (_after_write), which it always does once the terminal reads again.
        progress = self._progress_at
        if progress is None:
            return ""
        now = time.monotonic()
        if now - progress >= self.stall_after:
            why = f"it accepted nothing for {now - progress:.1f}s"
        elif self._pending > self.max_pending:
            why = f"{self._pending // 1024} KiB of output wait for it"
        else:
            return ""
        self._stalled_since = progress
        self.stats.stalls += 1
        return (
            f"terminal: not reading ({why}); frames are dropped until it reads again, "
            "then the screen is repainted whole"
        )

    def _drop_waiting(self) -> None:
        kept = deque(unit for unit in self._units if unit[1])
        for data, keep in self._units:
            if not keep:
                self.stats.dropped += 1
                self.stats.dropped_bytes += len(data)
        self._units = kept
        self._pending = sum(len(data) for data, _ in kept)

    def stop(self, timeout: float = 1.0) -> bool:
        """Write what is waiting (the way out of full-screen mode), then end; give up after
        `timeout` (a terminal that does not read). True if the thread ended."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self.is_alive():
            self.join(timeout)
        return not self.is_alive()

    # --- the thread ------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._units and not self._stopping:
                    self._cond.wait()
                if not self._units:
                    return
                data, _ = self._units.popleft()
                self._pending -= len(data)
                self._progress_at = time.monotonic()
            if not self._write(data):
                return
            self._after_write()

    def _after_write(self) -> None:
        with self._cond:
            self._progress_at = None
            if self._units or self._stalled_since is None:
                return
            stalled_for = time.monotonic() - self._stalled_since
            self._stalled_since = None
            repaint, self._repaint = self._repaint, False
            dropped = self.stats.dropped
        log.info(
            "terminal: reading again after %.1fs (%d frames dropped so far)%s",
            stalled_for,
            dropped,
            "; repainting the screen" if repaint else "",
        )
        if repaint:
            self.stats.repaints += 1
            self._on_drained()

    def _write(self, data: bytes) -> bool:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view[:CHUNK])
            except BlockingIOError:
                # Another program left the terminal non-blocking: wait until it takes more.
                select.select([], [self._fd], [], 1.0)
                continue
            except OSError as exc:
                self._lose(f"writing to the terminal failed: {exc.strerror or exc}")
                return False
            view = view[written:]
            self.stats.written += written
            self._progress_at = time.monotonic()
        return True

    def _lose(self, reason: str) -> None:
        with self._cond:
            self.lost = reason
            self._units.clear()
            self._pending = 0
        self._on_lost(reason)
