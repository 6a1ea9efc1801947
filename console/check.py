"""`launch-console check`: one sweep of the T-2h pre-launch checklist (runbook 1.1-1.4), headless.

The check ids are a public interface (scripts and the on-screen checklist use them). The
checks themselves are judged by console.judge (console/judge/checks.py), like everything
else the console says; this module prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from console.clock import FrozenClock
from console.config import Config
from console.judge.checks import CHECKS, PRELAUNCH_IDS, CheckResult
from console.readings import Reading
from console.rules import Level
from console.store import Store
from console.text import clean

__all__ = ["CHECKS", "PRELAUNCH_IDS", "CheckResult", "evaluate", "render_json", "render_table"]


def evaluate(readings: list[Reading], config: Config) -> list[CheckResult]:
    """The pre-launch items from one sweep's readings, as the judge decides them."""
    from console.judge import judge
    from console.launchday import LaunchState

    at = max((r.at for r in readings), default=config.launch.epoch)
    store = Store(FrozenClock(at), 3600, {})
    for r in readings:
        store.record(r)
    return judge(store, config, LaunchState(), at).prelaunch


def render_table(results: list[CheckResult]) -> str:
    width = max(len(r.id) for r in results)
    lines = [f"{'check':<{width}}  {'owner':<6} {'level':<9} value"]
    for r in results:
        symbol = Level[r.level.upper()].symbol
        # Values quote the stack (a product name, an error): no escape sequence reaches the
        # terminal that runs `check`.
        lines.append(f"{r.id:<{width}}  {clean(r.owner):<6} {symbol} {r.level:<7} {clean(r.value)}")
    return "\n".join(lines)


def render_json(results: list[CheckResult], at: float) -> str:
    stamp = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"at": stamp, "checks": [{k: v for k, v in asdict(r).items()} for r in results]}, indent=2
    )
