"""The checks: the T-2h checklist's items (runbook 1.1-1.4) and the later checks the milestones
ask for (sources.fresh at T+1h and T+4h), each judged once from the store's readings.

Pre-launch items use Section 1's own limits ([prelaunch]: "Disk usage < 85%", "pool usage <
70%", ...), which are not Section 3.4's alert bands the panes use: 81 % disk is a warning on the
host pane and green on the checklist. An item is green only strictly below its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from console import kinds
from console.config import Config
from console.durations import format_duration
from console.kinds import PRELAUNCH
from console.rules import Level, error_level
from console.store import Store

# The checks, in the runbook's order, as their kinds declare them (console/kinds/): id, title
# ({} filled from the config), owner (runbook 5.1), source, stage.
CHECK_TABLE = tuple((c.id, c.title, c.owner, k.name, c.stage) for k, c in kinds.checks())
CHECK_IDS = tuple(row[0] for row in CHECK_TABLE)
PRELAUNCH_IDS = tuple(row[0] for row in CHECK_TABLE if row[4] == PRELAUNCH)
# The public three-column table `check` prints (id, title, owner), with the default limits.
CHECKS = tuple((cid, title, owner) for cid, title, owner, _, stage in CHECK_TABLE)
_SPECS = {c.id: c for _, c in kinds.checks()}


@dataclass(frozen=True, slots=True)
class CheckResult:
    id: str
    title: str
    owner: str
    level: str
    value: str
    summary: str


def titles(config: Config) -> dict[str, str]:
    p = config.prelaunch
    fill = {
        "pool": f"{p.pool_usage:g}",
        "disk": f"{p.disk:g}",
        "swap": f"{p.swap:g}",
        "backup": _span(p.backup_max_age),
        "products": _millions(config.postgres.min_products),
    }
    return {cid: title.format(**fill) for cid, title, *_ in CHECK_TABLE}


def _span(seconds: float) -> str:
    # "24h" as the runbook writes it (format_duration would say "1d").
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    return format_duration(seconds)


def _millions(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n:,}"


def _verdict(check_id: str, source: str, store: Store, config: Config) -> tuple[Level, str]:
    latest, good = store.latest(source), store.good(source)
    if latest is None:
        return Level.UNKNOWN, "no reading"
    if good is None:
        return (
            (error_level(latest.error), latest.error)
            if latest.error
            else (
                Level.UNKNOWN,
                "no reading",
            )
        )
    level, value = _SPECS[check_id].verdict(good, config)
    if store.is_stale(source):
        # As on the panes: old news keeps its bad news, but an old "ok" is no longer a claim.
        age = store.age(source)
        return max(level, Level.UNKNOWN), f"{value} (stale {format_duration(age or 0)})"
    return level, value


def judge_checks(store: Store, config: Config) -> list[CheckResult]:
    """Every check id, judged from the store's newest good readings."""
    named = titles(config)
    out = []
    for check_id, _, owner, source, _stage in CHECK_TABLE:
        level, value = _verdict(check_id, source, store, config)
        title = named[check_id]
        out.append(
            CheckResult(
                check_id, title, owner, level.word, value, f"{level.symbol} {title}: {value}"
            )
        )
    return out


def prelaunch(checks: list[CheckResult]) -> list[CheckResult]:
    return [c for c in checks if c.id in PRELAUNCH_IDS]
