"""The console's output thread and watchdog on a real pseudo-terminal (no console): a reader
that stops costs the writer nothing, a frame is never torn, a hang-up is seen."""

from __future__ import annotations

import os
import pty
import re
import select
import threading
import time

from console.terminal.watchdog import Watchdog
from console.terminal.writer import TerminalWriter

FRAME = 8 * 1024


def frame(n: int) -> str:
    # A frame as Textual writes one: cursor moves and text; its marks show a torn one.
    return f"\x1b[H<{n}>" + "x" * FRAME + f"</{n}>"


def drain(fd: int, until: threading.Event, deadline: float) -> bytes:
    """Read the terminal until `until` is set and nothing more comes (bounded)."""
    got = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            got += os.read(fd, 65536)
        elif until.is_set():
            return got
    raise AssertionError(f"never drained; {len(got)} bytes read")


def raw_pty() -> tuple[int, int]:
    master, slave = pty.openpty()
    import tty

    tty.setraw(slave)  # bytes as written: no newline translation, no echo
    return master, slave


def test_a_terminal_that_stops_reading_never_blocks_the_writer_and_no_frame_is_torn():
    master, slave = raw_pty()
    drained = threading.Event()
    writer = TerminalWriter(
        slave, on_drained=drained.set, on_lost=print, stall_after=0.3, max_pending=64 * 1024
    )
    writer.start()
    try:
        frames = 600  # ~5 MB, far more than the pty holds
        # Nobody reads the terminal: with Textual's writer this loop blocks after ~30 frames.
        putter = threading.Thread(target=lambda: [writer.put(frame(n)) for n in range(frames)])
        putter.start()
        putter.join(30)
        assert not putter.is_alive(), "put() waited for a terminal that does not read"
        # Once the terminal stopped reading (0.3 s without progress), frames are dropped.
        while not writer.stalled:
            writer.put(frame(frames))
            frames += 1
            time.sleep(0.05)
        assert writer.stats.dropped > 0 and writer.stats.stalls == 1
        got = drain(master, drained, time.monotonic() + 30)  # the reader comes back
        assert writer.stats.repaints == 1 and not writer.stalled
    finally:
        writer.stop()
        os.close(master)
        os.close(slave)
    starts = re.findall(rb"<(\d+)>", got)
    ends = re.findall(rb"</(\d+)>", got)
    assert starts == ends, "a frame was cut"
    assert 0 < len(starts) < frames
    # What reached the terminal is whole frames, nothing in between.
    assert re.fullmatch(rb"(\x1b\[H<(\d+)>x{%d}</\2>)+" % FRAME, got)


def test_entering_and_leaving_full_screen_is_never_dropped():
    master, slave = raw_pty()
    drained = threading.Event()
    writer = TerminalWriter(slave, on_drained=drained.set, on_lost=print, stall_after=0.2)
    writer.start()
    try:
        writer.put("\x1b[?1049h", keep=True)
        while not writer.stalled:
            writer.put(frame(0))
            time.sleep(0.02)
        writer.put("\x1b[?1049l\x1b[?25h", keep=True)  # the way out, while it does not read
        writer.put(frame(1))
        got = drain(master, drained, time.monotonic() + 30)
    finally:
        writer.stop()
        os.close(master)
        os.close(slave)
    assert got.startswith(b"\x1b[?1049h")
    assert got.endswith(b"\x1b[?1049l\x1b[?25h")
    assert b"<1>" not in got  # dropped: the repaint, not stale frames, shows the screen


def test_a_write_to_a_hung_up_terminal_ends_the_output():
    master, slave = raw_pty()
    lost: list[str] = []
    done = threading.Event()
    writer = TerminalWriter(
        slave, on_drained=lambda: None, on_lost=lambda r: (lost.append(r), done.set())
    )
    writer.start()
    os.close(master)  # the terminal's other end goes (sshd, tmux, the terminal emulator)
    try:
        writer.put("after the hang-up")
        assert done.wait(10)
        assert lost == ["writing to the terminal failed: Input/output error"]
        writer.put("more")  # ignored, no error
        assert writer.stop(1.0)
    finally:
        os.close(slave)


def test_the_watchdog_sees_the_terminal_hang_up_and_ends_the_process_if_the_console_does_not():
    master, slave = raw_pty()
    asked, ended = threading.Event(), threading.Event()
    codes: list[int] = []
    watchdog = Watchdog(
        lambda code: (codes.append(code), asked.set()),
        lambda code: (codes.append(code), ended.set()),
        terminal_fds=[slave],
        parent=os.getppid(),
        grace=0.3,
        interval=0.05,
    )
    watchdog.start()
    try:
        assert not asked.wait(0.3)  # a terminal that is there is left alone
        os.close(master)
        assert asked.wait(5) and ended.wait(5)
        assert codes == [129, 129]
        assert watchdog.reason == "the terminal hung up"
    finally:
        watchdog.stop()
        os.close(slave)
