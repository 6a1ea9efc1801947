"""The console and its terminal: what the terminal can show, output that never blocks the
console, and a watchdog that ends the console when the terminal goes away.

- `capabilities.py`: what the terminal on the other end can show (ASCII or UTF-8, colour,
  mouse) and how often it is sent a frame; `Terminal`, `detect` and the helpers are imported
  from here (`from console.terminal import Terminal`).
- `writer.py`: the output thread. `put()` never blocks; while the terminal does not read, the
  frames waiting for it are dropped and, once it reads again, the screen is repainted whole.
- `driver.py`: Textual's Linux driver with that writer, and an input thread that reports a
  hung-up terminal instead of spinning on it.
- `watchdog.py`: SIGHUP, SIGTERM, a hung-up or failing terminal, the parent gone: the console
  is asked to exit, and if it has not within a grace period, the process ends anyway (after the
  console's last clean-ups), whatever its event loop is doing.

Only `capabilities` is imported with the package: the driver needs Textual, the watchdog
installs nothing until it is started.
"""

from console.terminal.capabilities import (
    DEFAULT_REFRESH,
    OLD_TERMINALS,
    Terminal,
    detect,
    old_terminal,
    session_environment,
    utf8_locale,
)

__all__ = [
    "DEFAULT_REFRESH",
    "OLD_TERMINALS",
    "Terminal",
    "detect",
    "old_terminal",
    "session_environment",
    "utf8_locale",
]
