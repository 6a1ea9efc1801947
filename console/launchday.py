"""The runbook state of the day (ticks, Go/Hold, incidents, numbers entered by hand, and the
facts the judge keeps: milestone results, the first hour's figures, trigger onsets, the T-15
board) and the incident rules of Section 5.2. No judging here: console.judge judges; the
facts it reaches are written into the state through the small functions below. Every console
on the host shares the state (console/runbook_store.py); no I/O here but reading an old JSON
state file.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from typing import Any

from console import statecodec
from console.config import Config
from console.statefile import check_state

# --- persisted state --------------------------------------------------------------------------


@dataclass
class Incident:
    id: int
    severity: str  # P1 or P2
    summary: str
    opened_at: float
    opened_by: str
    resolved_at: float | None = None
    root_cause: str = ""

    @property
    def active(self) -> bool:
        return self.resolved_at is None


@dataclass
class LaunchState:
    ticks: dict[str, dict] = field(default_factory=dict)  # item id -> {"by", "at"}
    owners: dict[str, str] = field(default_factory=dict)  # owner -> "go" | "hold"
    incidents: list[Incident] = field(default_factory=list)
    # id -> {"passed": True | False | None, "at", "values": [[what, ok, value]], "note"}
    milestones: dict[str, dict] = field(default_factory=dict)
    manual: dict[str, str] = field(default_factory=dict)  # GA4 users / sessions, PH votes
    last_status_post: float | None = None
    rollback_at: float | None = None  # a rollback was executed (Section 6: a failed launch)
    error_trigger_at: float | None = None  # "error rate > 5% sustained > 10 minutes" fired
    # Section 6's measured figures, frozen at T+1h (the store's history is bounded: recomputed
    # later they would shrink): {"at", "from", "until", "searches", "error_rate", ...}.
    first_hour: dict[str, Any] | None = None
    # metric -> {"since": onset, "seen": last time seen holding}: a trigger's "for" counts from
    # its onset however long ago, past the store's history window.
    trigger_onsets: dict[str, dict] = field(default_factory=dict)
    # The go/no-go board when the T-15 decision was made: {"at", "call", "reason", "gates",
    # "owners"}; the report and the T-15m milestone read it.
    board_t15: dict[str, Any] | None = None

    def active_incidents(self, severity: str | None = None) -> list[Incident]:
        return [
            i for i in self.incidents if i.active and (severity is None or i.severity == severity)
        ]


# --- the facts, each set through one small function (so a store persists plain fields) ------


def record_milestone(state: LaunchState, milestone_id: str, result: dict) -> bool:
    """A milestone's result, kept once: a later judgement never rewrites it."""
    if milestone_id in state.milestones:
        return False
    state.milestones[milestone_id] = result
    return True


def freeze_first_hour(state: LaunchState, figures: dict[str, Any]) -> bool:
    if state.first_hour is not None:
        return False
    state.first_hour = figures
    return True


def set_trigger_onsets(state: LaunchState, onsets: dict[str, dict]) -> bool:
    if state.trigger_onsets == onsets:
        return False
    state.trigger_onsets = onsets
    return True


def record_board(state: LaunchState, board: dict[str, Any]) -> bool:
    if state.board_t15 is not None:
        return False
    state.board_t15 = board
    return True


def mark_error_trigger(state: LaunchState, at: float) -> bool:
    if state.error_trigger_at is not None:
        return False
    state.error_trigger_at = at
    return True


def mark_rollback(state: LaunchState, at: float) -> bool:
    """A rollback ran (at least its first step started): Section 6 calls the launch failed."""
    if state.rollback_at is not None:
        return False
    state.rollback_at = at
    return True


def load_state(path: str) -> LaunchState:
    """A JSON state file (earlier versions kept the state in one; the shared store,
    console/runbook_store.py, migrates it). Raises ValueError naming the bad key."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        return LaunchState()
    # A hand-edited or foreign file: one clear error, not a crash later.
    check_state(raw, typing.get_type_hints(LaunchState))
    return statecodec.build(LaunchState, raw)


# --- incidents (5.2) ----------------------------------------------------------------------------

ESCALATION = {
    "P1": (
        (0, "Rex acknowledged, joins #incidents-critical"),
        (600, "Bolt engaged if infra"),
        (1200, "Vera notified (DM)"),
        (1800, "All-hands"),
    ),
    "P2": (
        (0, "Agent responsible for the area"),
        (900, "Rex aware (#us-launch-ops)"),
        (1800, "Rex engaged"),
    ),
}


def ladder(incident: Incident, now: float) -> list[tuple[str, str, bool]]:
    """Each escalation step: (T+offset, what, due now or past)."""
    age = now - incident.opened_at
    return [(f"T+{off // 60}m", what, age >= off) for off, what in ESCALATION[incident.severity]]


def p1_too_long(state: LaunchState, now: float) -> Incident | None:
    """Section 4.1: "P1 incident active > 30 minutes with no resolution path"."""
    return next((i for i in state.active_incidents("P1") if now - i.opened_at > 1800), None)


def status_post_due(state: LaunchState, config: Config, now: float) -> bool:
    if not state.active_incidents():
        return False
    last = state.last_status_post or min(i.opened_at for i in state.active_incidents())
    return now - last >= config.launchday.status_every
