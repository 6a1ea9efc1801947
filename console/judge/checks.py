"""The checks: the T-2h checklist's items (runbook 1.1-1.4) and the later checks the milestones
ask for (sources.fresh at T+1h and T+4h), each judged once from the store's readings.

Pre-launch items use Section 1's own limits ([prelaunch]: "Disk usage < 85%", "pool usage <
70%", ...), which are not Section 3.4's alert bands the panes use: 81 % disk is a warning on the
host pane and green on the checklist. An item is green only strictly below its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.config import Config
from console.durations import format_duration
from console.readings import (
    ContainersReading,
    HostReading,
    PoolReading,
    PostgresReading,
    Reading,
    RedisReading,
    SmokeReading,
)
from console.rules import Level, backup_level, error_level, pct
from console.store import Store

PRELAUNCH = "pre-launch"  # runbook 1.1-1.4: `check`, the T-2h checklist
LATER = "later"  # asked for by a later milestone only

# id, title ({} filled from the config), owner (runbook 5.1), source, stage.
CHECK_TABLE = (
    ("containers.running", "API containers running and healthy", "Bolt", "containers", PRELAUNCH),
    ("api.health", "API /health returns 200 with catalog count", "Atlas", "smoke", PRELAUNCH),
    ("pgbouncer.pool_usage", "PgBouncer pool usage < {pool}%", "Bolt", "pgbouncer", PRELAUNCH),
    ("redis.ping", "Redis responsive", "Bolt", "redis", PRELAUNCH),
    ("host.disk", "Disk usage < {disk}% on host", "Bolt", "host", PRELAUNCH),
    ("host.swap", "Swap < {swap}% used", "Bolt", "host", PRELAUNCH),
    ("api.env", "USD_DEFAULT=USD and US_REGION=us in the API", "Bolt", "containers", PRELAUNCH),
    ("affiliate.tag", "Affiliate tag on /go/test-asin", "Link", "smoke", PRELAUNCH),
    ("db.migration", "No pending migrations", "Bolt", "postgres", PRELAUNCH),
    ("db.backup_age", "Backup completed within {backup}", "Bolt", "host", PRELAUNCH),
    ("catalog.count", "Product count stable (> {products})", "Bolt", "postgres", PRELAUNCH),
    ("smoke.search", "Product search returns results", "Atlas", "smoke", PRELAUNCH),
    ("smoke.product", "Product detail", "Atlas", "smoke", PRELAUNCH),
    ("mcp.health", "MCP endpoint", "Atlas", "smoke", PRELAUNCH),
    ("affiliate.redirect", "Affiliate redirect tagged", "Link", "smoke", PRELAUNCH),
    ("tls.expiry", "SSL cert valid, not expiring < 30 days", "Atlas", "smoke", PRELAUNCH),
    ("sources.fresh", "Data ingestion: every US source ran < 4h ago", "Bolt", "smoke", LATER),
)
CHECK_IDS = tuple(row[0] for row in CHECK_TABLE)
PRELAUNCH_IDS = tuple(row[0] for row in CHECK_TABLE if row[4] == PRELAUNCH)
# The public three-column table `check` prints (id, title, owner), with the default limits.
CHECKS = tuple((cid, title, owner) for cid, title, owner, _, stage in CHECK_TABLE)


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


def _below(value: float | None, limit: float, miss: Level) -> Level:
    if value is None:
        return Level.UNKNOWN
    return Level.OK if value < limit else miss


def _from_reading(check_id: str, r: Reading, config: Config) -> tuple[Level, str]:
    """Level and value of one check from its source's good reading."""
    p = config.prelaunch
    if isinstance(r, SmokeReading):
        found = r.get(check_id)
        if found is None:
            return Level.UNKNOWN, "not checked"
        return (Level.OK if found.ok else Level.CRIT), found.detail
    if isinstance(r, ContainersReading):
        if check_id == "api.env":
            env = r.api_env or {}
            ok = env.get("USD_DEFAULT") == "USD" and env.get("US_REGION") == "us"
            shown = ", ".join(f"{k}={env.get(k, '(unset)')}" for k in ("USD_DEFAULT", "US_REGION"))
            return (Level.OK if ok else Level.CRIT), shown
        expected = [c for c in r.containers if c.name in config.docker.services]
        bad = [c for c in expected if c.state != "running" or c.health == "unhealthy"]
        starting = [c for c in expected if c.state == "running" and c.health == "starting"]
        running = sum(c.state == "running" for c in expected)
        value = f"{running}/{len(config.docker.services)} running"
        if bad:
            value += "; " + ", ".join(f"{c.where} {c.health or c.state}" for c in bad)
            return Level.CRIT, value
        return (Level.WARN if starting else Level.OK), value
    if isinstance(r, PoolReading):
        usage = r.worst.usage_pct if r.worst else None
        return _below(usage, p.pool_usage, Level.CRIT), pct(usage)
    if isinstance(r, RedisReading):
        return Level.OK, f"PONG in {r.ping_ms:.1f}ms"
    if isinstance(r, HostReading):
        on = f" {r.machine}" if r.machine else ""  # a remote engine: say whose disk this is
        if check_id == "host.disk":
            # 1.1: "Disk usage < 85% on host. If > 85%, trigger emergency cleanup".
            return _below(r.disk_pct, p.disk, Level.CRIT), pct(r.disk_pct) + on
        if check_id == "host.swap":
            # 1.1: "Swap < 70% used (monitor for memory pressure)": a warning, not a blocker.
            return _below(r.swap_pct, p.swap, Level.WARN), pct(r.swap_pct) + on
        age = r.newest_backup_age_s
        shown = "no backup found" if age is None else f"{format_duration(age)} old"
        return backup_level(age, config), shown + on
    if isinstance(r, PostgresReading):
        if check_id == "db.migration":
            ok = r.migration == config.postgres.expected_migration
            return (Level.OK if ok else Level.CRIT), r.migration or "none"
        if r.product_count is None:
            return Level.UNKNOWN, "no estimate yet (table never analysed)"
        ok = r.product_count > config.postgres.min_products
        return (Level.OK if ok else Level.CRIT), f"{r.product_count:,}"
    return Level.UNKNOWN, "no rule"


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
    level, value = _from_reading(check_id, good, config)
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
