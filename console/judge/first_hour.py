"""Section 6's first hour (T-0 to T+1h): measured from the store, frozen at T+1h.

The store keeps a bounded history, so recomputed later the first hour would shrink (searches
148,936 -> 101,256 -> 0 through the day). At T+1h the measured figures are frozen into the
runbook state and every later judgement, the verdict included, reads them from there.

A console that did not watch the whole hour measures what it saw and says from when: a figure
that already misses its target is a miss, one that meets it is not a claim it can make (unknown),
except the searches count, which can only grow with more of the hour (a lower bound).
"""

from __future__ import annotations

import itertools
from typing import Any

from console.config import Config
from console.durations import format_offset
from console.launchday import LaunchState
from console.rules import max_gap, pct, seconds
from console.store import Store

HOUR = 3600.0

Row = tuple[str, str, str, bool | None]  # (metric, target, value, ok)


def measure(store: Store, config: Config, until: float) -> dict[str, Any]:
    """The measured figures from T-0 up to `until` (at most T+1h)."""
    t0 = config.launch.epoch
    t1 = min(until, t0 + HOUR)
    spm = [(t, v) for t, v in store.series("searches_per_min") if t0 <= t <= t1]
    searches = 0.0
    for (ta, va), (tb, _) in itertools.pairwise(spm):
        searches += (va or 0.0) * (tb - ta) / 60  # per-minute rate over the time between samples
    errors = [(t, v) for t, v in store.series("error_rate_5xx") if t0 <= t <= t1]
    p99s = [v for t, v in store.series("p99_latency") if t0 <= t <= t1 and v is not None]
    health = [v for t, v in store.series("health_ok") if t0 <= t <= t1 and v is not None]
    error_values = [v for _, v in errors if v is not None]
    # Did the store see the whole stretch? Its first traffic sample must be near T-0.
    interval = config.poll.traffic.interval
    slack = max_gap(errors, interval) if errors else 4 * interval
    seen_from = errors[0][0] if errors else None
    seen_until = errors[-1][0] if errors else None
    return {
        "at": until,
        "until": t1,
        "from": seen_from,
        "to": seen_until,
        "whole": seen_from is not None and seen_from - t0 <= slack and t1 - seen_until <= slack,
        "searches": round(searches),
        "error_rate": max(error_values) if error_values else None,
        "uptime": 100 * sum(health) / len(health) if health else None,
        "p99": max(p99s) if p99s else None,
    }


def rows(
    figures: dict[str, Any] | None, config: Config, state: LaunchState, now: float
) -> list[Row]:
    """The Section 6 table from the figures (frozen or so far) and the numbers entered by hand."""
    t = config.first_hour
    t0 = config.launch.epoch
    over = now >= t0 + HOUR
    f = figures or {}
    started = now >= t0 and f.get("from") is not None
    whole = bool(f.get("whole"))
    since = (
        f" (seen from {format_offset(round(f['from'] - t0))})"
        if started and not whole and f.get("from") is not None
        else ""
    )

    def judged(ok: bool, lower_bound: bool = False) -> bool | None:
        # A miss is a miss; a pass over part of the hour is not a pass (unless the figure can
        # only grow with the rest of the hour).
        if not ok:
            return False
        return True if whole or lower_bound else None

    searches = f.get("searches")
    err, uptime, p99 = f.get("error_rate"), f.get("uptime"), f.get("p99")
    out: list[Row] = [
        (
            "Product searches",
            f"≥ {t.searches:,}",
            f"{searches:,}{since}" if started and searches is not None else "—",
            None
            if not started or searches is None
            else True
            if searches >= t.searches
            else (False if over and whole else None),
        ),
        (
            "Error rate (5xx)",
            f"< {t.error_rate_5xx:g}%",
            f"max {pct(err)}{since}" if err is not None else "—",
            None if err is None else judged(err < t.error_rate_5xx),
        ),
        (
            "API uptime",
            f"{t.uptime:g}%",
            f"{uptime:.1f}%{since}" if uptime is not None else "—",
            None if uptime is None else judged(uptime >= t.uptime),
        ),
        (
            "API P99 latency",
            f"< {seconds(t.p99_latency)}",
            f"max {seconds(p99)}{since}" if p99 is not None else "—",
            None if p99 is None else judged(p99 < t.p99_latency),
        ),
    ]
    users = state.manual.get("ga4_users")
    votes = state.manual.get("ph_votes")
    out.append(
        (
            "Unique users (GA4)",
            f"≥ {t.users:,}",
            users or "not measured (enter by hand)",
            None if users is None else int(users) >= t.users,
        )
    )
    out.append(
        (
            "Product Hunt upvotes",
            f"≥ {t.ph_votes:,}",
            votes or "not measured (enter by hand)",
            None if votes is None else int(votes) >= t.ph_votes,
        )
    )
    if over and figures is not None and figures.get("from") is None:
        out = [
            (m, target, "not measured: the console did not watch the first hour", None)
            if i < 4
            else (m, target, v, ok)
            for i, (m, target, v, ok) in enumerate(out)
        ]
    return out


MEASURED = 4  # the first rows are measured (and frozen); the rest are entered by hand
