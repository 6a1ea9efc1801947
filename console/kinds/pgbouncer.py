"""PgBouncer's pool: `SHOW POOLS` (1.1 "pool usage < 70%", 3.4, 4.1 "DB pool exhaustion")."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.kinds.kind import Chart, CheckSpec, Kind, Row
from console.readings import PoolReading
from console.rules import Finding, Level, below, level_for, pct, seconds
from console.sources import Source


def findings(r: PoolReading, config: Config) -> list[Finding]:
    t = config.thresholds
    worst_pool = r.worst
    usage = worst_pool.usage_pct if worst_pool else None
    waiting = sum(p.cl_waiting for p in r.pools)
    maxwait = max((p.maxwait_s for p in r.pools), default=0.0)
    return [
        Finding("pool_usage", "pool usage", level_for(usage, t.pool_usage), pct(usage)),
        Finding("pool_waiting", "waiting", level_for(waiting, t.pool_waiting), str(waiting)),
        Finding("pool_maxwait", "max wait", level_for(maxwait, t.pool_maxwait), seconds(maxwait)),
    ]


def rows(r: PoolReading, found: list[Finding]) -> list[Row]:
    f = {x.id: x for x in found}
    worst = r.worst
    if worst is None:
        return [("pools", "none", Level.UNKNOWN)]

    def level(fid: str) -> Level | None:
        return f[fid].level if fid in f else None

    return [
        ("usage", pct(worst.usage_pct), level("pool_usage")),
        ("cl_active", str(sum(p.cl_active for p in r.pools)), None),
        (
            "cl_waiting",
            f["pool_waiting"].value if "pool_waiting" in f else "—",
            level("pool_waiting"),
        ),
        ("sv_active/idle", f"{worst.sv_active}/{worst.sv_idle} of {worst.pool_size}", None),
        ("maxwait", f["pool_maxwait"].value if "pool_maxwait" in f else "—", level("pool_maxwait")),
        ("queries/s", "—" if r.queries_per_s is None else f"{r.queries_per_s:.0f}", None),
    ]


def pool_usage(r: PoolReading, config: Config) -> tuple[Level, str]:
    usage = r.worst.usage_pct if r.worst else None
    return below(usage, config.prelaunch.pool_usage, Level.CRIT), pct(usage)


def live(config: Config, clock: Clock, one_shot: bool) -> Source:
    from console.sources.pgbouncer import PgBouncerSource

    return PgBouncerSource(config, clock)


def sim(stack, clock: Clock) -> Source:
    from console.sim.sources import SimPgBouncer

    return SimPgBouncer(stack, clock)


KIND = Kind(
    name="pgbouncer",
    title="DB pool (PgBouncer)",
    reading_type=PoolReading,
    findings=findings,
    live=live,
    sim=sim,
    rows=rows,
    place=3,
    checks=(
        CheckSpec(
            "pgbouncer.pool_usage", "PgBouncer pool usage < {pool}%", "Bolt", (1, 1, 3), pool_usage
        ),
    ),
    charts=(Chart("pool_usage", "DB pool usage", "%", "pool_usage", 3),),
    units={"pool_usage": "%", "pool_waiting": ""},
)
