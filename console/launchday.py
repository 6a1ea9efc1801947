"""The runbook's plan on the screen (Sections 1, 2, 5, 6): checklist, go/no-go, milestones,
incidents, first-hour criteria and status posts. Pure functions over the store, the check
results and a small persisted state (shared by every console: console/runbook_store.py); no
Textual, no I/O but reading an old JSON state file.
"""

from __future__ import annotations

import itertools
import json
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from console import statecodec
from console.check import CheckResult
from console.config import Config
from console.durations import format_duration
from console.rules import pct, seconds
from console.statefile import check_state
from console.store import Store

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
    milestones: dict[str, dict] = field(default_factory=dict)  # id -> {"passed", "at", "values"}
    manual: dict[str, str] = field(default_factory=dict)  # GA4 users, Product Hunt votes
    last_status_post: float | None = None
    rollback_at: float | None = None  # a rollback was executed (Section 6: a failed launch)
    error_trigger_at: float | None = None  # "error rate > 5% sustained > 10 minutes" fired

    def active_incidents(self, severity: str | None = None) -> list[Incident]:
        return [
            i for i in self.incidents if i.active and (severity is None or i.severity == severity)
        ]


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


# --- go / no-go -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gate:
    id: str
    title: str
    ok: bool | None  # None: not known yet
    value: str


P0_GATES = (
    ("db.backup_age", "DB backup verified (< 24h old)"),
    ("api.health", "API health endpoint returning 200"),
    ("affiliate.redirect", "Affiliate tracking live (buywhere-20)"),
)


def p0_gates(checks: list[CheckResult], state: LaunchState) -> list[Gate]:
    by_id = {c.id: c for c in checks}
    out = []
    for check_id, title in P0_GATES:
        c = by_id.get(check_id)
        ok = None if c is None or c.level == "unknown" else c.level == "ok"
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


@dataclass(frozen=True, slots=True)
class Verdict:
    call: str  # GO or HOLD
    reason: str
    new_launch: float | None  # the delayed launch instant when a P0 gate holds it


def go_no_go(gates: list[Gate], state: LaunchState, config: Config, now: float) -> Verdict:
    failing = [g for g in gates if g.ok is not True]
    holds = [o for o in config.launchday.go_owners if state.owners.get(o) == "hold"]
    waiting = [o for o in config.launchday.go_owners if o not in state.owners]
    if failing:
        names = ", ".join(f"{g.title} ({'unknown' if g.ok is None else g.value})" for g in failing)
        new = max(now, config.launch.epoch) + config.launchday.hold_delay
        return Verdict("HOLD", f"P0 unresolved: {names} — launch delayed 30 min", new)
    if holds:
        return Verdict("HOLD", f"Hold called by {', '.join(holds)}", None)
    if waiting:
        return Verdict("HOLD", f"waiting for Go from {', '.join(waiting)}", None)
    return Verdict("GO", "all P0 gates green, every owner Go", None)


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


# --- milestones ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneCheck:
    id: str
    items: list[tuple[str, bool | None, str]]  # (what, ok, value seen)

    @property
    def passed(self) -> bool | None:
        oks = [ok for _, ok, _ in self.items]
        if any(ok is False for ok in oks):
            return False
        return None if any(ok is None for ok in oks) else True


def _latest(store: Store, metric: str) -> float | None:
    series = store.series(metric)
    return next((v for _, v in reversed(series) if v is not None), None)


def _below(value: float | None, limit: float) -> bool | None:
    return None if value is None else value < limit


def evaluate_milestone(
    mid: str,
    store: Store,
    checks: list[CheckResult],
    state: LaunchState,
    config: Config,
    since: float,
) -> MilestoneCheck | None:
    """The runbook's checks for one milestone, from live values; None if it has none."""
    by_id = {c.id: c for c in checks}

    def check(cid: str) -> tuple[bool | None, str]:
        c = by_id.get(cid)
        return (
            (None, "no reading")
            if c is None or c.level == "unknown"
            else (c.level == "ok", c.value)
        )

    new_incidents = [
        i for i in state.incidents if i.opened_at >= since and i.severity in ("P1", "P2")
    ]
    err, p50 = _latest(store, "error_rate_5xx"), _latest(store, "p50_latency")
    if mid == "t+15m":
        return MilestoneCheck(
            mid,
            [
                ("P50 < 200ms", _below(p50, 0.2), seconds(p50)),
                ("5xx < 0.5%", _below(err, 0.5), pct(err)),
                ("no new P1/P2", not new_incidents, f"{len(new_incidents)} new"),
                ("search returns USD results", *check("smoke.search")),
            ],
        )
    if mid == "t+30m":
        return MilestoneCheck(mid, [("affiliate redirects tagged", *check("affiliate.redirect"))])
    if mid == "t+1h":
        pool, redis, disk = (_latest(store, m) for m in ("pool_usage", "redis_memory", "disk"))
        return MilestoneCheck(
            mid,
            [
                ("stack healthy", *check("containers.running")),
                ("pool < 70%", _below(pool, 70), pct(pool)),
                ("Redis < 70%", _below(redis, 70), pct(redis)),
                ("disk < 85%", _below(disk, 85), pct(disk)),
                ("5xx < 0.5%", _below(err, 0.5), pct(err)),
                ("no ingestion failures", *check("sources.fresh")),
            ],
        )
    if mid == "t+4h":
        return MilestoneCheck(mid, [("every US source ran < 4h ago", *check("sources.fresh"))])
    return None


def record_due_milestones(
    store: Store, checks: list[CheckResult], state: LaunchState, config: Config, now: float
) -> list[str]:
    """Evaluate each milestone once, the first time the clock passes it; keep the result."""
    recorded = []
    for m in config.milestones:
        at = config.launch.epoch + m.at
        if now < at or m.id in state.milestones:
            continue
        result = evaluate_milestone(m.id, store, checks, state, config, config.launch.epoch)
        if result is None:
            continue
        state.milestones[m.id] = {
            "passed": result.passed,
            "at": now,
            "values": [[what, ok, value] for what, ok, value in result.items],
        }
        recorded.append(m.id)
    return recorded


# --- first hour (Section 6) ---------------------------------------------------------------------


def first_hour(
    store: Store, config: Config, now: float, state: LaunchState
) -> list[tuple[str, str, str, bool | None]]:
    """(metric, target, value, ok) for the first hour; what we cannot measure says so."""
    t0, t1 = config.launch.epoch, config.launch.epoch + 3600
    window = [(t, v) for t, v in store.series("searches_per_min") if t0 <= t <= min(now, t1)]
    # Searches per minute sampled along the hour, summed over the time between samples.
    searches = 0.0
    for (ta, va), (tb, _) in itertools.pairwise(window):
        searches += (va or 0.0) * (tb - ta) / 60
    errors = [v for t, v in store.series("error_rate_5xx") if t0 <= t <= t1 and v is not None]
    p99s = [v for t, v in store.series("p99_latency") if t0 <= t <= t1 and v is not None]
    health = [v for t, v in store.series("health_ok") if t0 <= t <= t1 and v is not None]
    started = now >= t0
    err = max(errors) if errors else None
    p99 = max(p99s) if p99s else None
    uptime = 100 * sum(health) / len(health) if health else None
    users = state.manual.get("ga4_users")
    votes = state.manual.get("ph_votes")
    return [
        (
            "Product searches",
            "≥ 1,000",
            f"{searches:,.0f}" if started else "—",
            (searches >= 1000) if started and now >= t1 else None,
        ),
        ("Error rate (5xx)", "< 1%", pct(err), None if err is None else err < 1),
        (
            "API uptime",
            "100%",
            "—" if uptime is None else f"{uptime:.1f}%",
            None if uptime is None else uptime == 100,
        ),
        ("API P99 latency", "< 2s", seconds(p99), None if p99 is None else p99 < 2),
        (
            "Unique users (GA4)",
            "≥ 100",
            users or "not measured (enter by hand)",
            None if users is None else int(users) >= 100,
        ),
        (
            "Product Hunt upvotes",
            "≥ 50",
            votes or "not measured (enter by hand)",
            None if votes is None else int(votes) >= 50,
        ),
    ]


# --- status posts (5.4 and the milestone lines) --------------------------------------------------


def _zone_time(config: Config, now: float) -> str:
    t = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(config.launch.zone))
    return f"{t:%H:%M %Z}"


def t15_status(store: Store, config: Config) -> str:
    err, p50 = _latest(store, "error_rate_5xx"), _latest(store, "p50_latency")
    spm = _latest(store, "searches_per_min")
    bad = (err is not None and err >= 0.5) or (p50 is not None and p50 >= 0.2)
    word = "RED" if err is not None and err >= 1 else ("YELLOW" if bad else "GREEN")
    return (
        f"T+15 status: {word} — latency: {seconds(p50)}, error rate: {pct(err)}, "
        f"searches: {spm or 0:.0f}/min"
    )


def t1h_milestone(store: Store, config: Config, state: LaunchState) -> str:
    err = _latest(store, "error_rate_5xx")
    spm = _latest(store, "searches_per_min")
    sessions = state.manual.get("ga4_users", "[X]")
    return (
        f"✅ T+1h milestone: Launch stable. {spm or 0:.0f}/min searches, {sessions} sessions, "
        f"error rate {pct(err)}."
    )


def incident_update(store: Store, config: Config, state: LaunchState, now: float) -> str:
    active = state.active_incidents()
    err = _latest(store, "error_rate_5xx")
    if active:
        worst = min(active, key=lambda i: i.severity)
        dot = "🔴" if worst.severity == "P1" else "🟡"
        broken = "; ".join(
            f"{i.severity} #{i.id} {i.summary} ({format_duration(now - i.opened_at)})"
            for i in active
        )
    else:
        dot, broken = "🟢", "nothing"
    nxt = datetime.fromtimestamp(now + config.launchday.status_every, UTC).astimezone(
        ZoneInfo(config.launch.zone)
    )
    return (
        f"[{_zone_time(config, now)}] Status update\n"
        f"{dot} 5xx {pct(err)}, {len(active)} open incident(s)\n"
        f"- What's broken: {broken}\n"
        "- What we're doing: [brief]\n"
        '- ETA: [estimate or "unknown"]\n'
        f"- Next update: {nxt:%H:%M %Z}\n"
        "— Rex"
    )


def all_clear(config: Config, incident: Incident, now: float) -> str:
    return (
        f"✅ [{_zone_time(config, now)}] All-clear\n"
        f"Launch stable. Issue {incident.summary} resolved.\n"
        f"Root cause: {incident.root_cause or '[brief]'}\n"
        "Action item: [brief]\n"
        "— Rex"
    )


def launch_verdict(
    state: LaunchState,
    criteria: list[tuple[str, str, str, bool | None]],
    gates: list[Gate],
    config: Config,
    now: float,
) -> tuple[str, str]:
    """Section 6: ("SUCCESS" | "FAILED" | "PENDING", why)."""
    failed = []
    if state.rollback_at is not None:
        failed.append("rollback executed")
    if state.error_trigger_at is not None:
        failed.append("error rate > 5% sustained > 10 min")
    users = state.manual.get("ga4_users")
    if users is not None and now >= config.launch.epoch + 3600 and int(users) < 10:
        failed.append("< 10 users in the first hour")
    if failed:
        return "FAILED", "; ".join(failed) + " (post-mortem)"
    if now < config.launch.epoch + 3600:
        return "PENDING", "the first hour is not over"
    misses = [name for name, _, _, ok in criteria if ok is False]
    unknown = [name for name, _, _, ok in criteria if ok is None]
    if misses or any(g.ok is not True for g in gates):
        gates_down = [g.title for g in gates if g.ok is not True]
        return "NOT MET", ", ".join(misses + gates_down)
    if unknown:
        return "PENDING", "not measured yet: " + ", ".join(unknown)
    return "SUCCESS", "all P0 gates green, targets met, no rollback"
