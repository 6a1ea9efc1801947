"""The countdown: where the launch day stands, and which milestone comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from console.config import Config, Milestone

# The day's phases, by offset from launch.
PRE_LAUNCH, LAUNCH, STABILISATION = "PRE-LAUNCH", "LAUNCH", "STABILISATION"
STABILISATION_FROM = 3600.0  # T+1h: the runbook's "Stability check"


def phase(offset: float) -> str:
    if offset < 0:
        return PRE_LAUNCH
    return LAUNCH if offset < STABILISATION_FROM else STABILISATION


@dataclass(frozen=True, slots=True)
class Countdown:
    offset: float  # seconds since launch (negative before)
    phase: str
    next_milestone: Milestone | None
    to_next: float | None
    launch_utc: str
    launch_local: str


def countdown(config: Config, now: float) -> Countdown:
    offset = now - config.launch.epoch
    upcoming = [m for m in config.milestones if m.at > offset]
    nxt = upcoming[0] if upcoming else None
    at = config.launch.at
    local = at.astimezone(ZoneInfo(config.launch.zone))
    return Countdown(
        offset=offset,
        phase=phase(offset),
        next_milestone=nxt,
        to_next=None if nxt is None else nxt.at - offset,
        launch_utc=at.astimezone(UTC).strftime("%d %b %H:%M UTC"),
        launch_local=local.strftime("%H:%M %Z"),
    )


def wall(now: float, zone: str) -> str:
    """The current time in UTC and the launch zone, for the clock pane."""
    t = datetime.fromtimestamp(now, UTC)
    local = t.astimezone(ZoneInfo(zone))
    return f"{t:%H:%M:%S} UTC · {local:%H:%M:%S %Z}"


def next_milestone_text(c: Countdown) -> str:
    """'next T+15m Initial health check (Atlas) in 4m10s', or that all have passed."""
    from console.durations import format_duration, format_offset

    nxt = c.next_milestone
    if nxt is None or c.to_next is None:
        return "all milestones passed"
    owner = f" ({nxt.owner})" if nxt.owner else ""
    return f"next {format_offset(nxt.at)} {nxt.title}{owner} in {format_duration(c.to_next)}"
