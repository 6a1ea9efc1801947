"""The one judge: readings + config + runbook state + now -> one Judgement.

Everything the console claims is decided here, once per refresh: each pane's findings, the
checks (the T-2h checklist and the later ones), the rollback triggers with their true onsets,
the alerts, the P0 gates, the go/no-go board, every milestone's result, the first hour's
figures, the launch verdict and the inputs of every status post (the overall level and what is
broken). Every consumer -- panes, alert strip, banner, `check`, `--once --json`, the runbook
screen, the posts, the recording, replay and the post-mortem -- reads the Judgement; none judges
by itself.

`judge` is pure: it does not touch the state it is given. The facts it reaches that must be
kept (a milestone's result, the first hour frozen at T+1h, trigger onsets, the T-15 board, the
error trigger having fired) come back in `Judgement.facts`; `remember` writes them into the
runbook state through launchday's small setters, and says whether anything changed (then the
console saves the state).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from console.config import Config
from console.judge import first_hour as hour
from console.judge.board import GATE_CHECKS, Gate, Verdict, after_launch, call, p0_gates
from console.judge.checks import CHECK_IDS, CheckResult, judge_checks, prelaunch
from console.judge.milestones import ASKS, Context, MilestoneStatus, judge_milestones, summary
from console.judge.panes import judged_sources, pane_findings, source_alert
from console.judge.status import Status, launch_verdict, overall
from console.judge.triggers import judge_triggers
from console.launchday import (
    LaunchState,
    freeze_first_hour,
    mark_error_trigger,
    p1_too_long,
    record_board,
    record_milestone,
    set_trigger_onsets,
)
from console.rules import Alert, Finding, Level, TriggerState, worst
from console.store import Store

__all__ = [
    "ASKS",
    "CHECK_IDS",
    "CheckResult",
    "Facts",
    "Gate",
    "Judgement",
    "MilestoneStatus",
    "Status",
    "Verdict",
    "asked_check_ids",
    "judge",
    "remember",
]


@dataclass
class Facts:
    """What this judgement found that must be kept (None / empty: nothing new)."""

    milestones: dict[str, dict] = field(default_factory=dict)
    first_hour: dict[str, Any] | None = None
    trigger_onsets: dict[str, dict] = field(default_factory=dict)
    board_t15: dict[str, Any] | None = None
    error_trigger_at: float | None = None


@dataclass(frozen=True)
class Judgement:
    now: float
    panes: dict[str, list[Finding]]
    triggers: list[TriggerState]
    checks: list[CheckResult]
    gates: list[Gate]
    board: Verdict  # what the go/no-go board says now
    milestones: list[MilestoneStatus]
    first_hour: list[hour.Row]
    first_hour_frozen: dict[str, Any] | None  # the figures, once frozen at T+1h
    verdict: tuple[str, str]  # the launch verdict (Section 6)
    status: Status  # the colour and "what's broken" of every post
    alerts: list[Alert]
    facts: Facts
    values: dict[str, float | None]  # the newest value of each metric the posts quote

    def pane_level(self, pane: str) -> Level:
        return worst(f.level for f in self.panes.get(pane, []))

    @property
    def prelaunch(self) -> list[CheckResult]:
        """The T-2h checklist's automatic items (what `check` prints)."""
        return prelaunch(self.checks)

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def trigger(self, metric: str) -> TriggerState | None:
        return next((t for t in self.triggers if t.metric == metric), None)

    @property
    def milestones_line(self) -> str:
        """The clock's text once no milestone is ahead."""
        return summary(self.milestones)


QUOTED = (
    "error_rate_5xx",
    "p50_latency",
    "p99_latency",
    "searches_per_min",
    "pool_usage",
    "redis_memory",
    "disk",
)


def asked_check_ids() -> set[str]:
    """Every check id the gates and the milestones ask for (each must be produced)."""
    return set(GATE_CHECKS) | {cid for ids in ASKS.values() for cid in ids}


def _owners(state: LaunchState, config: Config) -> tuple[bool, str]:
    holds = [o for o in config.launchday.go_owners if state.owners.get(o) == "hold"]
    waiting = [o for o in config.launchday.go_owners if o not in state.owners]
    if not holds and not waiting:
        return True, "every owner Go"
    parts = ([f"Hold: {', '.join(holds)}"] if holds else []) + (
        [f"no call yet: {', '.join(waiting)}"] if waiting else []
    )
    return False, "; ".join(parts)


def _board_record(now: float, board: Verdict, gates: list[Gate], state: LaunchState) -> dict:
    return {
        "at": now,
        "call": board.call,
        "reason": board.reason,
        "new_launch": board.new_launch,
        "gates": [[g.id, g.title, g.ok, g.value] for g in gates],
        "owners": dict(state.owners),
    }


def judge(store: Store, config: Config, state: LaunchState, now: float) -> Judgement:
    epoch = config.launch.epoch
    facts = Facts()

    panes = {source: pane_findings(source, store, config) for source in judged_sources(store)}
    checks = judge_checks(store, config)
    triggers, onsets = judge_triggers(store, config, now, state.trigger_onsets)
    facts.trigger_onsets = onsets
    error = next(t for t in triggers if t.metric == "error_rate_5xx")
    if error.state.fired and state.error_trigger_at is None:
        facts.error_trigger_at = now  # Section 6: a failed launch, remembered

    gates = p0_gates(checks, state, config)
    pre = call(gates, state, config, now)
    owners_ok, owners = _owners(state, config)
    gates_ok = None if any(g.ok is None for g in gates) else all(g.ok for g in gates)
    ctx = Context(
        now, store, {c.id: c for c in checks}, state, config, pre, gates_ok, owners, owners_ok
    )
    milestones, reached = judge_milestones(ctx)
    facts.milestones = reached
    if reached.get("t-15m", {}).get("values") and state.board_t15 is None:
        facts.board_t15 = _board_record(now, pre, gates, state)
    if now < epoch:
        board = pre
    else:
        t0 = reached.get("t-0") or state.milestones.get("t-0")
        board = after_launch(gates, state, config, None if t0 is None else t0.get("passed"))

    frozen = state.first_hour
    if frozen is None and now >= epoch + hour.HOUR:
        frozen = facts.first_hour = hour.measure(store, config, now)
    figures = (
        frozen
        if frozen is not None
        else (hour.measure(store, config, now) if now >= epoch else None)
    )
    criteria = hour.rows(figures, config, state, now)
    verdict_state = state
    if facts.error_trigger_at is not None:
        verdict_state = copy.copy(state)
        verdict_state.error_trigger_at = facts.error_trigger_at
    verdict = launch_verdict(verdict_state, criteria, gates, config, now)
    status = overall(triggers, gates, state, panes, config, now)

    alerts = _alerts(store, panes, triggers, gates, milestones, state, now)
    return Judgement(
        now=now,
        panes=panes,
        triggers=triggers,
        checks=checks,
        gates=gates,
        board=board,
        milestones=milestones,
        first_hour=criteria,
        first_hour_frozen=frozen,
        verdict=verdict,
        status=status,
        alerts=alerts,
        facts=facts,
        values={m: ctx.value(m) for m in QUOTED},
    )


def _alerts(
    store: Store,
    panes: dict[str, list[Finding]],
    triggers: list[TriggerState],
    gates: list[Gate],
    milestones: list[MilestoneStatus],
    state: LaunchState,
    now: float,
) -> list[Alert]:
    """Rollback triggers first (fired, then pending), then the rest by level."""
    alerts: list[Alert] = []
    for t in triggers:
        if t.state.fired:
            alerts.append(Alert(f"rollback:{t.metric}", Level.CRIT, t.text, rollback=True))
    long_p1 = p1_too_long(state, now)
    if long_p1 is not None:
        alerts.append(
            Alert(
                "rollback:p1",
                Level.CRIT,
                f"ROLLBACK TRIGGER: P1 #{long_p1.id} active > 30 min ({long_p1.summary})",
                rollback=True,
            )
        )
    for t in triggers:
        if t.state.holding and not t.state.fired:
            alerts.append(Alert(f"trigger:{t.metric}", Level.WARN, t.text, rollback=True))
    for gate in gates:
        if gate.ok is False:
            alerts.append(Alert(gate.id, Level.CRIT, f"P0 gate: {gate.title}: {gate.value}"))
    # A failed milestone is news until the next one is judged; after that it is history (the
    # runbook screen keeps it), and the strip stays for what is wrong now.
    judged = [m for m in milestones if m.judged_at is not None]
    latest = judged[-1] if judged else None
    if latest is not None and latest.state == "failed":
        failed = ", ".join(w for w, ok, _ in latest.items if ok is False)
        alerts.append(
            Alert(f"milestone:{latest.id}", Level.WARN, f"milestone {latest.id} failed: {failed}")
        )
    for source in panes:
        alert = source_alert(source, store)
        if alert is not None:
            alerts.append(alert)
    problems = [
        (f.level, pane, f)
        for pane, findings in panes.items()
        for f in findings
        if f.level >= Level.WARN and f.id != "source"
    ]
    problems.sort(key=lambda item: -item[0])
    for level, pane, f in problems:
        alerts.append(Alert(f"{pane}:{f.id}", level, f"{pane}: {f.title} {f.shown}"))
    alerts.sort(
        key=lambda a: (
            0 if a.rollback and a.level is Level.CRIT else 1 if a.rollback else 2,
            -a.level,
        )
    )
    return alerts


def remember(state: LaunchState, judgement: Judgement) -> bool:
    """Keep what the judgement found; True when the state changed (save it then)."""
    facts = judgement.facts
    changed = False
    for mid, result in facts.milestones.items():
        changed |= record_milestone(state, mid, result)
    if facts.first_hour is not None:
        changed |= freeze_first_hour(state, facts.first_hour)
    if facts.board_t15 is not None:
        changed |= record_board(state, facts.board_t15)
    if facts.error_trigger_at is not None:
        changed |= mark_error_trigger(state, facts.error_trigger_at)
    changed |= set_trigger_onsets(state, facts.trigger_onsets)
    return changed
