"""Benchmark of the recorder: prints figures, asserts nothing.

Run: .venv/bin/python scripts/bench_recorder.py [--hours-before 2] [--hours-after 11]

A whole launch day on the demo's simulated stack (T-2h to T+11h by default), polled at the
DEFAULT cadence of a real config (containers, PgBouncer, Redis, traffic every 2 s; PostgreSQL
and host every 5 s; smoke checks every 15 s), judged every second as the console does, with
the rollback run at T+17m. Simulated time runs as fast as the machine allows, but the writer
commits one batch per simulated second, as it does live, so its cost per transaction is the
live one. Figures:
- the file's size (and per hour), rows, heartbeats, events;
- the recorder's CPU: the writer thread's CPU time, plus what the console thread pays to
  stamp and queue; as a share of one core over the day at real speed (budget: < 0.5 %).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import DEMO, shipped  # noqa: E402
from console.alerting import AlertTracker  # noqa: E402
from console.clock import FrozenClock  # noqa: E402
from console.config import Poll, load_config  # noqa: E402
from console.judge import judge, remember  # noqa: E402
from console.kinds import sim_sources, stale_after  # noqa: E402
from console.launchday import LaunchState  # noqa: E402
from console.recording.observe import Observer  # noqa: E402
from console.recording.reader import Recording  # noqa: E402
from console.recording.recorder import Recorder  # noqa: E402
from console.sim import SimStack  # noqa: E402
from console.store import Store  # noqa: E402


class Timed:
    """A sink that counts the console thread's CPU time spent handing items to the recorder."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.cpu = 0.0

    def reading(self, reading) -> None:
        t = time.thread_time()
        self.recorder.reading(reading)
        self.cpu += time.thread_time() - t

    def state(self, state) -> None:
        t = time.thread_time()
        self.recorder.state(state)
        self.cpu += time.thread_time() - t

    def event(self, kind, key, data) -> None:
        t = time.thread_time()
        self.recorder.event(kind, key, data)
        self.cpu += time.thread_time() - t


async def day(path: str, before: float, after: float) -> dict:
    base = load_config(shipped(DEMO))
    config = base.model_copy(update={"poll": Poll()})  # the default cadence, not the demo's
    launch = config.launch.epoch
    clock = FrozenClock(launch - before)
    stack = SimStack(launch=launch)
    sources = sim_sources(stack, clock)
    store = Store(clock, config.poll.history, stale_after(config))
    recorder = Recorder(path, clock, config=config, mode="DEMO", detail="bench", batch_s=0.001)
    sink = Timed(recorder)
    observer = Observer(sink)
    tracker = AlertTracker()
    state = LaunchState()
    due = dict.fromkeys((s.name for s in sources), clock.now())
    readings = 0
    judge_cpu = 0.0
    rolled_back = False
    started = time.perf_counter()
    while clock.now() < launch + after:
        now = clock.now()
        for source in sources:
            if now >= due[source.name]:
                reading = await source.read()
                store.record(reading)
                sink.reading(reading)
                readings += 1
                due[source.name] = now + config.poll.for_source(source.name).interval
        t = time.thread_time()
        judgement = judge(store, config, state, now)
        remember(state, judgement)
        tracked, _ = tracker.update(judgement.alerts, now)
        judge_cpu += time.thread_time() - t
        t = time.thread_time()
        sink.state(dataclasses.asdict(state))  # the runbook state, as the console records it
        observer.findings(judgement.panes)
        observer.alerts(tracked)
        sink.cpu += time.thread_time() - t
        if not rolled_back and now >= launch + 17 * 60:  # the rollback, as the runbook says
            stack.signal(config.docker.api, "HUP", now)
            stack.stop(config.docker.scraper, now)
            stack.restart(config.docker.api, now)
            rolled_back = True
        recorder.flush()  # one committed batch per second of the day, as live
        clock.advance(1.0)
    recorder.close()
    wall = time.perf_counter() - started
    with Recording(path) as recording:
        counts = recording.counts()
    return {
        "hours": (before + after) / 3600,
        "readings": readings,
        "stats": recorder.stats,
        "enqueue_cpu": sink.cpu,
        "judge_cpu": judge_cpu,
        "wall": wall,
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours-before", type=float, default=2.0)
    parser.add_argument("--hours-after", type=float, default=11.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "day.sqlite")
        r = asyncio.run(day(path, args.hours_before * 3600, args.hours_after * 3600))
    hours, stats, counts = r["hours"], r["stats"], r["counts"]
    size = counts["bytes"]
    day_s = hours * 3600
    recorder_cpu = stats.cpu_s + r["enqueue_cpu"]
    print(f"recorded day: {hours:g} h at the default cadence, {r['readings']:,} readings")
    print(
        f"  rows {counts['reading_rows']:,} ({counts['full_rows']:,} full, the rest deltas), "
        f"heartbeats {counts['heartbeats']:,}, events {counts['events']:,}"
    )
    print(
        f"  file {size / 1e6:.1f} MB = {size / 1e6 / hours:.2f} MB/hour "
        f"-> {size / 1e6 / hours * 11:.1f} MB for an eleven-hour day (budget < 100 MB); "
        f"{size / max(1, r['readings']):.0f} B/reading"
    )
    print(
        f"  recorder CPU: writer thread {stats.cpu_s:.2f} s + console-thread stamp/queue "
        f"{r['enqueue_cpu']:.2f} s over {day_s:,.0f} s of day = "
        f"{100 * recorder_cpu / day_s:.3f} % of one core (budget < 0.5 %); "
        f"{stats.batches:,} batches"
    )
    print(
        f"  (for scale: the judge itself took {r['judge_cpu']:.1f} s; the run took "
        f"{r['wall']:.0f} s of wall time)"
    )


if __name__ == "__main__":
    main()
