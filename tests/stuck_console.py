"""`launch-console ARGS...` exactly as the command line runs it, except that one second after
the screen is up its event loop gets stuck: `sleep` (a call that never returns, as a hung
driver's blocking call on the loop would) or `busy` (pure Python that never yields). Run by
tests/test_terminal_loss.py on a real pseudo-terminal: SIGHUP and SIGTERM must still end it.

    python -m tests.stuck_console sleep|busy MARK_FILE launch-console-args...
"""

import sys
import time
from pathlib import Path

from console.app import LaunchConsole
from console.cli import main


def stuck(how: str, mark: Path) -> None:
    mark.write_text(how)  # the test waits for this: from now on the loop runs nothing
    if how == "sleep":
        time.sleep(3600)
    else:
        while True:
            pass


if __name__ == "__main__":
    how, mark = sys.argv[1], Path(sys.argv[2])
    mounted = LaunchConsole.on_mount

    def on_mount(self: LaunchConsole) -> None:
        mounted(self)
        self.set_timer(1.0, lambda: stuck(how, mark))

    LaunchConsole.on_mount = on_mount  # type: ignore[method-assign]
    sys.exit(main(sys.argv[3:]))
