"""The status posts of the runbook, filled from the Judgement (never from the store directly).

- Status update (5.4): colour and "What's broken" from the judge's overall status (the worst
  of firing triggers, P0 gates, open incidents, critical findings, a rollback run).
- T+15 status (Section 2): GREEN only when the T+15m milestone passed and nothing is wrong now;
  RED when anything is critical; YELLOW otherwise. Latency, error rate and searches: the values
  the milestone was judged on (live ones before it is judged).
- T+1h milestone (Section 2): "Launch stable" only when the T+1h milestone passed and nothing is
  wrong now; searches are the first hour's (frozen at T+1h); sessions are GA4's, entered by hand
  (never the users figure); the error rate is the one the milestone saw.
- All-clear (5.4): "Launch stable" only when nothing is wrong now; otherwise it says what still is.
- Rollback initiated (4.2): the reason is the firing rollback trigger(s).
"""

from __future__ import annotations

from console.config import Config
from console.durations import format_offset
from console.judge import Judgement, MilestoneStatus
from console.launchday import Incident, LaunchState
from console.rules import Level, pct, seconds
from console.timeline import zone_time


def _milestone(j: Judgement, mid: str) -> MilestoneStatus | None:
    return next((m for m in j.milestones if m.id == mid), None)


def _seen(m: MilestoneStatus | None, prefix: str) -> str | None:
    """The value a judged milestone recorded for its condition starting with `prefix`."""
    if m is None or m.judged_at is None:
        return None
    return next((v for w, _, v in m.items if w.startswith(prefix)), None)


def status_update(j: Judgement, state: LaunchState, config: Config) -> str:
    now, zone, s = j.now, config.launch.zone, j.status
    active = state.active_incidents()
    err = j.values.get("error_rate_5xx")
    headline = s.broken[0][1] if s.broken else "all clear"
    more = f" (+{len(s.broken) - 1} more)" if len(s.broken) > 1 else ""
    doing = "[brief]"
    if state.rollback_at is not None:
        doing = f"rollback executed at {zone_time(state.rollback_at, zone)} (runbook 4.3); [brief]"
    return (
        f"[{zone_time(now, zone)}] Status update\n"
        f"{s.dot} {s.word}: {headline}{more} — 5xx {pct(err)}, {len(active)} open incident(s)\n"
        f"- What's broken: {s.broken_text}\n"
        f"- What we're doing: {doing}\n"
        '- ETA: [estimate or "unknown"]\n'
        f"- Next update: {zone_time(now + config.launchday.status_every, zone)}\n"
        "— Rex"
    )


def t15_status(j: Judgement) -> str:
    m = _milestone(j, "t+15m")
    level = j.status.level
    if m is None or not m.passed:
        level = max(level, Level.WARN)  # the initial health check has not passed (yet)
    word = {Level.OK: "GREEN", Level.CRIT: "RED"}.get(level, "YELLOW")
    latency = _seen(m, "P50") or seconds(j.values.get("p50_latency"))
    err = _seen(m, "5xx") or pct(j.values.get("error_rate_5xx"))
    spm = j.values.get("searches_per_min")
    note = ""
    if m is None or m.judged_at is None:
        note = " (T+15m not judged yet: live values)"
    elif not m.passed:
        note = f" (T+15m {m.state}: {m.detail})"
    return (
        f"T+15 status: {word} — latency: {latency}, error rate: {err}, "
        f"searches: {spm or 0:.0f}/min{note}"
    )


def t1h_milestone(j: Judgement, state: LaunchState) -> str:
    m = _milestone(j, "t+1h")
    frozen = j.first_hour_frozen or {}
    searches = frozen.get("searches")
    shown = f"{searches:,}" if isinstance(searches, int) else "[X]"
    sessions = state.manual.get("ga4_sessions", "[X]")  # GA4 sessions, entered by hand
    err = _seen(m, "5xx") or pct(j.values.get("error_rate_5xx"))
    figures = f"{shown} searches, {sessions} sessions, error rate {err}."
    if m is None or m.judged_at is None:
        when = "not reached yet" if m is None or m.state == "upcoming" else m.detail
        return f"T+1h milestone: {when}. So far: {figures}"
    if m.passed and j.status.level is Level.OK:
        return f"✅ T+1h milestone: Launch stable. {figures}"
    if m.passed:
        return (
            f"{j.status.dot} T+1h milestone passed at {format_offset(m.offset)}, but now: "
            f"{j.status.broken_text}. {figures}"
        )
    failed = ", ".join(f"{w} ({v})" for w, ok, v in m.items if ok is not True) or m.detail
    return f"⚠️ T+1h milestone: NOT stable — {failed}. {figures}"


def all_clear(j: Judgement, config: Config, incident: Incident) -> str:
    at = zone_time(j.now, config.launch.zone)
    cause = incident.root_cause or "[brief]"
    if j.status.level is Level.OK:
        return (
            f"✅ [{at}] All-clear\n"
            f"Launch stable. Issue {incident.summary} resolved.\n"
            f"Root cause: {cause}\n"
            "Action item: [brief]\n"
            "— Rex"
        )
    return (
        f"{j.status.dot} [{at}] Issue resolved, NOT all-clear\n"
        f"Issue {incident.summary} resolved; still wrong: {j.status.broken_text}.\n"
        f"Root cause: {cause}\n"
        "Action item: [brief]\n"
        "— Rex"
    )


def rollback_reason(j: Judgement) -> str:
    """The firing rollback trigger(s) of Section 4.1, as one sentence; "" when none fires."""
    firing = [
        a.text.removeprefix("ROLLBACK TRIGGER: ")
        for a in j.alerts
        if a.rollback and a.level is Level.CRIT
    ]
    return "; ".join(firing)


def rollback_initiated(j: Judgement, config: Config) -> str:
    """Runbook 4.2's post, at decision time (the ETA is Rex's to fill in)."""
    reason = rollback_reason(j) or "[one sentence] (no Section 4.1 trigger is firing)"
    return (
        f"⚠️ ROLLBACK INITIATED — {zone_time(j.now, config.launch.zone)}\n"
        f"Reason: {reason}\n"
        "Lead: Rex\n"
        "ETA to stable: [estimate]"
    )


def posts(j: Judgement, state: LaunchState, config: Config) -> list[tuple[str, str]]:
    """Every post the runbook screen offers now (s), in order."""
    out = [
        ("Status update (5.4)", status_update(j, state, config)),
        ("T+15 status", t15_status(j)),
        ("T+1h milestone", t1h_milestone(j, state)),
    ]
    resolved = [i for i in state.incidents if not i.active]
    if resolved:
        out.append(("All-clear", all_clear(j, config, resolved[-1])))
    if rollback_reason(j):
        out.append(("Rollback initiated (4.2)", rollback_initiated(j, config)))
    return out
