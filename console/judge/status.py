"""The day's overall level and what is broken (every status post's colour and "What's broken"),
and the launch verdict of Section 6.

The colour of a post is the worst of: the rollback triggers (fired: red; holding: yellow), the
P0 gates (red: red; unknown: yellow), the open incidents (P1 red, P2 yellow), a critical finding
on any pane (red) and a rollback already run (yellow at least: US traffic is paused). Nothing
else decides it, so a post can never be greener than the screen beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.config import Config
from console.durations import format_duration
from console.judge.board import Gate
from console.judge.first_hour import Row
from console.launchday import LaunchState
from console.rules import Finding, Level, TriggerState
from console.timeline import zone_time

DOT = {Level.OK: "🟢", Level.UNKNOWN: "🟡", Level.WARN: "🟡", Level.CRIT: "🔴"}
WORD = {Level.OK: "GREEN", Level.UNKNOWN: "YELLOW", Level.WARN: "YELLOW", Level.CRIT: "RED"}


@dataclass(frozen=True, slots=True)
class Status:
    level: Level
    broken: tuple[tuple[Level, str], ...]  # worst first

    @property
    def dot(self) -> str:
        return DOT[self.level]

    @property
    def word(self) -> str:
        return WORD[self.level]

    @property
    def broken_text(self) -> str:
        return "; ".join(text for _, text in self.broken) or "nothing"


def overall(
    triggers: list[TriggerState],
    gates: list[Gate],
    state: LaunchState,
    panes: dict[str, list[Finding]],
    config: Config,
    now: float,
) -> Status:
    found: list[tuple[Level, str]] = []
    for t in triggers:
        if t.state.fired:
            found.append((Level.CRIT, t.text))
    for t in triggers:
        if t.state.holding and not t.state.fired:
            found.append((Level.WARN, t.text))
    for i in state.active_incidents():
        level = Level.CRIT if i.severity == "P1" else Level.WARN
        found.append(
            (level, f"{i.severity} #{i.id} {i.summary} (open {format_duration(now - i.opened_at)})")
        )
    for g in gates:
        if g.id == "gate:no_p1":
            continue  # the incident itself is listed
        if g.ok is False:
            found.append((Level.CRIT, f"P0 gate {g.title}: {g.value}"))
        elif g.ok is None:
            found.append((Level.WARN, f"P0 gate {g.title}: unknown ({g.value})"))
    if state.rollback_at is not None:
        at = zone_time(state.rollback_at, config.launch.zone)
        found.append((Level.WARN, f"rolled back at {at}: US traffic paused"))
    for pane, findings in panes.items():
        for f in findings:
            if f.level is Level.CRIT and f.id != "source":
                found.append((Level.CRIT, f"{pane}: {f.title} {f.shown}"))
    # Several findings say one thing (a trigger and the pane value it watches): keep the order,
    # worst first, without repeats.
    found.sort(key=lambda item: -item[0])
    level = max((lv for lv, _ in found), default=Level.OK)
    return Status(level, tuple(found))


def launch_verdict(
    state: LaunchState, criteria: list[Row], gates: list[Gate], config: Config, now: float
) -> tuple[str, str]:
    """Section 6: ("SUCCESS" | "FAILED" | "NOT MET" | "PENDING", why), on the frozen first hour."""
    failed = []
    if state.rollback_at is not None:
        failed.append("rollback executed")
    if state.error_trigger_at is not None:
        trigger = config.rollback_triggers.error_rate_5xx
        failed.append(f"error rate > {trigger.above:g}% sustained > {trigger.sustained / 60:g} min")
    users = state.manual.get("ga4_users")
    floor = config.first_hour.failed_below_users
    if users is not None and now >= config.launch.epoch + 3600 and int(users) < floor:
        failed.append(f"< {floor} users in the first hour")
    if failed:
        return "FAILED", "; ".join(failed) + " (post-mortem)"
    if now < config.launch.epoch + 3600:
        return "PENDING", "the first hour is not over"
    misses = [name for name, _, _, ok in criteria if ok is False]
    unknown = [name for name, _, _, ok in criteria if ok is None]
    gates_down = [g.title for g in gates if g.ok is not True]
    if misses or gates_down:
        return "NOT MET", ", ".join(misses + gates_down)
    if unknown:
        return "PENDING", "not measured yet: " + ", ".join(unknown)
    return "SUCCESS", "all P0 gates green, targets met, no rollback"
