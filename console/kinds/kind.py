"""What a source kind declares: everything the rest of the console needs to know about it.

A kind is one system the console reads (the Docker engine, PgBouncer, Redis, ...). Its module
in console/kinds/ says, in one place: the reading it gives, how to make its live source (and
its demo source), the findings its readings mean, the rows of its pane, the checks it answers
(runbook ids, titles, owners) and the series it charts. The poller, the store's staleness, the
judge, `check`, the panes, the charts and the post-mortem all read these declarations through
the registry (console/kinds/__init__.py): a kind left out of one of them cannot happen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console.clock import Clock
from console.config import Config
from console.readings import Reading
from console.rules import Finding, Level
from console.sources import Source

# A row of a metric pane: label, value, and the value's level (None: information only).
Row = tuple[str, str, Level | None]

PRELAUNCH = "pre-launch"  # runbook 1.1-1.4: `check`, the T-2h checklist
LATER = "later"  # asked for by a later milestone only


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One check a kind answers: a runbook item, judged from the kind's good reading."""

    id: str  # the public id (`check --json`, the checklist, milestones, gates)
    title: str  # may name [prelaunch] limits: {pool}, {disk}, {swap}, {backup}, {products}
    owner: str  # runbook 5.1
    at: tuple[int, ...]  # where the item stands in the runbook: the checks' order
    verdict: Callable[[Any, Config], tuple[Level, str]]  # (good reading, config) -> level, value
    stage: str = PRELAUNCH


@dataclass(frozen=True, slots=True)
class Chart:
    metric: str
    title: str
    unit: str  # shown on the chart ("%", "s", "")
    band: str | None  # the [thresholds] band drawn on it
    place: int  # left to right on the screen, in the report


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # the source's name: store, poller, [poll] table, recording
    title: str  # the pane's title
    reading_type: type[Reading]
    findings: Callable[[Any, Config], list[Finding]]
    # The live source for a config; None when the config does not use this kind.
    live: Callable[[Config, Clock, bool], Source | None]
    # The demo stack's source for this kind; None when the demo has none.
    sim: Callable[[Any, Clock], Source] | None = None
    # "metrics": a rows pane; "containers": its own table; "": no pane (alerts only).
    pane: str = "metrics"
    rows: Callable[[Any, list[Finding]], list[Row]] | None = None
    place: int = 0  # the pane's place on the screen (after the containers), left to right
    checks: tuple[CheckSpec, ...] = ()
    charts: tuple[Chart, ...] = ()
    units: dict[str, str] = field(default_factory=dict)  # metric -> unit, for the report
    # Exists only when configured: judged once it has answered (a pane would say "waiting").
    optional: bool = False

    @property
    def metrics(self) -> tuple[str, ...]:
        """The series its readings give the store (what the charts and triggers can read)."""
        return tuple(self.reading_type.failed(self.name, 0.0, "").metrics())
