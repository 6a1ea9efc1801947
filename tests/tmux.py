"""Real consoles in real terminals: a tmux server on a private socket, one window per console.

What a test reads is what the terminal shows (`capture-pane`); what it sends are key presses.
The server is the test's own (its socket is private) and `close()` stops it and nothing else.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Tmux:
    def __init__(self, name: str, width: int = 160, height: int = 45) -> None:
        self.socket = f"lc-{name}-{os.getpid()}"
        self.width, self.height = width, height
        self.base = ["tmux", "-L", self.socket, "-f", "/dev/null"]
        self._started = False

    def _run(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            [*self.base, *args], check=check, capture_output=True, text=True, timeout=30
        ).stdout

    def console(self, window: str, args: list[str]) -> int:
        """Start `python -m console ARGS` in a new window; its pid. (Textual draws on stderr:
        it stays the terminal. A console that exits leaves its last words on the screen.)"""
        command = f"cd {shlex.quote(str(ROOT))} && exec {shlex.quote(sys.executable)} -m console "
        command += " ".join(shlex.quote(a) for a in args)
        env = {**os.environ, "TERM": "xterm-256color"}
        size = ["-x", str(self.width), "-y", str(self.height)]
        if not self._started:
            # A window of its own keeps the server up whatever happens to the consoles'.
            subprocess.run(
                [*self.base, "new-session", "-d", "-s", "t", "-n", "keep", *size, "cat"],
                check=True,
                env=env,
                timeout=30,
            )
            self._started = True
            # New windows take this size (no client is attached to resize them; tmux 3.3a's
            # server dies on new-window under `window-size manual`), and a console that exits
            # leaves its last screen.
            self._run("set-option", "-g", "default-size", f"{self.width}x{self.height}")
            self._run("set-option", "-gw", "remain-on-exit", "on")
        subprocess.run(
            [*self.base, "new-window", "-d", "-t", "t:", "-n", window, command],
            check=True,
            env=env,
            timeout=30,
        )
        return int(self._run("display-message", "-p", "-t", f"t:{window}", "#{pane_pid}"))

    def screen(self, window: str) -> str:
        return self._run("capture-pane", "-p", "-t", f"t:{window}", check=False)

    def keys(self, window: str, *keys: str) -> None:
        self._run("send-keys", "-t", f"t:{window}", *keys)

    def type(self, window: str, text: str) -> None:
        self._run("send-keys", "-l", "-t", f"t:{window}", text)

    def kill_window(self, window: str) -> None:
        """Close the window: its terminal (the pty) goes away under the console."""
        self._run("kill-window", "-t", f"t:{window}", check=False)

    def wait_for(self, window: str, *texts: str, timeout: float = 30.0) -> str:
        """The screen, once it shows every one of `texts` (bounded)."""
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen(window)
            flat = " ".join(shown.split())
            if all(" ".join(t.split()) in flat for t in texts):
                return shown
            time.sleep(0.05)
        raise AssertionError(f"{window} never showed {texts!r}; it shows:\n{shown}")

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=30)


def alive(pid: int) -> bool:
    """Running: a zombie (ended, its parent not having waited yet) has let go of everything."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)
