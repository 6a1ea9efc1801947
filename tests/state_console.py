"""Consoles in processes of their own on one shared runbook state (tests/test_shared_state.py
and scripts/bench_state.py run them).

  python -m tests.state_console worker STATE_DIR ITEMS OWNER ROUNDS GO_FILE
      A demo console (headless, Pilot keys on the runbook screen) that waits for GO_FILE, then
      for ROUNDS rounds ticks each of ITEMS (comma-separated checklist ids: cursor + space),
      toggles OWNER's Go / Hold (its number key) and refreshes as the live console does;
      prints one JSON line: rounds done, the warnings it showed, when it started and ended.
      Who it is comes from SSH_CLIENT, as for an operator over SSH.
  python -m tests.state_console incidents STATE_DIR COUNT GO_FILE
      Opens COUNT incidents through the incident dialog (i, a summary, enter); prints the
      numbers the screen gave them.
  python -m tests.state_console display STATE_DIR
      The command line's own `--demo --display` console on this process's terminal, on
      STATE_DIR (instead of a fresh temporary one), live: clock, polls, refreshes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from tests.helpers import demo_app


async def _wait_for(path: str) -> None:
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} never appeared")
        await asyncio.sleep(0.005)


async def worker(state_dir: str, items: list[str], owner: str, rounds: int, go: str) -> dict:
    from widgets.runbook import RunbookScreen

    app, _, _ = demo_app(state_dir=state_dir)
    owners = app.config.launchday.go_owners
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunbookScreen)
        ids = [c[0] for c in screen.view.checklist]
        await _wait_for(go)
        started = time.time()
        for _ in range(rounds):
            for item in items:
                screen.cursor = ids.index(item)
                await pilot.press("space")
            await pilot.press(str(owners.index(owner) + 1))
            app.refresh_panes()  # what the clock's tick does once a second
        ended = time.time()
        await pilot.pause()
        warnings = [n.message for n in app._notifications if n.severity != "information"]
    return {"rounds": rounds, "warnings": warnings, "started": started, "ended": ended}


async def incidents(state_dir: str, count: int, go: str) -> dict:
    from textual.widgets import Input

    app, _, _ = demo_app(state_dir=state_dir)
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        await pilot.press("g")
        await _wait_for(go)
        for n in range(count):
            await pilot.press("i")
            await pilot.pause()
            app.screen.query_one(Input).value = f"P2 from pid {os.getpid()} number {n}"
            await pilot.press("enter")
            await app.workers.wait_for_complete()
        mine = [
            i.id for i in app.runbook_store.state.incidents if f"pid {os.getpid()}" in i.summary
        ]
    return {"ids": mine}


def display(state_dir: str) -> int:
    from config import DEMO, shipped
    from console.cli import make_app, parse_args
    from console.config import load_config

    args = parse_args(["--demo", "--display", "--no-record", "--speed", "1"])
    app = make_app(load_config(shipped(DEMO)), args, state_dir)
    app.run()
    return app.return_code or 0


def main() -> int:
    what, state_dir, *rest = sys.argv[1:]
    if what == "display":
        return display(state_dir)
    if what == "worker":
        items, owner, rounds, go = rest
        out = asyncio.run(worker(state_dir, items.split(","), owner, int(rounds), go))
    else:
        count, go = rest
        out = asyncio.run(incidents(state_dir, int(count), go))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
