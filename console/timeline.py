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
    done: str = "no milestone left"  # what to say once none is ahead (the judge's summary)


def countdown(config: Config, now: float, done: str = "no milestone left") -> Countdown:
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
        done=done,
    )


def zone_time(t: float, zone: str) -> str:
    """'10:15 EDT': an instant on the launch zone's wall clock."""
    return f"{datetime.fromtimestamp(t, UTC).astimezone(ZoneInfo(zone)):%H:%M %Z}"


def both_times(t: float, zone: str) -> str:
    """'10:15 EDT · 14:15 UTC': a milestone's time in the launch zone and UTC."""
    return f"{zone_time(t, zone)} · {datetime.fromtimestamp(t, UTC):%H:%M} UTC"


def runbook_zone_note(config: Config) -> str:
    """The runbook labels its times EST ("09:00 EST (14:00 UTC)"); on a launch day when New
    York keeps daylight time the same instants read an hour later on its clocks. One note where
    the schedule is shown, or "" when the labels are right."""
    zone = ZoneInfo(config.launch.zone)
    at = config.launch.at.astimezone(zone)
    january = datetime(at.year, 1, 15, 12, tzinfo=zone)
    if january.tzname() != "EST" or not at.dst():
        return ""
    labelled = (at - at.dst()).strftime("%H:%M")
    hours = int(at.utcoffset().total_seconds() // 3600)
    return (
        f"The runbook writes its times in EST, but on {at:%d %b} New York is on {at:%Z} "
        f'(UTC{hours:+d}): its "{labelled} EST ({config.launch.at:%H:%M} UTC)" launch is '
        f"{at:%H:%M %Z} on the wall, and every EST time there is an hour later locally. "
        f"Times here: {at:%Z} and UTC."
    )


def wall(now: float, zone: str) -> str:
    """The current time in UTC and the launch zone, for the clock pane."""
    t = datetime.fromtimestamp(now, UTC)
    local = t.astimezone(ZoneInfo(zone))
    return f"{t:%H:%M:%S} UTC · {local:%H:%M:%S %Z}"


def next_milestone_text(c: Countdown) -> str:
    """'next T+15m Initial health check (Atlas) in 4m10s', or, once none is ahead, how they went
    (the judge's words: "all milestones passed" only when every one did)."""
    from console.durations import format_duration, format_offset

    nxt = c.next_milestone
    if nxt is None or c.to_next is None:
        return c.done
    owner = f" ({nxt.owner})" if nxt.owner else ""
    return f"next {format_offset(nxt.at)} {nxt.title}{owner} in {format_duration(c.to_next)}"
