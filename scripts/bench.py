"""Benchmarks: prints figures, asserts nothing. Run: .venv/bin/python scripts/bench.py [--live]

- demo idle: CPU % of one core and bytes/s written to the terminal by the demo at 200x50,
  over 20 s on a pseudo-terminal (the budget: <= 2 % CPU, <= 15 KB/s);
- first frame: time from start until the countdown is on the screen (budget: <= 0.6 s);
- --live: against the test stack, each source alone and a full concurrent sweep (budget: the
  sweep takes about as long as the slowest source), and connections opened by 20 steady polls.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def demo_idle(seconds: float = 20.0, cols: int = 200, rows: int = 50) -> None:
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        os.execv(sys.executable, [sys.executable, "-m", "console", "--demo"])
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    seen, first_frame = b"", None
    while first_frame is None and time.monotonic() - started < 10:
        if select.select([fd], [], [], 0.05)[0]:
            seen += os.read(fd, 65536)
            if b"PRE-LAUNCH" in seen:
                first_frame = time.monotonic() - started
    settle_until = time.monotonic() + 3
    while time.monotonic() < settle_until:
        if select.select([fd], [], [], 0.05)[0]:
            os.read(fd, 65536)
    cpu0, t0, out = cpu_seconds(pid), time.monotonic(), 0
    while time.monotonic() - t0 < seconds:
        if select.select([fd], [], [], 0.1)[0]:
            out += len(os.read(fd, 65536))
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    os.close(fd)
    print(f"demo {cols}x{rows}: first frame {first_frame:.2f}s (wall, incl. interpreter start)")
    print(
        f"demo {cols}x{rows} idle over {elapsed:.0f}s: CPU {100 * cpu / elapsed:.1f}% of a core, "
        f"terminal output {out / elapsed / 1024:.1f} KB/s"
    )


async def live_sweeps(rounds: int = 10) -> None:
    from console.clock import SystemClock
    from console.config import load_config
    from console.poller import Poller
    from console.sources.live import live_sources
    from console.store import Store
    from tests.stack import Stack

    stack = Stack().start()
    try:
        backups = Path(tempfile.mkdtemp()) / "backups"
        backups.mkdir()
        (backups / "b.sql.gz").write_bytes(b"x")
        path = backups.parent / "bench.toml"
        path.write_text(stack.config_toml(backups))
        config = load_config(path)
        clock = SystemClock()
        sources = live_sources(config, clock)
        poller = Poller(sources, Store(clock, 600, {}), clock, config.poll)
        await poller.sweep()  # connect, warm up, take the first CPU sample
        single: dict[str, list[float]] = {s.name: [] for s in sources}
        sweeps = []
        for _ in range(rounds):
            for s in sources:
                t = time.perf_counter()
                await poller.poll_once(s)
                single[s.name].append(time.perf_counter() - t)
            t = time.perf_counter()
            await poller.sweep()
            sweeps.append(time.perf_counter() - t)
        for name, times in single.items():
            print(f"source {name:<10} median {1000 * statistics.median(times):7.1f} ms")
        slowest = max(statistics.median(t) for t in single.values())
        total = sum(statistics.median(t) for t in single.values())
        print(
            f"full sweep median {1000 * statistics.median(sweeps):.1f} ms "
            f"(slowest source {1000 * slowest:.1f} ms, sum of sources {1000 * total:.1f} ms)"
        )
        opened_before = {s.name: s.conn.opened for s in sources if hasattr(s, "conn")}
        for _ in range(20):
            await poller.sweep()
        opened_after = {s.name: s.conn.opened for s in sources if hasattr(s, "conn")}
        print(
            f"connections opened by 20 steady sweeps: "
            f"{ {k: opened_after[k] - opened_before[k] for k in opened_after} }"
        )
        await poller.stop()
    finally:
        stack.stop()


if __name__ == "__main__":
    demo_idle()
    demo_idle(cols=80, rows=24)
    if "--live" in sys.argv:
        asyncio.run(live_sweeps())
