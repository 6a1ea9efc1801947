"""The shared runbook state's figures: prints them, asserts nothing.

  .venv/bin/python scripts/bench_state.py [--samples N] [--calls N]

- the change check each refresh and each clock tick makes when nothing changed (stat + `PRAGMA
  data_version`), and its parts;
- one operator change (a tick: BEGIN IMMEDIATE, compare-and-set, the change row, COMMIT with
  fsync), and the re-read a console makes when someone else changed the state;
- the wall display (the command line's `--demo --display` console, live, on a pseudo-terminal,
  runbook screen open): from the commit of a tick in another process to the tick drawn on the
  display's terminal, N samples; and the display's idle CPU.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.runbook_store import RunbookStore  # noqa: E402

ITEMS = [
    "sentry.dsn",
    "sentry.errors",
    "ga4.panel",
    "uptime.armed",
    "pagerduty",
    "slack.t-2h",
    "comms.email",
    "comms.ph",
    "comms.social",
]


def per_call(fn, calls: int) -> float:
    """Median microseconds per call over 5 batches."""
    batches = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        batches.append((time.perf_counter() - t) / calls * 1e6)
    return statistics.median(batches)


def bench_calls(calls: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/launchday.sqlite"
        writer = RunbookStore(path, "bench", writable=True)
        for i, item in enumerate(ITEMS):
            writer.edit(lambda s, i=i, item=item: s.ticks.update({item: {"by": "b", "at": i}}))
        watcher = RunbookStore(path, "wall", writable=False)
        shared = watcher.shared
        assert shared._db is not None
        print("change check, nothing changed (per refresh / clock tick):")
        print(f"  RunbookStore.changed()   {per_call(watcher.changed, calls):8.1f} µs")
        print(f"    of which os.stat       {per_call(lambda: os.stat(path), calls):8.1f} µs")
        version = shared._db.execute
        pragma = per_call(lambda: version("PRAGMA data_version").fetchone(), calls)
        print(f"    PRAGMA data_version    {pragma:8.1f} µs")
        toggles = []
        for n in range(50):
            item = ITEMS[n % len(ITEMS)]
            t = time.perf_counter()
            writer.edit(
                lambda s, item=item: (
                    s.ticks.pop(item, None) or s.ticks.update({item: {"by": "b", "at": 0.0}})
                )
            )
            toggles.append((time.perf_counter() - t) * 1e3)
        print(
            f"one operator change (edit + re-read), median {statistics.median(toggles):.2f} ms, "
            f"max {max(toggles):.2f} ms (synchronous=FULL: one fsync)"
        )
        reads = []
        for _ in range(50):
            writer.edit(lambda s: s.manual.update(ph_votes=str(time.time_ns() % 1000)))
            t = time.perf_counter()
            assert watcher.changed()
            reads.append((time.perf_counter() - t) * 1e3)
        print(
            f"re-read after someone else's change ({len(ITEMS)} ticks, 1 number): "
            f"median {statistics.median(reads):.2f} ms"
        )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_until(fd: int, needle: bytes, deadline: float) -> float | None:
    """Drain the terminal until `needle` appears: the instant it did, or None."""
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen = (seen + os.read(fd, 65536))[-20000:]
            except OSError:
                return None
            if needle in seen:
                return time.monotonic()
    return None


def bench_display(samples: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(ROOT)
            os.environ.update(TERM="xterm-256color")
            os.execv(sys.executable, [sys.executable, "-m", "tests.state_console", "display", d])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 200, 0, 0))
        try:
            if read_until(fd, b"Countdown", time.monotonic() + 60) is None:
                print("the display never drew its first frame")
                return
            os.write(fd, b"g")
            read_until(fd, b"Owners", time.monotonic() + 20)
            writer = RunbookStore(f"{d}/launchday.sqlite", "bench", writable=True)
            shown = []
            for n in range(samples):
                item = ITEMS[n % len(ITEMS)]
                who = f"bench{n:03d}"
                writer.shared.operator = who
                writer.edit(lambda s, item=item: s.ticks.pop(item, None))
                read_until(fd, b"\x00never", time.monotonic() + 0.3)  # drain, let it settle
                # Committed at t0 (the tick's own text names who, so it cannot be an old frame).
                t0 = time.monotonic()
                writer.edit(
                    lambda s, item=item, who=who: s.ticks.update({item: {"by": who, "at": 0.0}})
                )
                at = read_until(fd, f"ticked by {who}".encode(), time.monotonic() + 10)
                shown.append(None if at is None else (at - t0) * 1e3)
                read_until(fd, b"\x00never", time.monotonic() + 0.2 + (n % 7) / 10)
            got = sorted(s for s in shown if s is not None)
            print(
                f"display: a tick committed in another process is drawn on the wall's terminal "
                f"in median {statistics.median(got):.0f} ms, max {max(got):.0f} ms "
                f"({len(got)} of {samples} samples; the clock ticks each second)"
            )
            read_until(fd, b"\x00never", time.monotonic() + 2)
            c0, t0 = cpu_seconds(pid), time.monotonic()
            read_until(fd, b"\x00never", time.monotonic() + 10)
            cpu = (cpu_seconds(pid) - c0) / (time.monotonic() - t0) * 100
            print(f"display idle (runbook screen, demo at x1): {cpu:.1f} % of one core")
        finally:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                read_until(fd, b"\x00never", time.monotonic() + 0.1)
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_calls(args.calls)
    bench_display(args.samples)


if __name__ == "__main__":
    main()
