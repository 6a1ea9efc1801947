"""The watchdog: the console never outlives its terminal, whatever its event loop is doing.

Ends the console on SIGHUP (a closed terminal, a dropped SSH session), SIGTERM, a terminal that
hangs up or fails (poll() reports POLLHUP/POLLERR; the driver reports end-of-file or EIO), and
its parent gone (the process that started it, e.g. the SSH session or the tmux server, died:
the console was re-parented). It first asks the console to exit (`request_exit`, on the event
loop: the poller stops, the recorder commits, the terminal is restored if it is still there);
if the process is still alive `grace` seconds later, `hard_exit` ends it (the console's
`at_hard_exit` clean-ups, then `os._exit`). The action lock is the kernel's (flock): it goes
with the process.

Why a thread of its own: handlers added with `loop.add_signal_handler` run only when the loop
is free, and the loop is exactly what a blocked write or a stuck call holds. Here the signals'
C-level handler writes the signal number to a socket this thread waits on (`set_wakeup_fd`),
so it wakes whatever the main thread does; a Python-level handler (`signal.signal`) reports
too, for when another part of the program owns the wake-up fd.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGHUP, signal.SIGTERM)
GRACE = 2.0  # seconds for the console's own way out before the process is ended
INTERVAL = 0.5  # seconds between looks at the terminal and the parent
_LOST = b"\0"  # on the wake-up socket: not a signal, lost() was called
_SIGNAL_NUMBERS = {int(sig) for sig in SIGNALS}
# The parent as the process started (imported first thing by the console's command): a parent
# that dies while the console starts is missed if looked up only when the screen is up.
PARENT_AT_START = os.getppid()


def exit_code(signum: int) -> int:
    return 128 + signum


def exit_on_signals() -> None:
    """Until a Watchdog starts (the console's screen is up): SIGHUP and SIGTERM end the
    process the ordinary way, by SystemExit in the main thread, so that `finally` blocks and
    the demo's temporary directory clean up. Their default action would leave them behind."""

    def end(signum: int, frame: object) -> None:
        raise SystemExit(exit_code(signum))

    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            signal.signal(sig, end)


class Watchdog:
    def __init__(
        self,
        request_exit: Callable[[int], object],
        hard_exit: Callable[[int], object],
        *,
        terminal_fds: Iterable[int] | None = None,
        parent: int | None = None,
        grace: float = GRACE,
        interval: float = INTERVAL,
    ) -> None:
        self._request_exit = request_exit
        self._hard_exit = hard_exit
        if terminal_fds is None:
            terminal_fds = {f.fileno() for f in (sys.__stdin__, sys.__stderr__) if f is not None}
        self._ttys = sorted({fd for fd in terminal_fds if _is_tty(fd)})
        # Started by init (a container's PID 1, a service): there is no parent to lose.
        ppid = PARENT_AT_START if parent is None else parent
        self._parent = ppid if ppid > 1 else None
        self.grace = grace
        self.interval = interval
        self._wake_r, self._wake_w = socket.socketpair()
        for end in (self._wake_r, self._wake_w):
            end.setblocking(False)
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.code: int | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="launch-console-watchdog")
        self._thread.daemon = True
        self._previous: dict[int, object] = {}
        self._wakeup_owned = False

    # --- starting (main thread) ---------------------------------------------------------------

    def start(self) -> None:
        """Install the signal handlers (main thread only) and start watching."""
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._on_signal)
            previous = signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
            if previous == -1:
                self._wakeup_owned = True
            else:  # someone else's (an asyncio loop's signal handling): leave it theirs
                signal.set_wakeup_fd(previous)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and put the signal handling back (tests; a console that runs in a
        process that goes on after it)."""
        self._stopped = True
        with contextlib.suppress(OSError):
            self._wake_w.send(_LOST)
        if threading.current_thread() is threading.main_thread():
            if self._wakeup_owned:
                signal.set_wakeup_fd(-1)
                self._wakeup_owned = False
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
            self._previous.clear()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(1.0)

    # --- reports (any thread, a signal handler too) -------------------------------------------

    def _on_signal(self, signum: int, frame: object) -> None:
        # Lock-free: this runs in the main thread between any two bytecodes, perhaps inside
        # lost() itself. The thread does the rest.
        with contextlib.suppress(OSError):
            self._wake_w.send(bytes([signum]))

    def lost(self, code: int, reason: str) -> None:
        """The console must end (`code`, because `reason`): the first report wins."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason, self.code = reason, code
        with contextlib.suppress(OSError):
            self._wake_w.send(_LOST)

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopped and self.reason is None:
            ready, _, _ = select.select([self._wake_r], [], [], self.interval)
            if ready:
                self._read_wakeups()
            if self.reason is None:
                self._look()
        if self._stopped or self.reason is None:
            return
        code = self.code if self.code is not None else 129
        log.warning("the console ends: %s (exit %d)", self.reason, code)
        with contextlib.suppress(Exception):
            self._request_exit(code)
        # The console's own way out, bounded: after it the process ends here, whatever hangs.
        threading.Event().wait(self.grace)
        if not self._stopped:
            log.warning("the console did not end within %.1fs: ending the process", self.grace)
            self._hard_exit(code)

    def _read_wakeups(self) -> None:
        with contextlib.suppress(OSError):
            for byte in self._wake_r.recv(256):
                if byte in _SIGNAL_NUMBERS:
                    self.lost(exit_code(byte), signal.Signals(byte).name)

    def _look(self) -> None:
        for fd in self._ttys:
            problem = _hung_up(fd)
            if problem:
                self.lost(129, problem)
                return
        if self._parent is not None and os.getppid() != self._parent:
            self.lost(129, f"its parent process {self._parent} is gone")


def _is_tty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _hung_up(fd: int) -> str:
    """Why this terminal can no longer be used ("" while it can)."""
    poller = select.poll()
    poller.register(fd, 0)  # no events asked for: POLLHUP, POLLERR, POLLNVAL are always told
    try:
        events = poller.poll(0)
    except OSError as exc:
        return f"the terminal failed ({exc.strerror or exc})"
    for _, mask in events:
        if mask & select.POLLNVAL:
            return f"the terminal (fd {fd}) was closed"
        if mask & (select.POLLHUP | select.POLLERR):
            return "the terminal hung up"
    return ""
