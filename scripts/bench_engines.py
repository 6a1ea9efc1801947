"""Benchmark: several Docker engines in one Containers pane. Prints figures, asserts nothing.

Run: .venv/bin/python scripts/bench_engines.py [--engines 3] [--total 200] [--rounds 3]

Starts the test stack's engine plus `--engines - 1` more (tests/stack ExtraEngine), spreads
`--total` project containers over them, then measures one containers poll of the fleet (first,
and the median of steady polls) and the live console idle at 200x50 on a pty (CPU % of one core
as the process's own CPU time per wall second, KB/s written to the terminal, threads). The
machine is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import median_idle, on_pty, stack_config  # noqa: E402


async def fleet_polls(path: Path, rounds: int) -> tuple[float, float, int]:
    from console.clock import SystemClock
    from console.config import load_config
    from console.sources.docker_fleet import DockerFleetSource

    source = DockerFleetSource(load_config(path), SystemClock())
    try:
        t = time.perf_counter()
        first = await source.read()
        first_s = time.perf_counter() - t
        for _ in range(5):  # the first polls inspect at most MAX_INSPECT per engine
            await source.read()
        times = []
        for _ in range(max(5, rounds)):
            await asyncio.sleep(0.5)
            t = time.perf_counter()
            reading = await source.read()
            times.append(time.perf_counter() - t)
        assert reading.ok, reading.error
        return first_s, statistics.median(times), len(reading.containers or first.containers)
    finally:
        await source.close()


def main() -> None:
    from tests.stack import ExtraEngine, Stack, add_extras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", type=int, default=3)
    parser.add_argument("--total", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    stack = Stack().start()
    extra: list[ExtraEngine] = []
    try:
        extra = [ExtraEngine(()).start() for _ in range(args.engines - 1)]
        clients = [stack.docker, *(e.docker for e in extra)]
        share = (args.total - 6) // len(clients)
        t = time.monotonic()
        for i, client in enumerate(clients):
            count = share + (args.total - 6 - share * len(clients) if i == 0 else 0)
            add_extras(client, count, prefix=f"fleet{i}")
        print(
            f"{args.total} containers on {args.engines} engines (created in "
            f"{time.monotonic() - t:.1f}s)"
        )
        path = stack_config(stack)
        engines = [f'{{ name = "main", url = "unix://{stack.docker_sock}" }}'] + [
            f'{{ name = "edge{i}", url = "{e.url}" }}' for i, e in enumerate(extra, 1)
        ]
        text = path.read_text().replace(
            f'url = "unix://{stack.docker_sock}"', f"engines = [{', '.join(engines)}]"
        )
        path.write_text(text)
        first, steady, n = asyncio.run(fleet_polls(path, args.rounds * 3))
        load = os.getloadavg()[0]
        print(
            f"fleet containers poll at {n} on {args.engines} engines: first {1000 * first:.0f} ms,"
            f" steady median {1000 * steady:.0f} ms (load {load:.2f})"
        )
        console = [sys.executable, "-m", "console", "--config", str(path), "--no-record"]
        runs = [
            on_pty(console, args.seconds, marks={"containers shown": b"main/api-mcp-1"})
            for _ in range(args.rounds)
        ]
        m = median_idle(runs)
        print(
            f"console idle at {n} on {args.engines} engines (200x50, {args.seconds:.0f}s, median "
            f"of {args.rounds}): CPU {m.cpu_pct:.2f}%, output {m.kb_s:.2f} KB/s, threads "
            f"{m.threads} (load {os.getloadavg()[0]:.2f}; runs: "
            f"{', '.join(f'{r.cpu_pct:.2f}%' for r in runs)})"
        )
    finally:
        for e in extra:
            e.stop()
        stack.stop()


if __name__ == "__main__":
    main()
