"""The go/no-go board (runbook Section 2, T-15): the four P0 gates, the owners' Go / Hold and
Rex's call, and what the board says once T-0 has passed.

"If any P0 condition is unresolved, launch is delayed 30 min": that delay exists only before
T-0. After T-0 the gates are the live health of the launch and the board says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.config import Config
from console.judge.checks import CheckResult
from console.launchday import LaunchState
from console.timeline import zone_time

P0_GATES = (
    ("db.backup_age", "DB backup verified (< 24h old)"),
    ("api.health", "API health endpoint returning 200"),
    ("affiliate.redirect", "Affiliate tracking live (buywhere-20)"),
)
GATE_CHECKS = tuple(cid for cid, _ in P0_GATES)


@dataclass(frozen=True, slots=True)
class Gate:
    id: str
    title: str
    ok: bool | None  # None: not known yet
    value: str


@dataclass(frozen=True, slots=True)
class Verdict:
    call: str  # before T-0: GO or HOLD; after: LAUNCHED, HELD AT T-0 or PAST T-0
    reason: str
    new_launch: float | None  # the delayed launch instant when a P0 gate holds it (before T-0)
    ok: bool = False  # green on the board
    cause: str = ""  # the reason without its consequence (no "launch delayed"): for the record


def p0_gates(checks: list[CheckResult], state: LaunchState, config: Config) -> list[Gate]:
    by_id = {c.id: c for c in checks}
    out = []
    for check_id, title in P0_GATES:
        c = by_id.get(check_id)
        ok = None if c is None or c.level == "unknown" else c.level == "ok"
        if check_id == "affiliate.redirect":
            title = f"Affiliate tracking live ({config.api.affiliate_tag})"
        out.append(Gate(f"gate:{check_id}", title, ok, c.value if c else "no reading"))
    p1 = state.active_incidents("P1")
    out.append(
        Gate(
            "gate:no_p1",
            "No active P1 incident",
            not p1,
            "none" if not p1 else "; ".join(f"#{i.id} {i.summary}" for i in p1),
        )
    )
    return out


def call(gates: list[Gate], state: LaunchState, config: Config, now: float) -> Verdict:
    """Rex's GO / HOLD as the board makes it (the pre-launch rule, whatever the hour)."""
    failing = [g for g in gates if g.ok is not True]
    holds = [o for o in config.launchday.go_owners if state.owners.get(o) == "hold"]
    waiting = [o for o in config.launchday.go_owners if o not in state.owners]
    if failing:
        names = ", ".join(f"{g.title} ({'unknown' if g.ok is None else g.value})" for g in failing)
        delay = round(config.launchday.hold_delay / 60)
        new = max(now, config.launch.epoch) + config.launchday.hold_delay
        cause = f"P0 unresolved: {names}"
        return Verdict("HOLD", f"{cause} — launch delayed {delay} min", new, cause=cause)
    if holds:
        cause = f"Hold called by {', '.join(holds)}"
        return Verdict("HOLD", cause, None, cause=cause)
    if waiting:
        cause = f"waiting for Go from {', '.join(waiting)}"
        return Verdict("HOLD", cause, None, cause=cause)
    cause = "all P0 gates green, every owner Go"
    return Verdict("GO", cause, None, ok=True, cause=cause)


def after_launch(
    gates: list[Gate], state: LaunchState, config: Config, launched: bool | None
) -> Verdict:
    """The board after T-0: whether the launch went on GO, and what a red gate means now."""
    red = [g for g in gates if g.ok is False]
    unknown = [g for g in gates if g.ok is None]
    at = zone_time(config.launch.epoch, config.launch.zone)
    now_text = (
        "P0 gate red now: "
        + ", ".join(f"{g.title} ({g.value})" for g in red)
        + " — a rollback trigger if it persists (runbook 4.1)"
        if red
        else "P0 gate unknown now: " + ", ".join(g.title for g in unknown)
        if unknown
        else "all P0 gates green"
    )
    if launched is True:
        return Verdict("LAUNCHED", f"launched at {at} on GO; {now_text}", None, ok=not red)
    t0 = state.milestones.get("t-0") or {}
    if launched is False:
        seen = "; ".join(str(v) for _, _, v in t0.get("values", [])) or "HOLD"
        why = f"the board said {seen} at T-0 (if the launch went ahead later, set [launch] at)"
        return Verdict("HELD AT T-0", f"{why}; {now_text}", None)
    return Verdict("PAST T-0", f"the call at T-0 was not judged; {now_text}", None, ok=not red)
