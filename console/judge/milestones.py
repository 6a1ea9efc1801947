"""The runbook's milestones (Sections 1 and 2), each judged on its own conditions and kept.

Two kinds:
- decisions made over a window (the T-2h checklist, the T-15 go/no-go): passed the first time
  every condition holds inside the window (from its time to the next milestone's), failed with
  what was not met if the window closes first;
- checks at an instant (T-0, T+15m, T+30m, T+1h, T+4h): judged when their time comes, on the
  values then; a condition without a reading waits for one up to GRACE, then the milestone is
  "not judged" (never passed).

A milestone the console was not watching (its window closed, or its instant passed GRACE ago,
before the console ran) is "not judged: the console was not watching", and one whose id the
judge knows no conditions for says it has nothing to judge. Neither is ever counted passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from console.config import Config, Milestone
from console.durations import format_duration, format_offset
from console.judge.board import Verdict
from console.judge.checks import PRELAUNCH_IDS, CheckResult
from console.launchday import LaunchState
from console.rules import pct, seconds
from console.store import Store

GRACE = 300.0  # seconds after an instant milestone in which it is still judged on live values
WINDOWED = ("t-2h", "t-15m")
# The check ids each milestone asks for (the judge must produce every one of them).
ASKS = {
    "t-2h": PRELAUNCH_IDS,
    "t+15m": ("smoke.search",),
    "t+30m": ("affiliate.redirect",),
    "t+1h": ("containers.running", "sources.fresh"),
    "t+4h": ("sources.fresh",),
}

Item = tuple[str, bool | None, str]  # (what, ok, value seen)


@dataclass(frozen=True, slots=True)
class MilestoneStatus:
    id: str
    offset: float  # from launch
    title: str
    owner: str
    due: float  # epoch
    state: str  # upcoming, in progress, passed, failed, not judged
    items: tuple[Item, ...] = ()
    detail: str = ""
    judged_at: float | None = None

    @property
    def passed(self) -> bool:
        return self.state == "passed"

    @property
    def ok(self) -> bool | None:
        """For a ✔ / ✖ / ? mark: None while there is no verdict."""
        return {"passed": True, "failed": False}.get(self.state)


@dataclass(frozen=True)
class Context:
    """What milestone conditions are judged on at one instant."""

    now: float
    store: Store
    checks: dict[str, CheckResult]
    state: LaunchState
    config: Config
    board: Verdict  # the pre-launch call (GO / HOLD) as the board makes it now
    gates_ok: bool | None
    owners: str  # "every owner Go" or who has not
    owners_ok: bool
    latest: dict[str, float | None] = field(default_factory=dict)

    def check(self, cid: str) -> tuple[bool | None, str]:
        c = self.checks.get(cid)
        if c is None:
            return None, f"check {cid} not produced"  # a defect: tests look for this text
        if c.level == "unknown":
            return None, c.value or "no reading"
        return c.level == "ok", c.value

    def value(self, metric: str) -> float | None:
        if metric not in self.latest:
            series = self.store.series(metric)
            v = next((v for _, v in reversed(series) if v is not None), None)
            self.latest[metric] = v
        return self.latest[metric]


def _below(value: float | None, limit: float) -> bool | None:
    return None if value is None else value < limit


def _checklist(ctx: Context) -> list[Item]:
    auto = [ctx.checks[c] for c in PRELAUNCH_IDS if c in ctx.checks]
    missing = [c for c in PRELAUNCH_IDS if c not in ctx.checks]
    not_green = [c for c in auto if c.level != "ok"]
    unknown = all(c.level == "unknown" for c in not_green) and not_green
    auto_ok = None if missing or unknown else not not_green
    shown = f"{len(auto) - len(not_green)}/{len(PRELAUNCH_IDS)} green"
    if not_green:
        shown += "; not green: " + ", ".join(f"{c.id} {c.value}" for c in not_green[:4])
        if len(not_green) > 4:
            shown += f" and {len(not_green) - 4} more"
    manual = ctx.config.launchday.checklist
    open_ = [i.id for i in manual if i.id not in ctx.state.ticks]
    ticked = f"{len(manual) - len(open_)}/{len(manual)} ticked"
    if open_:
        ticked += "; open: " + ", ".join(open_)
    return [
        ("automatic checks green (Section 1 limits)", auto_ok, shown),
        ("manual items ticked", not open_, ticked),
    ]


def _go_no_go(ctx: Context) -> list[Item]:
    return [
        ("P0 gates green", ctx.gates_ok, "all green" if ctx.gates_ok else ctx.board.cause),
        ("every owner Go", ctx.owners_ok, ctx.owners),
        ("Rex calls GO", ctx.board.call == "GO", f"{ctx.board.call}: {ctx.board.cause}"),
    ]


def _launch(ctx: Context) -> list[Item]:
    return [
        ("go/no-go says GO at T-0", ctx.board.call == "GO", f"{ctx.board.call}: {ctx.board.cause}")
    ]


def _t15(ctx: Context) -> list[Item]:
    t = ctx.config.milestone_targets
    err, p50 = ctx.value("error_rate_5xx"), ctx.value("p50_latency")
    epoch = ctx.config.launch.epoch
    new = [i for i in ctx.state.incidents if i.opened_at >= epoch and i.severity in ("P1", "P2")]
    return [
        (f"P50 < {seconds(t.p50_latency)}", _below(p50, t.p50_latency), seconds(p50)),
        (f"5xx < {t.error_rate_5xx:g}%", _below(err, t.error_rate_5xx), pct(err)),
        ("no new P1/P2", not new, f"{len(new)} new"),
        ("search returns USD results", *ctx.check("smoke.search")),
    ]


def _t30(ctx: Context) -> list[Item]:
    return [("affiliate redirects tagged", *ctx.check("affiliate.redirect"))]


def _t1h(ctx: Context) -> list[Item]:
    t = ctx.config.milestone_targets
    pool, redis, disk, err = (
        ctx.value(m) for m in ("pool_usage", "redis_memory", "disk", "error_rate_5xx")
    )
    return [
        ("stack healthy", *ctx.check("containers.running")),
        (f"pool < {t.pool_usage:g}%", _below(pool, t.pool_usage), pct(pool)),
        (f"Redis < {t.redis_memory:g}%", _below(redis, t.redis_memory), pct(redis)),
        (f"disk < {t.disk:g}%", _below(disk, t.disk), pct(disk)),
        (f"5xx < {t.error_rate_5xx:g}%", _below(err, t.error_rate_5xx), pct(err)),
        ("no ingestion failures", *ctx.check("sources.fresh")),
    ]


def _t4h(ctx: Context) -> list[Item]:
    return [("every US source ran < 4h ago", *ctx.check("sources.fresh"))]


CONDITIONS: dict[str, Callable[[Context], list[Item]]] = {
    "t-2h": _checklist,
    "t-15m": _go_no_go,
    "t-0": _launch,
    "t+15m": _t15,
    "t+30m": _t30,
    "t+1h": _t1h,
    "t+4h": _t4h,
}


def _verdict(items: list[Item]) -> bool | None:
    oks = [ok for _, ok, _ in items]
    if any(ok is False for ok in oks):
        return False
    return None if any(ok is None for ok in oks) else True


def _record(passed: bool | None, at: float, items: list[Item], note: str = "") -> dict:
    return {"passed": passed, "at": at, "values": [list(i) for i in items], "note": note}


def _status(m: Milestone, due: float, record: dict) -> MilestoneStatus:
    items = tuple((str(w), ok, str(v)) for w, ok, v in record.get("values", []))
    passed = record.get("passed")
    state = "passed" if passed is True else "failed" if passed is False else "not judged"
    note = record.get("note", "")
    if passed is None and not note:
        unknown = [w for w, ok, _ in items if ok is None]
        note = "no reading for " + ", ".join(unknown) if unknown else "not judged"
    if state == "failed":
        # What failed, first and alone; how many others held.
        missed = [(w, v) for w, ok, v in items if ok is not True]
        held = len(items) - len(missed)
        detail = "; ".join(f"{w}: {v}" for w, v in missed) + (f" ({held} other ok)" if held else "")
    else:
        detail = "; ".join(f"{w}: {v}" for w, _, v in items)
    if note:
        detail = f"{note}" + (f" — {detail}" if detail else "")
    return MilestoneStatus(
        m.id, m.at, m.title, m.owner, due, state, items, detail, record.get("at")
    )


def judge_milestones(ctx: Context) -> tuple[list[MilestoneStatus], dict[str, dict]]:
    """Every configured milestone as it stands at ctx.now, and the results newly reached."""
    config, now = ctx.config, ctx.now
    epoch = config.launch.epoch
    ordered = config.milestones
    out: list[MilestoneStatus] = []
    new: dict[str, dict] = {}
    for i, m in enumerate(ordered):
        due = epoch + m.at
        record = ctx.state.milestones.get(m.id)
        if record is not None:
            out.append(_status(m, due, record))
            continue
        if now < due:
            left = due - now
            when = f"in {format_duration(left)}" if left < 4 * 3600 else "upcoming"
            out.append(MilestoneStatus(m.id, m.at, m.title, m.owner, due, "upcoming", (), when))
            continue
        rule = CONDITIONS.get(m.id)
        if rule is None:
            record = _record(None, now, [], "nothing to judge: the runbook gives it no checks")
            new[m.id] = record
            out.append(_status(m, due, record))
            continue
        windowed = m.id in WINDOWED
        end = ordered[i + 1].at + epoch if windowed and i + 1 < len(ordered) else due
        # A window is judged up to GRACE after it closed, an instant up to GRACE after its time
        # (waiting for readings), each a minute more for a late refresh. Later than that, the
        # console was not there to see it.
        if now - (end if windowed else due) > GRACE + 60.0:
            since = format_offset(m.at)
            if windowed:
                since += f" to {format_offset(end - epoch)}"
            record = _record(None, now, [], f"not judged: the console was not watching at {since}")
            new[m.id] = record
            out.append(_status(m, due, record))
            continue
        items = rule(ctx)
        verdict = _verdict(items)
        known = all(ok is not None for _, ok, _ in items)
        # Decided: a window whose conditions all hold; a closed window, or an instant, once
        # every condition has a reading (or GRACE has gone by waiting for one).
        waited = now - end >= GRACE if windowed else now - due >= GRACE
        closed = now >= end if windowed else True
        if (windowed and verdict is True) or (closed and (known or waited)):
            record = _record(verdict, now, items)
            new[m.id] = record
            out.append(_status(m, due, record))
            continue
        detail = "; ".join(f"{w}: {v}" for w, ok, v in items if ok is not True)
        if windowed and not closed:
            word = f"in progress (closes in {format_duration(end - now)})"
        else:
            word = "due, waiting for readings"
        out.append(
            MilestoneStatus(
                m.id,
                m.at,
                m.title,
                m.owner,
                due,
                "in progress",
                tuple(items),
                f"{word}: {detail}",
            )
        )
    return out, new


def summary(statuses: list[MilestoneStatus]) -> str:
    """What the clock says once no milestone is left: 'all milestones passed' only when they
    all did; else how many passed, failed and were not judged, naming the ones that did not."""
    failed = [format_offset(s.offset) for s in statuses if s.state == "failed"]
    unjudged = [format_offset(s.offset) for s in statuses if s.state == "not judged"]
    if statuses and not failed and not unjudged and all(s.passed for s in statuses):
        return "all milestones passed"
    parts = [f"{sum(s.passed for s in statuses)} passed"]
    if failed:
        parts.append(f"{len(failed)} failed ({', '.join(failed)})")
    if unjudged:
        parts.append(f"{len(unjudged)} not judged ({', '.join(unjudged)})")
    return "milestones done: " + ", ".join(parts)
