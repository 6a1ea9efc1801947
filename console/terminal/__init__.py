"""The console and its terminal: output that never blocks the console, and a watchdog that ends
the console when the terminal goes away.

- `writer.py`: the output thread. `put()` never blocks; while the terminal does not read, the
  frames waiting for it are dropped and, once it reads again, the screen is repainted whole.
- `driver.py`: Textual's Linux driver with that writer, and an input thread that reports a
  hung-up terminal instead of spinning on it.
- `watchdog.py`: SIGHUP, SIGTERM, a hung-up or failing terminal, the parent gone: the console
  is asked to exit, and if it has not within a grace period, the process ends anyway (after the
  console's last clean-ups), whatever its event loop is doing.
"""
