"""Benchmarks: prints figures, asserts nothing. Run: .venv/bin/python scripts/bench.py [what...]

  demo        the demo at 200x50 and 80x24 on a pseudo-terminal, in colour, with NO_COLOR=1 and
              in ASCII (--ascii): first frame (countdown), first data (a container row), first
              chart (its legend) and the complete frame (all three; wall from exec, incl.
              interpreter start); idle CPU % of one core (the console's own user+sys time from
              /proc per wall second) and bytes/s written to the terminal; threads.
  sweeps      against the test stack: each source alone and a full concurrent sweep.
  scale       against the test stack with 6, 50 and 200 project containers: `check` wall, one
              containers poll (first and steady), the live console idle at 200x50 (CPU, KB/s,
              threads) and glances beside it on the same engine in the same run (--glances PATH
              to its executable; skipped without it).
Every figure is printed with the load average (1 min) at its start: the machine is shared.
Options: --rounds N (repeats; medians are printed), --seconds S (idle measuring window),
--counts 6,50,200, --py-spy PATH (record a profile of the live console at each count into
/tmp/bench-profile-<code>-N.txt), --before DIR (a checkout of older code: its `check` and
console are measured too, in the same run on the same engine, for a before/after).

The machine is shared and has 2 cores: figures are medians of repeated runs, and still noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


@dataclass
class Idle:
    cpu_pct: float
    kb_s: float
    threads: int
    marks: dict[str, float | None]
    load: float = 0.0  # the 1-minute load average when the run started


def load() -> float:
    return os.getloadavg()[0]


def on_pty(
    argv: list[str],
    seconds: float,
    cols: int = 200,
    rows: int = 50,
    env: dict[str, str] | None = None,
    marks: dict[str, bytes] | None = None,
    settle: float = 5.0,
    during: Callable[[int], None] | None = None,
) -> Idle:
    """Runs `argv` on a pty of cols x rows; after `settle` s measures CPU, output and threads for
    `seconds`. `marks`: name -> bytes whose first appearance in the output is timed."""
    marks = marks or {}
    load_at_start = load()
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows), **(env or {}))
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    seen = {name: None for name in marks}
    tail = b""

    def drain(until: float) -> int:
        nonlocal tail
        n = 0
        while time.monotonic() < until:
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                n += len(chunk)
                if any(v is None for v in seen.values()):
                    tail = (tail + chunk)[-200_000:]
                    for name, needle in marks.items():
                        if seen[name] is None and needle in tail:
                            seen[name] = time.monotonic() - started
        return n

    # Settle: until every mark has been drawn (the whole first frame, whatever the machine's
    # load), then `settle` seconds more; never more than a minute.
    deadline = time.monotonic() + 60
    while any(v is None for v in seen.values()) and time.monotonic() < deadline:
        drain(time.monotonic() + 0.5)
    drain(time.monotonic() + settle)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    if during is not None:
        during(pid)
    threads = threads_of(pid)
    out = 0
    while time.monotonic() - t0 < seconds:
        out += drain(min(t0 + seconds, time.monotonic() + 1.0))
        threads = max(threads, threads_of(pid))
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(OSError):
        drain(time.monotonic() + 1.0)
    os.waitpid(pid, 0)
    os.close(fd)
    return Idle(100 * cpu / elapsed, out / elapsed / 1024, threads, seen, load_at_start)


def median_idle(runs: list[Idle]) -> Idle:
    marks = {
        k: statistics.median([r.marks[k] for r in runs if r.marks[k] is not None] or [float("nan")])
        for k in runs[0].marks
    }
    return Idle(
        statistics.median(r.cpu_pct for r in runs),
        statistics.median(r.kb_s for r in runs),
        max(r.threads for r in runs),
        marks,
        statistics.median(r.load for r in runs),
    )


def runs_text(runs: list[Idle]) -> str:
    return ", ".join(f"{r.cpu_pct:.2f}%/{r.kb_s:.2f} (load {r.load:.1f})" for r in runs)


# --- the demo ---------------------------------------------------------------------------------


DEMO_VARIANTS = {
    "colour": ([], {}),
    "NO_COLOR": ([], {"NO_COLOR": "1"}),
    "ASCII": (["--ascii"], {}),
}


def bench_demo(args: argparse.Namespace) -> None:
    marks = {"first frame": b"PRE-LAUNCH", "first data": b"api-api-1", "first chart": b"min ago"}
    code = Path(args.before) if args.before else ROOT
    for cols, rows in ((200, 50), (80, 24)):
        for variant, (flags, env) in DEMO_VARIANTS.items():
            if args.before and variant != "colour":
                continue  # older code has no ASCII mode, and its NO_COLOR is Textual's
            runs = []
            for i in range(args.rounds):
                during = (
                    py_spy_record(args.py_spy, f"demo-{variant}-{cols}x{rows}")
                    if args.py_spy and i == 0
                    else None
                )
                os.chdir(code)
                try:
                    runs.append(
                        on_pty(
                            [sys.executable, "-m", "console", "--demo", *flags],
                            args.seconds,
                            cols,
                            rows,
                            env={"PYTHONPATH": str(code), **env},
                            marks=marks if cols == 200 else {"first frame": b"PRE-LAUNCH"},
                            settle=12.0 if cols == 200 else 4.0,
                            during=during,
                        )
                    )
                finally:
                    os.chdir(ROOT)
            m = median_idle(runs)
            firsts = ", ".join(f"{k} {v:.2f}s" for k, v in m.marks.items())
            complete = [r.marks for r in runs if all(v is not None for v in r.marks.values())]
            if cols == 200 and complete:
                whole = statistics.median(max(v for v in c.values() if v) for c in complete)
                firsts += f", complete frame {whole:.2f}s"
            name = f"demo {cols}x{rows} {variant}"
            print(f"{name}: {firsts} (wall from exec, median of {args.rounds})")
            print(
                f"{name} idle over {args.seconds:.0f}s: CPU {m.cpu_pct:.2f}% of a core, "
                f"terminal output {m.kb_s:.2f} KB/s, threads {m.threads}, load {m.load:.1f} "
                f"(runs: {runs_text(runs)})"
            )


# --- the test stack ---------------------------------------------------------------------------


def stack_config(stack) -> Path:
    backups = Path(tempfile.mkdtemp()) / "backups"
    backups.mkdir()
    (backups / "b.sql.gz").write_bytes(b"x")
    path = backups.parent / "bench.toml"
    path.write_text(stack.config_toml(backups))
    return path


async def live_sweeps(config_path: Path, rounds: int) -> None:
    from console.clock import SystemClock
    from console.config import load_config
    from console.kinds import live_sources
    from console.poller import Poller
    from console.store import Store

    config = load_config(config_path)
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
        f"(slowest source {1000 * slowest:.1f} ms, sum of sources {1000 * total:.1f} ms), "
        f"load {load():.1f}"
    )
    await poller.stop()


async def containers_poll(config_path: Path, rounds: int) -> tuple[float, float, int, int]:
    """(first poll s, steady poll median s, containers, engine inspections in the steady polls)"""
    from console.clock import SystemClock
    from console.config import load_config
    from console.sources.docker import DockerSource

    source = DockerSource(load_config(config_path), SystemClock())
    try:
        t = time.perf_counter()
        first = await source.read()
        first_s = time.perf_counter() - t
        while True:  # a first poll inspects at most MAX_INSPECT: let the rest catch up
            before = source.inspections
            await source.read()
            if source.inspections == before:
                break
        times = []
        before = source.inspections
        for _ in range(max(5, rounds)):
            await asyncio.sleep(0.5)
            t = time.perf_counter()
            reading = await source.read()
            times.append(time.perf_counter() - t)
        assert reading.ok, reading.error
        return first_s, statistics.median(times), len(first.containers), source.inspections - before
    finally:
        await source.close()


POLL_ONCE = """
import asyncio, sys, time
from console.clock import SystemClock
from console.config import load_config
from console.sources.docker import DockerSource
async def main():
    s = DockerSource(load_config(sys.argv[1]), SystemClock())
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter()
        r = await asyncio.wait_for(s.read(), 120)
        times.append(time.perf_counter() - t)
    print(" ".join(f"{x:.3f}" for x in times), r.error)
    await s.close()
asyncio.run(main())
"""


def old_poll(code: Path, config_path: Path, rounds: int) -> str:
    """Containers polls of older code (no timeout but 120 s): 'first steady... error'."""
    out = subprocess.run(
        [sys.executable, "-c", POLL_ONCE, str(config_path), str(rounds)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
    )
    return out.stdout.strip() or out.stderr.strip()[-300:]


def check_wall(config_path: Path, rounds: int, code: Path = ROOT) -> str:
    """Median wall and CPU (user+sys) seconds of `check --json`: on a busy shared machine the
    CPU time says what the command costs, the wall time what the on-call waits."""
    import resource

    walls, cpus = [], []
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "console", "check", "--config", str(config_path), "--json"],
            capture_output=True,
            timeout=120,
            cwd=code,
            env={**os.environ, "PYTHONPATH": str(code)},
        )
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return (
        f"median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


def py_spy_record(py_spy: str, name: str) -> Callable[[int], None]:
    def record(pid: int) -> None:
        out = f"/tmp/bench-profile-{name}.txt"
        subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                "15",
                "--format",
                "raw",
                "--output",
                out,
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return record


def idle_console(
    args: argparse.Namespace, count: int, name: str, code: Path, path: Path, docker_host: str
) -> None:
    """The live console (and glances beside it, alternating) idle at 200x50 on a pty."""
    console = [sys.executable, "-m", "console", "--config", str(path)]
    env = {"PYTHONPATH": str(code)}
    runs, glances = [], []
    for i in range(args.rounds):
        during = py_spy_record(args.py_spy, f"{name}-{count}") if args.py_spy and i == 0 else None
        os.chdir(code)
        try:
            marks = {"first frame": b"Countdown", "containers shown": b"api-mcp-1"}
            runs.append(
                on_pty(console, args.seconds, env=env, marks=marks, during=during, settle=5.0)
            )
        finally:
            os.chdir(ROOT)
        if args.glances and name == "after":
            glances.append(
                on_pty(
                    [args.glances, "--disable-check-update"],
                    args.seconds,
                    env={"DOCKER_HOST": docker_host},
                    marks={"first frame": b"CONTAINERS"},
                    settle=5.0,
                )
            )
    m = median_idle(runs)
    firsts = ", ".join(f"{k} {v:.2f}s" for k, v in m.marks.items())
    print(f"{name}: console at {count}: {firsts} (wall from exec)")
    print(
        f"{name}: console idle at {count} (200x50, {args.seconds:.0f}s, median of {args.rounds}):"
        f" CPU {m.cpu_pct:.2f}%, output {m.kb_s:.2f} KB/s, threads {m.threads}, load "
        f"{m.load:.1f} (runs: {runs_text(runs)})"
    )
    if glances:
        g = median_idle(glances)
        print(
            f"glances idle at {count} (same engine, same run): CPU {g.cpu_pct:.2f}%, "
            f"output {g.kb_s:.2f} KB/s, threads {g.threads}, load {g.load:.1f}; console/glances: "
            f"CPU {m.cpu_pct / g.cpu_pct:.2f}x, output {m.kb_s / max(g.kb_s, 1e-9):.2f}x"
        )


def bench_scale(args: argparse.Namespace) -> None:
    from tests.stack import Stack

    stack = Stack().start()
    extras: list[str] = []
    try:
        path = stack_config(stack)
        docker_host = f"unix://{stack.docker_sock}"
        if "sweeps" in args.what:
            asyncio.run(live_sweeps(path, args.rounds * 3))
        have = 6
        for count in args.counts:
            if count > have:
                t = time.monotonic()
                extras += stack.add_extras(count - have, prefix=f"bench{count}")
                print(
                    f"-- {count} project containers (created {count - have} in "
                    f"{time.monotonic() - t:.1f}s)"
                )
                have = count
            else:
                print(f"-- {count} project containers")
            first, steady, n, inspections = asyncio.run(containers_poll(path, args.rounds * 3))
            print(
                f"containers poll at {n}: first {1000 * first:.0f} ms, steady median "
                f"{1000 * steady:.0f} ms ({inspections} inspections in the steady polls), "
                f"load {load():.1f}"
            )
            print(f"check at {count}: {check_wall(path, args.rounds)}")
            codes = [("after", ROOT)] + ([("before", Path(args.before))] if args.before else [])
            for name, code in codes:
                if name == "before":
                    print(f"before: containers polls at {count}: {old_poll(code, path, 3)}")
                    print(f"before: check at {count}: {check_wall(path, args.rounds, code)}")
                idle_console(args, count, name, code, path, docker_host)
    finally:
        stack.remove_extras(extras)
        stack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*", default=["demo"], choices=["demo", "sweeps", "scale"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--counts", type=lambda s: [int(x) for x in s.split(",")], default=[6, 50, 200]
    )
    parser.add_argument("--glances", default="")
    parser.add_argument("--py-spy", default="")
    parser.add_argument("--before", default="")
    args = parser.parse_args()
    if "demo" in args.what:
        bench_demo(args)
    if "scale" in args.what or "sweeps" in args.what:
        if "scale" not in args.what:
            args.counts = []
        bench_scale(args)
