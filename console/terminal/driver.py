"""Textual's Linux driver, made safe for a terminal at the far end of a bad link.

Two changes to `textual.drivers.linux_driver.LinuxDriver` (Textual 8):

- Output goes through `TerminalWriter` (writer.py): a write never blocks the event loop; what
  one `flush()` closes is one frame, written whole or dropped whole, and after the terminal has
  not been reading the screen is repainted whole once it reads again.
- The input thread ends when the terminal hangs up. Textual's keeps `select()`ing a hung-up tty,
  which is always "readable" and reads as end-of-file: one core spun at ~80 % on a server whose
  SSH client had gone. Here end-of-file or an error on a terminal is reported to the app
  (`terminal_lost(reason)`, which must be thread-safe) and the thread ends.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import sys
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._loop import loop_last
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

from console.terminal.writer import TerminalWriter


class TerminalDriver(LinuxDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output: TerminalWriter | None = None
        self._unit: list[str] = []  # the frame being written, until flush()
        self._unit_lock = threading.Lock()
        self._commit_scheduled = False
        self._keep = False  # entering or leaving full-screen mode: never dropped
        self._loop_thread = threading.get_ident()

    # --- output -------------------------------------------------------------------------------

    def start_application_mode(self) -> None:
        stream = self._file
        self.output = TerminalWriter(
            stream.fileno(),
            encoding=getattr(stream, "encoding", None) or "utf-8",
            errors=getattr(stream, "errors", None) or "strict",
            on_drained=self._repaint_soon,
            on_lost=self._lost,
        )
        self.output.start()
        self._keep = True
        try:
            super().start_application_mode()
        finally:
            self.flush()
            self._keep = False

    def stop_application_mode(self) -> None:
        self.flush()  # the last frame, if any, before the way out
        self._keep = True
        try:
            super().stop_application_mode()
        finally:
            self.flush()
            self._keep = False

    def write(self, data: str) -> None:
        """Part of the current frame. Textual ends a frame with flush(); a write that no flush
        follows (the bell, a clipboard copy) goes out as soon as the loop is free."""
        with self._unit_lock:
            self._unit.append(data)
            if self._commit_scheduled:
                return
            self._commit_scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop has closed: flush() will commit it
            if threading.get_ident() == self._loop_thread:
                self._loop.call_soon(self.flush)
            else:
                self._loop.call_soon_threadsafe(self.flush)

    def flush(self) -> None:
        with self._unit_lock:
            text = "".join(self._unit)
            self._unit.clear()
            self._commit_scheduled = False
        # Writes from Textual's input thread are replies to the terminal's own reports
        # (in-band resize, pixel mouse): modes, not frames.
        keep = self._keep or threading.get_ident() != self._loop_thread
        if text and self.output is not None:
            self.output.put(text, keep=keep)

    def close(self) -> None:
        """Bounded: a terminal that does not read must not hold the way out."""
        if self.output is not None:
            self.output.stop(timeout=1.0)
        super().close()  # Textual's own writer thread: idle, nothing was ever given to it

    def _repaint_soon(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._repaint)

    def _repaint(self) -> None:
        # The whole screen as it is now: what was dropped is no longer worth showing.
        with contextlib.suppress(Exception):
            self._app.screen.refresh()

    # --- the terminal gone --------------------------------------------------------------------

    def _lost(self, reason: str) -> None:
        report = getattr(self._app, "terminal_lost", None)
        if report is not None:
            report(reason)
        else:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._app.exit, None, 129)

    def run_input_thread(self) -> None:
        """Textual's input loop (linux_driver.py, 8.2), ending at end-of-file or a read error
        on a terminal instead of select()ing a hung-up one forever."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def read_and_feed(events: list[tuple[selectors.SelectorKey, int]], final: bool) -> bool:
            """False when the input has ended."""
            for last, (_, mask) in loop_last(events):
                if mask & selectors.EVENT_READ:
                    try:
                        data = os.read(fileno, 4096)
                    except OSError as exc:
                        self._input_ended(f"reading the terminal failed: {exc.strerror or exc}")
                        return False
                    if not data:
                        self._input_ended("the terminal hung up")
                        return False
                    for event in parser.feed(decode(data, final=final and last)):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)
            return True

        try:
            while not self.exit_event.is_set():
                if not read_and_feed(selector.select(0.1), final=False):
                    return
            selector.unregister(fileno)
            read_and_feed(selector.select(0.1), final=True)
        finally:
            selector.close()
            with contextlib.suppress(Exception):
                for _ in parser.feed(""):
                    pass

    def _input_ended(self, reason: str) -> None:
        if self.input_tty:
            self._lost(reason)
        # Input from a pipe that ended: nothing more to read, and nothing to spin on.


def is_terminal() -> bool:
    """The console is on a terminal (this driver's place), not on a pipe or a web server."""
    return sys.__stdin__ is not None and sys.__stdin__.isatty()
