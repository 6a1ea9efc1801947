"""The last step of the way out: the process ends promptly after the console has closed.

The console's own shutdown is bounded (the poller and the control give up on what hangs), but
the interpreter's exit then joins every worker thread, and a thread stuck in a blocking client
(a statvfs on a dead NFS mount, a Docker call on a frozen engine) would hold the process — on a
blank terminal, deaf to `q` — for as long as the driver likes. By then the terminal is restored
and any traceback printed, so ending the process with `os._exit` loses nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable


def end_within(seconds: float, code: int, exit_now: Callable[[int], None] = os._exit) -> None:
    """End the process with `code` if it has not ended by itself `seconds` from now
    (`exit_now`: the console's own hard exit, which first runs its last clean-ups)."""

    def expire() -> None:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            exit_now(code)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def tell(text: str) -> None:
    """A last line on stderr, which may be a terminal that has gone: then nothing, and the
    standard streams go to /dev/null so that the interpreter's own final flush cannot fail
    (an EIO there turned a clean exit 129 into an internal error)."""
    try:
        print(text, file=sys.stderr, flush=True)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                os.dup2(devnull, fd)
        os.close(devnull)
