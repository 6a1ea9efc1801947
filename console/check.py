"""`launch-console check`: one sweep of the T-2h pre-launch checklist (runbook 1.1-1.4), headless.

The check ids are a public interface (scripts and the on-screen checklist use them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

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
from console.rules import Level, error_level, level_for, pct

# id, title, owner (runbook Section 5.1: Bolt infra/DB, Atlas smoke tests, Link affiliate).
CHECKS = (
    ("containers.running", "API containers running and healthy", "Bolt"),
    ("api.health", "API /health returns 200 with catalog count", "Atlas"),
    ("pgbouncer.pool_usage", "PgBouncer pool usage < 70%", "Bolt"),
    ("redis.ping", "Redis responsive", "Bolt"),
    ("host.disk", "Disk usage < 85% on host", "Bolt"),
    ("host.swap", "Swap < 70% used", "Bolt"),
    ("api.env", "USD_DEFAULT=USD and US_REGION=us in the API", "Bolt"),
    ("affiliate.tag", "Affiliate tag on /go/test-asin", "Link"),
    ("db.migration", "No pending migrations", "Bolt"),
    ("db.backup_age", "Backup completed within 24h", "Bolt"),
    ("catalog.count", "Product count stable (> 1.3M)", "Bolt"),
    ("smoke.search", "Product search returns results", "Atlas"),
    ("smoke.product", "Product detail", "Atlas"),
    ("mcp.health", "MCP endpoint", "Atlas"),
    ("affiliate.redirect", "Affiliate redirect tagged", "Link"),
    ("tls.expiry", "SSL cert valid, not expiring < 30 days", "Atlas"),
)
SOURCE_OF = {
    "containers.running": "containers",
    "api.env": "containers",
    "pgbouncer.pool_usage": "pgbouncer",
    "redis.ping": "redis",
    "host.disk": "host",
    "host.swap": "host",
    "db.backup_age": "host",
    "db.migration": "postgres",
    "catalog.count": "postgres",
}
SMOKE_IDS = {
    "api.health",
    "affiliate.tag",
    "smoke.search",
    "smoke.product",
    "mcp.health",
    "affiliate.redirect",
    "tls.expiry",
}


@dataclass(frozen=True, slots=True)
class CheckResult:
    id: str
    title: str
    owner: str
    level: str
    value: str
    summary: str


def _verdict(check_id: str, by_source: dict[str, Reading], config: Config) -> tuple[Level, str]:
    """Level and value of one check from the sweep's readings."""
    source = "smoke" if check_id in SMOKE_IDS else SOURCE_OF[check_id]
    r = by_source.get(source)
    if r is None:
        return Level.UNKNOWN, "no reading"
    if r.error is not None:
        return error_level(r.error), r.error
    if isinstance(r, SmokeReading):
        found = r.get(check_id)
        if found is None:
            return Level.UNKNOWN, "not checked"
        return (Level.OK if found.ok else Level.CRIT), found.detail
    t = config.thresholds
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
            value += "; " + ", ".join(f"{c.name} {c.health or c.state}" for c in bad)
            return Level.CRIT, value
        return (Level.WARN if starting else Level.OK), value
    if isinstance(r, PoolReading):
        usage = r.worst.usage_pct if r.worst else None
        return level_for(usage, t.pool_usage), pct(usage)
    if isinstance(r, RedisReading):
        return Level.OK, f"PONG in {r.ping_ms:.1f}ms"
    if isinstance(r, HostReading):
        on = f" {r.machine}" if r.machine else ""  # a remote engine: say whose disk this is
        if check_id == "host.disk":
            level = level_for(r.disk_pct, t.disk)
            if r.disk_pct is not None and r.disk_pct > t.disk_cleanup_at:
                level = Level.CRIT  # 1.1: above 85 %, clean up before proceeding
            return level, pct(r.disk_pct) + on
        if check_id == "host.swap":
            return level_for(r.swap_pct, t.swap), pct(r.swap_pct) + on
        age = r.newest_backup_age_s
        if age is None:
            return Level.CRIT, "no backup found" + on
        return (Level.OK if age < 24 * 3600 else Level.CRIT), f"{format_duration(age)} old{on}"
    if isinstance(r, PostgresReading):
        if check_id == "db.migration":
            ok = r.migration == config.postgres.expected_migration
            return (Level.OK if ok else Level.CRIT), r.migration or "none"
        if r.product_count is None:
            return Level.UNKNOWN, "no estimate yet (table never analysed)"
        ok = r.product_count > config.postgres.min_products
        return (Level.OK if ok else Level.CRIT), f"{r.product_count:,}"
    return Level.UNKNOWN, "no rule"


def evaluate(readings: list[Reading], config: Config) -> list[CheckResult]:
    by_source = {r.source: r for r in readings}
    out = []
    for check_id, title, owner in CHECKS:
        level, value = _verdict(check_id, by_source, config)
        summary = f"{level.symbol} {title}: {value}"
        out.append(CheckResult(check_id, title, owner, level.word, value, summary))
    return out


def render_table(results: list[CheckResult]) -> str:
    width = max(len(r.id) for r in results)
    lines = [f"{'check':<{width}}  {'owner':<6} {'level':<9} value"]
    for r in results:
        symbol = Level[r.level.upper()].symbol
        lines.append(f"{r.id:<{width}}  {r.owner:<6} {symbol} {r.level:<7} {r.value}")
    return "\n".join(lines)


def render_json(results: list[CheckResult], at: float) -> str:
    stamp = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"at": stamp, "checks": [{k: v for k, v in asdict(r).items()} for r in results]}, indent=2
    )


def exit_code(results: list[CheckResult]) -> int:
    return 0 if all(r.level == "ok" for r in results) else 1
