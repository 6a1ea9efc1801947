"""What each metric pane shows: rows built from a reading and the rules' findings.

Plain functions from data to rows, so they are unit-testable without a terminal.
"""

from __future__ import annotations

from console.readings import (
    HostReading,
    PoolReading,
    PostgresReading,
    RedisReading,
    SmokeReading,
    TrafficReading,
)
from console.rules import Finding, Level, pct, seconds, size
from widgets.pane import Row


def _by_id(findings: list[Finding]) -> dict[str, Finding]:
    return {f.id: f for f in findings}


def _level(findings: dict[str, Finding], fid: str) -> Level | None:
    f = findings.get(fid)
    return f.level if f else None


def _num(value: float | None, fmt: str = "{:.0f}") -> str:
    return "—" if value is None else fmt.format(value)


def pool_rows(r: PoolReading, findings: list[Finding]) -> list[Row]:
    f = _by_id(findings)
    worst = r.worst
    if worst is None:
        return [("pools", "none", Level.UNKNOWN)]
    return [
        ("usage", pct(worst.usage_pct), _level(f, "pool_usage")),
        ("cl_active", str(sum(p.cl_active for p in r.pools)), None),
        (
            "cl_waiting",
            f["pool_waiting"].value if "pool_waiting" in f else "—",
            _level(f, "pool_waiting"),
        ),
        ("sv_active/idle", f"{worst.sv_active}/{worst.sv_idle} of {worst.pool_size}", None),
        (
            "maxwait",
            f["pool_maxwait"].value if "pool_maxwait" in f else "—",
            _level(f, "pool_maxwait"),
        ),
        ("queries/s", _num(r.queries_per_s), None),
    ]


def postgres_rows(r: PostgresReading, findings: list[Finding]) -> list[Row]:
    f = _by_id(findings)
    rows: list[Row] = [
        (
            "connections",
            f["pg_connections"].value if "pg_connections" in f else "—",
            _level(f, "pg_connections"),
        ),
    ]
    for state, count in sorted(r.by_state.items(), key=lambda kv: -kv[1]):
        rows.append((f"  {state}", str(count), None))
    if r.migration is not None:
        rows.append(("migration", r.migration.split("_", 1)[0], _level(f, "db.migration")))
    if r.product_count is not None:
        rows.append(("products", f"{r.product_count:,}", None))
    return rows


def redis_rows(r: RedisReading, findings: list[Finding]) -> list[Row]:
    f = _by_id(findings)
    label = "memory (of host)" if r.max_is_system else "memory"
    return [
        ("ping", _num(r.ping_ms, "{:.1f}ms"), _level(f, "redis.ping")),
        (
            label,
            f"{size(r.used_memory)}/{size(r.max_memory)} {pct(r.memory_pct)}",
            _level(f, "redis_memory"),
        ),
        ("clients", _num(r.clients), None),
        ("ops/s", _num(r.ops_per_sec), None),
        ("evicted", _num(r.evicted_keys), None),
    ]


def host_rows(r: HostReading, findings: list[Finding]) -> list[Row]:
    f = _by_id(findings)
    rows: list[Row] = [
        (
            f"disk {r.disk_path}",
            f"{pct(r.disk_pct)} of {size(r.disk_total)}",
            _level(f, "host.disk"),
        ),
        ("swap", f"{pct(r.swap_pct)} of {size(r.swap_total)}", _level(f, "host.swap")),
    ]
    if "db.backup_age" in f:
        rows.append(("newest backup", f["db.backup_age"].value, _level(f, "db.backup_age")))
    if r.machine:  # a remote Docker engine: these are not its host's disk, swap and backups
        rows.insert(0, ("read", r.machine, None))
    return rows


def traffic_rows(r: TrafficReading, findings: list[Finding]) -> list[Row]:
    f = _by_id(findings)
    rows: list[Row] = [
        ("5xx rate", pct(r.error_rate_pct), _level(f, "error_rate_5xx")),
        ("P50", seconds(r.p50_s), _level(f, "p50_latency")),
        ("P99", seconds(r.p99_s), _level(f, "p99_latency")),
        ("requests/s", _num(r.requests_per_s, "{:.1f}"), None),
        ("searches/min", _num(r.searches_per_min), None),
    ]
    for pattern, count in sorted(r.log_alerts.items()):
        rows.append((f"log {pattern}", str(count), _level(f, f"log:{pattern}")))
    return rows


def smoke_rows(r: SmokeReading, findings: list[Finding]) -> list[Row]:
    f = _by_id(findings)
    return [(c.title, c.detail or ("ok" if c.ok else "failed"), _level(f, c.id)) for c in r.checks]
