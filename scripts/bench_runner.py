"""The runner's figures against the test stack: prints them, asserts nothing.

  .venv/bin/python scripts/bench_runner.py [--rounds N]

Two real consoles in real terminals (tmux) on one config: A runs a rollback (its runner is a
process of its own), B watches. Printed, medians over the rounds:
- confirm -> taken: from Enter in A to the lock's record saying `running` (the runner process
  started, rebuilt the plan, took the lock);
- progress visible in a second console: from a step's audit line (its `ts`, written by the
  runner) to the moment B's terminal shows it (the run bar's step counter), per step event;
- a dead runner seen: from SIGKILL of the runner to B's terminal showing INTERRUPTED.
The machine is shared (2 cores): the figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ts(record: dict) -> float:
    return datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).timestamp()


def seen_at(tmux, window: str, text: str, timeout: float = 60.0) -> float:
    """The wall time at which the terminal first shows `text` (polled as fast as tmux answers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.time()
        if text in " ".join(tmux.screen(window).split()):
            return now
    raise SystemExit(f"{window} never showed {text!r}:\n{tmux.screen(window)}")


def one_round(stack, base: Path, n: int, kill: bool) -> dict[str, list[float]]:
    from tests.stack import IMAGE, LOOP, wait_until
    from tests.tmux import Tmux

    work = base / f"round{n}"
    backups = work / "workspace" / "backups"
    backups.mkdir(parents=True)
    (backups / "catalog.sql.gz").write_bytes(b"x")
    scraper = stack.docker.containers.run(
        IMAGE, ["sh", "-c", LOOP], name=f"bench-scraper-{n}", detach=True, network_mode="none"
    )
    audit, lock = work / "audit.jsonl", work / "run" / "actions.lock"
    text = stack.config_toml(backups).replace(
        "[docker]\n", f'[docker]\nscraper = "{scraper.name}"\n'
    )
    text += (
        f'\n[actions]\nhealth_wait = "40s"\nstop_timeout = "5s"\nlock_path = "{lock}"\n'
        f'[audit]\npath = "{audit}"\n[launchday]\nstate_path = "{work / "ld.json"}"\n'
    )
    config = work / "stack.toml"
    config.write_text(text)
    tmux = Tmux(f"bench{n}")
    figures: dict[str, list[float]] = {"taken": [], "progress": [], "dead": []}
    stack.api.state.health_status = 500  # hold the run in restart_api
    try:
        args = ["--config", str(config), "--no-record", "--log-file", str(work / "log")]
        for w in ("a", "b"):
            tmux.console(w, args)
            tmux.wait_for(w, "Containers", "Countdown")
        tmux.keys("a", "R")
        tmux.wait_for("a", "what will be done", "type ROLLBACK and press Enter")
        tmux.type("a", "ROLLBACK")
        tmux.wait_for("a", "▊  ROLLBACK ")
        pressed = time.time()
        tmux.keys("a", "Enter")

        def record() -> dict:
            try:
                return json.loads(lock.read_text() or "{}")
            except (OSError, ValueError):
                return {}

        while record().get("state") != "running":
            time.sleep(0.005)
        figures["taken"].append(time.time() - pressed)
        lines = lambda: [json.loads(x) for x in audit.read_text().splitlines()]  # noqa: E731
        step3 = seen_at(tmux, "b", "step 3/4")
        line = next(r for r in lines() if (r["step"], r["status"]) == ("stop_scraper", "ok"))
        figures["progress"].append(step3 - ts(line))
        if kill:
            wait_until(
                "restart started",
                lambda: any(
                    r["status"] == "started" and r["step"] == "restart_api" for r in lines()
                ),
                30,
                0.01,
            )
            pid = int(record()["pid"])
            os.kill(pid, signal.SIGKILL)
            killed = time.time()
            figures["dead"].append(seen_at(tmux, "b", "INTERRUPTED at restart_api") - killed)
        else:
            stack.api.state.health_status = 200
            step4 = seen_at(tmux, "b", "step 4/4")
            line = next(r for r in lines() if (r["step"], r["status"]) == ("restart_api", "ok"))
            figures["progress"].append(step4 - ts(line))
            done = seen_at(tmux, "b", "done, every step verified")
            line = next(r for r in lines() if (r["step"], r["status"]) == ("verify", "ok"))
            figures["progress"].append(done - ts(line))
    finally:
        stack.api.state.health_status = 200
        tmux.close()
        scraper.remove(force=True)
        wait_until(
            "api healthy",
            lambda: (
                stack.docker.containers.get("api-api-1").attrs["State"]["Health"]["Status"]
                == "healthy"
            ),
            30,
            0.2,
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from tests.stack import Stack

    stack = Stack().start()
    all_figures: dict[str, list[float]] = {"taken": [], "progress": [], "dead": []}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-runner-") as base:
            for n in range(args.rounds):
                for kill in (False, True):
                    got = one_round(stack, Path(base), n * 2 + kill, kill)
                    for k, v in got.items():
                        all_figures[k] += v
    finally:
        stack.stop()

    def show(name: str, values: list[float]) -> None:
        ms = sorted(1000 * v for v in values)
        print(
            f"{name:<48} median {statistics.median(ms):6.0f} ms   "
            f"max {max(ms):6.0f} ms   (n={len(ms)})"
        )

    show("confirm -> runner took the run", all_figures["taken"])
    show("audit line -> visible in a second console", all_figures["progress"])
    show("runner SIGKILL -> INTERRUPTED in a second console", all_figures["dead"])


if __name__ == "__main__":
    main()
