"""The last step of the way out: the process ends promptly after the console has closed.

The console's own shutdown is bounded (the poller and the control give up on what hangs), but
the interpreter's exit then joins every worker thread, and a thread stuck in a blocking client
(a statvfs on a dead NFS mount, a Docker call on a frozen engine) would hold the process — on a
blank terminal, deaf to `q` — for as long as the driver likes. By then the terminal is restored
and any traceback printed, so ending the process with `os._exit` loses nothing.
"""

from __future__ import annotations

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
