"""The post-mortem from a recording, as plain data: what the renderers (md, json, html) show.

What the console judged comes from its judge (console.judge), never from a judgement of the
report's own: the facts the console kept in its runbook state (milestone results, the first
hour frozen at T+1h, the go/no-go board when the T-15 decision was made) are read from the
recorded state; what a recording lacks (an older one, a console that was not running then) is
the judge's Judgement on the store as the replayer rebuilds it at that instant. The verdict is
the judge's at the end of the recording. What people did (ticks, Go/Hold, incidents, numbers,
posts, actions) comes from the recorded state and audit events.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from console import kinds
from console.config import Config
from console.durations import format_duration, format_offset
from console.judge import Judgement, judge
from console.launchday import ESCALATION, LaunchState
from console.recording.reader import Event, Recording
from console.replay import Replayer, launch_state

# The series charted over the day: metric -> (title, unit, thresholds band or None), as the
# source kinds declare them (console/kinds/).
CHARTED = {c.metric: (c.title, c.unit, c.band) for c in kinds.charts()}
# Metrics an alert is about, for its peak value: the finding id when it is not the metric name.
ALERT_METRIC = {"host.disk": "disk", "host.swap": "swap"}
UNITS = kinds.units()
LEVELS = {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}


@dataclass
class AlertEpisode:
    id: str
    level: str  # the worst level it reached
    text: str  # its text when it first reached that level
    onset: float
    end: float | None  # None: still firing when the recording (or that console) stopped
    rollback: bool
    peak: float | None = None  # the metric's worst value while it fired
    peak_at: float | None = None
    unit: str = ""


@dataclass
class ActionRun:
    action: str
    operator: str
    start: float
    end: float
    outcome: str  # ok, failed at <step>, cancelled, not finished
    steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Report:
    path: str
    launch_name: str
    launch_at: float
    zone: str
    start: float
    end: float
    sessions: list[dict[str, Any]]
    verdict: tuple[str, str]
    first_hour_at: float | None
    first_hour: list[tuple[str, str, str, bool | None]]
    milestones: list[dict[str, Any]]
    alerts: list[AlertEpisode]
    incidents: list[dict[str, Any]]
    actions: list[ActionRun]
    board: dict[str, Any] | None
    board_missing: str
    timeline: list[tuple[float, str, str]]  # (t, what, detail)
    series: dict[str, list[tuple[float, float]]]
    thresholds: dict[str, tuple[float, float]]
    rollbacks: list[float]
    size_bytes: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def build(recording: Recording) -> Report:
    config = recording.config()
    replayer = Replayer(recording, config)
    epoch = config.launch.epoch
    start, end = recording.start, recording.end
    series = _series(recording)
    final = launch_state(recording.state_at(end))

    actions = _actions(recording.events("audit"))
    rollbacks = sorted(
        {a.start for a in actions if a.action == "rollback" and a.outcome != "cancelled"}
        | ({final.rollback_at} if final.rollback_at is not None else set())
    )
    if rollbacks and final.rollback_at is None:
        # Section 6: a rollback executed is a failed launch, whether or not the console's
        # state remembered it: the audit trail says it ran.
        final.rollback_at = rollbacks[0]

    # The first hour: as the console froze it at T+1h; else as the judge measures it on the
    # store rebuilt at T+1h (or at the end of a shorter recording).
    t1 = min(end, epoch + 3600)
    hour_at: float | None = None
    criteria: list[tuple[str, str, str, bool | None]] = []
    if final.first_hour is not None:
        hour_at = final.first_hour.get("at")
    elif t1 >= epoch and start <= t1:
        hour_at = t1
        at_t1 = _judged(replayer, config, t1)
        if at_t1.first_hour_frozen is not None:
            final.first_hour = at_t1.first_hour_frozen
        else:
            criteria = at_t1.first_hour  # the recording ends inside the first hour
    at_end = _judged(replayer, config, end, final)
    if final.first_hour is not None:
        criteria = at_end.first_hour
    verdict = at_end.verdict

    board, board_missing = _board(replayer, config, start, end, final)
    events = recording.events()
    alerts = _alerts(events, recording, series)
    return Report(
        path=recording.path,
        launch_name=config.launch.name,
        launch_at=epoch,
        zone=config.launch.zone,
        start=start,
        end=end,
        sessions=[
            {
                "id": s.id,
                "mode": s.mode,
                "detail": s.detail,
                "operator": s.operator,
                "version": s.version,
                "start": s.t0,
                "end": s.t_end,
            }
            for s in recording.sessions
        ],
        verdict=verdict,
        first_hour_at=hour_at,
        first_hour=criteria,
        milestones=_milestones(config, at_end),
        alerts=alerts,
        incidents=_incidents(final, end),
        actions=actions,
        board=board,
        board_missing=board_missing,
        timeline=_timeline(events, recording, config),
        series={m: series.get(m, []) for m in CHARTED},
        thresholds={
            m: (band.warn, band.crit)
            for m, (_, _, name) in CHARTED.items()
            if name and (band := getattr(config.thresholds, name, None)) is not None
        },
        rollbacks=rollbacks,
        counts=recording.counts(),
    )


def _judged(
    replayer: Replayer, config: Config, t: float, state: LaunchState | None = None
) -> Judgement:
    """The judge's Judgement at console time `t` of the recording (the recorded state then,
    unless one is given)."""
    replayer.seek(t)
    return judge(replayer.store, config, state if state is not None else replayer.state(), t)


def _series(recording: Recording) -> dict[str, list[tuple[float, float]]]:
    """Every metric over the whole day (all sessions), from the readings' own times."""
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    wanted = set(kinds.NAMES)
    for session in recording.sessions:
        for source in recording.sources(session):
            if source not in wanted:
                continue
            for landed in recording.stream(session, source):
                r = landed.reading
                if not r.ok:
                    continue
                for name, value in r.metrics().items():
                    if value is not None and math.isfinite(value):
                        out[name].append((r.at, value))
    for values in out.values():
        values.sort()
    return out


def _board(
    replayer: Replayer, config: Config, start: float, end: float, final: LaunchState
) -> tuple[dict[str, Any] | None, str]:
    """The go/no-go board when the T-15 decision was made (runbook Section 2): as the console
    kept it, else the judge's board at T-15."""
    kept = final.board_t15
    if kept is not None:
        return {
            "at": kept["at"],
            "gates": [{"title": t, "ok": ok, "value": v} for _, t, ok, v in kept["gates"]],
            "owners": [
                {"owner": o, "call": kept["owners"].get(o, "")} for o in config.launchday.go_owners
            ],
            "call": kept["call"],
            "reason": kept["reason"],
        }, ""
    at = config.launch.epoch - 900
    if not start <= at <= end:
        epoch = config.launch.epoch
        span = f"{format_offset(round(start - epoch))} to {format_offset(round(end - epoch))}"
        return None, f"T-15 is outside the recording ({span})"
    j = _judged(replayer, config, at)
    state = replayer.state()
    return {
        "at": at,
        "gates": [{"title": g.title, "ok": g.ok, "value": g.value} for g in j.gates],
        "owners": [
            {"owner": o, "call": state.owners.get(o, "")} for o in config.launchday.go_owners
        ],
        "call": j.board.call,
        "reason": j.board.reason,
    }, ""


def _milestones(config: Config, j: Judgement) -> list[dict[str, Any]]:
    """Each milestone as the judge sees it at the end of the recording (kept results as kept)."""
    words = {
        "passed": "passed",
        "failed": "FAILED",
        "not judged": "not judged",
        "in progress": "not decided",
        "upcoming": "not reached",
    }
    by_id = {m.id: m for m in config.milestones}
    return [
        {
            "id": m.id,
            "offset": format_offset(m.offset),
            "title": m.title,
            "owner": by_id[m.id].owner if m.id in by_id else m.owner,
            "due": m.due,
            "result": words.get(m.state, m.state),
            "at": m.judged_at,
            "values": [{"what": w, "ok": ok, "value": v} for w, ok, v in m.items],
            "note": m.detail if not m.items else "",
        }
        for m in j.milestones
    ]


def _alerts(
    events: list[Event], recording: Recording, series: dict[str, list[tuple[float, float]]]
) -> list[AlertEpisode]:
    """Each firing of each alert, from onset to end, with the worst level and value it hit."""
    ends = {s.id: s.t_end for s in recording.sessions}
    open_: dict[tuple[int, str], AlertEpisode] = {}
    done: list[AlertEpisode] = []
    for e in events:
        if e.kind != "alert":
            continue
        key = (e.session, e.key)
        episode = open_.get(key)
        if e.data.get("on"):
            level = e.data.get("level", "unknown")
            if episode is None:
                open_[key] = AlertEpisode(
                    e.key,
                    level,
                    str(e.data.get("text", "")),
                    e.t,
                    None,
                    bool(e.data.get("rollback")),
                )
            elif LEVELS.get(level, 0) > LEVELS.get(episode.level, 0):
                episode.level, episode.text = level, str(e.data.get("text", ""))
        elif episode is not None:
            episode.end = e.t
            done.append(open_.pop(key))
    for (session, _), episode in open_.items():
        episode.end = None if session == recording.sessions[-1].id else ends[session]
        done.append(episode)
    for episode in done:
        metric = episode.id.split(":", 1)[-1]
        metric = ALERT_METRIC.get(metric, metric)
        values = series.get(metric)
        if values:
            stop = episode.end if episode.end is not None else recording.end
            inside = [(v, t) for t, v in values if episode.onset - 60 <= t <= stop]
            if inside:
                episode.peak, episode.peak_at = max(inside)
                episode.unit = UNITS.get(metric, "")
    done.sort(key=lambda a: (a.onset, a.id))
    return done


def _incidents(state, end: float) -> list[dict[str, Any]]:
    out = []
    for i in state.incidents:
        until = i.resolved_at if i.resolved_at is not None else end
        ladder = [
            {
                "offset": f"T+{off // 60}m",
                "what": what,
                "due": i.opened_at + off,
                "reached": i.opened_at + off <= until,
            }
            for off, what in ESCALATION.get(i.severity, ())
        ]
        out.append(
            {
                "id": i.id,
                "severity": i.severity,
                "summary": i.summary,
                "opened_at": i.opened_at,
                "opened_by": i.opened_by,
                "resolved_at": i.resolved_at,
                "root_cause": i.root_cause,
                "duration": until - i.opened_at,
                "ladder": ladder,
            }
        )
    return out


def _actions(events: list[Event]) -> list[ActionRun]:
    """Audit records grouped into runs: each plan's planned steps, then how each went."""
    runs: list[ActionRun] = []
    current: dict[str, ActionRun] = {}
    for e in events:
        if e.kind != "audit":
            continue
        r = e.data
        action, step, status = str(r.get("action", "")), str(r.get("step", "")), r.get("status")
        operator = str(r.get("operator", ""))
        run = current.get(action)
        if status == "cancelled":
            runs.append(
                ActionRun(action, operator, e.t, e.t, "cancelled", [_step(step, status, r, e.t)])
            )
            current.pop(action, None)
            continue
        fresh = run is None or (
            status == "planned" and any(s["status"] != "planned" for s in run.steps)
        )
        if fresh:
            run = current[action] = ActionRun(action, operator, e.t, e.t, "not finished")
            runs.append(run)
        assert run is not None
        run.end = e.t
        found = next((s for s in run.steps if s["step"] == step), None)
        if found is None:
            run.steps.append(_step(step, status, r, e.t))
        else:
            found["status"] = status
            found["detail"] = str(r.get("detail", ""))
            if status == "started":
                found["started"] = e.t
            else:
                found["ended"] = e.t
    for run in runs:
        if run.outcome == "cancelled":
            continue
        failed = next((s for s in run.steps if s["status"] == "failed"), None)
        if failed is not None:
            run.outcome = f"failed at {failed['step']}"
        elif run.steps and all(s["status"] in ("ok", "skipped") for s in run.steps):
            run.outcome = "ok"
    return runs


def _step(step: str, status: Any, record: dict[str, Any], t: float) -> dict[str, Any]:
    detail = str(record.get("detail", ""))
    return {
        "step": step,
        "status": status,
        "plan": detail if status == "planned" else "",
        "detail": detail,
        "started": t if status == "started" else None,
        "ended": None,
    }


def _timeline(
    events: list[Event], recording: Recording, config: Config
) -> list[tuple[float, str, str]]:
    out: list[tuple[float, str, str]] = []
    for s in recording.sessions:
        who = f" by {s.operator}" if s.operator else ""
        out.append((s.t0, "console", f"{s.mode} console started{who}"))
        out.append((s.t_end, "console", f"{s.mode} console's last record"))
    firing: set[tuple[int, str]] = set()
    for e in events:
        d = e.data
        if e.kind == "runbook":
            text = _runbook_text(d, config)
            if text:
                out.append((e.t, "runbook", text))
        elif e.kind == "alert":
            key = (e.session, e.key)
            if d.get("on") and key not in firing:
                firing.add(key)
                out.append((e.t, "alert", f"{d.get('level', '').upper()} {d.get('text', '')}"))
            elif d.get("on"):
                out.append((e.t, "alert", f"now {d.get('level', '').upper()}: {d.get('text', '')}"))
            elif key in firing:
                firing.discard(key)
                out.append((e.t, "cleared", e.key))
        elif e.kind == "gate":
            word = {True: "green", False: "RED", None: "unknown"}[d.get("ok")]
            out.append(
                (e.t, "gate", f"P0 gate {d.get('title', e.key)}: {word} ({d.get('value', '')})")
            )
        elif e.kind == "go_no_go":
            out.append((e.t, "go/no-go", f"{d.get('call')}: {d.get('reason')}"))
        elif e.kind == "audit":
            out.append(
                (
                    e.t,
                    "action",
                    f"{d.get('action')} {d.get('step')} {d.get('status')}"
                    + (
                        f": {d.get('detail')}"
                        if d.get("detail") and d.get("status") != "planned"
                        else ""
                    ),
                )
            )
    out.sort(key=lambda x: x[0])
    return out


def _runbook_text(change: dict[str, Any], config: Config) -> str:
    name, key, old, new = change["field"], change["key"], change["old"], change["new"]
    if name == "ticks":
        return f"checklist {key} ticked by {new['by']}" if new else f"checklist {key} unticked"
    if name == "owners":
        return f"{key}: {str(new).upper()}" if new else f"{key}: call withdrawn"
    if name == "incidents":
        if old is None and new:
            return f"{new['severity']} #{new['id']} opened by {new['opened_by']}: {new['summary']}"
        if new and new.get("resolved_at") is not None and (old or {}).get("resolved_at") is None:
            cause = f" — root cause: {new['root_cause']}" if new.get("root_cause") else ""
            return f"{new['severity']} #{new['id']} resolved{cause}"
        return f"incident #{key} changed"
    if name == "milestones":
        if not new:
            return ""
        word = {True: "passed", False: "FAILED", None: "not judged"}[new.get("passed")]
        seen = "; ".join(f"{w} {v}" for w, _, v in new.get("values", []))
        return f"milestone {key} {word}: " + (seen or new.get("note", ""))
    if name == "manual":
        what = {
            "ga4_users": "GA4 users",
            "ga4_sessions": "GA4 sessions",
            "ph_votes": "Product Hunt upvotes",
        }.get(key, key)
        return f"{what} entered: {new}"
    if name == "last_status_post":
        return "status update posted to Slack"
    if name == "rollback_at":
        return "rollback executed" if new else "rollback mark cleared"
    if name == "error_trigger_at":
        return "rollback trigger fired: error rate > 5% sustained > 10 min" if new else ""
    if name == "first_hour":
        # One change per figure when it is frozen: said once, on its instant.
        return "first hour (Section 6) frozen at T+1h" if key == "at" and new else ""
    if name == "board_t15":
        return f"go/no-go decided: {new}" if key == "call" and new else ""
    if name == "trigger_onsets":
        return ""  # the alerts' onsets and ends are in the timeline already
    return f"{name}{':' + str(key) if key is not None else ''} changed"


def when(t: float, config_zone: str, epoch: float) -> str:
    """'T+16m30s · 10:16:30 EDT · 14:16:30 UTC' for the timeline and tables."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    utc = datetime.fromtimestamp(t, UTC)
    local = utc.astimezone(ZoneInfo(config_zone))
    return f"{format_offset(round(t - epoch))} · {local:%H:%M:%S %Z} · {utc:%H:%M:%S} UTC"


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(seconds)
