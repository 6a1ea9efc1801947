"""The registry of source kinds: one line per kind, read by everything that needs to know them.

A new source is its module in this folder (see console/kinds/kind.py for what it declares)
and one line in KINDS. The poller's sources (live and demo), the store's staleness, the judge's
findings and checks, `check`, the panes (in this order), the charts and the post-mortem all
come from here; tests/test_kinds.py holds every kind to what it declares.

Where each kind keeps its settings: its own table in console/config.py (`[redis]`, ...), and a
`[poll]` cadence (a kind without one polls at DEFAULT_CADENCE).
"""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.kinds import (
    alertmanager,
    containers,
    host,
    pgbouncer,
    postgres,
    redis,
    smoke,
    traffic,
)
from console.kinds.kind import LATER, PRELAUNCH, Chart, CheckSpec, Kind, Row
from console.sources import Source

# Every kind, one line each (the panes take their own order: Kind.place).
KINDS: tuple[Kind, ...] = (
    containers.KIND,
    pgbouncer.KIND,
    postgres.KIND,
    redis.KIND,
    host.KIND,
    traffic.KIND,
    smoke.KIND,
    alertmanager.KIND,
)

__all__ = [
    "KINDS",
    "LATER",
    "NAMES",
    "PRELAUNCH",
    "Chart",
    "CheckSpec",
    "Kind",
    "Row",
    "charts",
    "checks",
    "kind",
    "live_sources",
    "metric_kinds",
    "provider",
    "sim_sources",
    "stale_after",
    "units",
]

NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)
_BY_NAME = {k.name: k for k in KINDS}


def kind(name: str) -> Kind:
    return _BY_NAME[name]


def live_sources(config: Config, clock: Clock, *, one_shot: bool = False) -> list[Source]:
    """The real sources for a config, one per kind it uses. `one_shot`: for a single sweep
    (`check`): sources start no threads of their own."""
    made = (k.live(config, clock, one_shot) for k in KINDS)
    return [s for s in made if s is not None]


def sim_sources(stack, clock: Clock) -> list[Source]:
    """The demo stack's sources: one per kind the demo models."""
    return [k.sim(stack, clock) for k in KINDS if k.sim is not None]


def stale_after(config: Config) -> dict[str, float]:
    """A value is stale when its source missed about three polls (wall seconds)."""
    out = {}
    for name in NAMES:
        cadence = config.poll.for_source(name)
        out[name] = max(3 * cadence.interval, cadence.interval + cadence.timeout)
    return out


def checks() -> list[tuple[Kind, CheckSpec]]:
    """Every check, in the runbook's order."""
    return sorted(((k, c) for k in KINDS for c in k.checks), key=lambda kc: kc[1].at)


def charts() -> list[Chart]:
    return sorted((c for k in KINDS for c in k.charts), key=lambda c: c.place)


def metric_kinds() -> list[Kind]:
    """The kinds with a rows pane, in their places on the screen."""
    return sorted((k for k in KINDS if k.pane == "metrics"), key=lambda k: k.place)


def provider(metric: str) -> Kind:
    """The kind whose readings give `metric` (e.g. for a rollback trigger's cadence)."""
    return next(k for k in KINDS if metric in k.metrics)


def units() -> dict[str, str]:
    return {m: u for k in KINDS for m, u in k.units.items()}
