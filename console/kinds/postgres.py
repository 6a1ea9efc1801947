"""PostgreSQL: connections by state, the migration, the product count (1.3, 3.4)."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.kinds.kind import CheckSpec, Kind, Row
from console.readings import PostgresReading
from console.rules import Finding, Level, level_for, pct
from console.sources import Source


def findings(r: PostgresReading, config: Config) -> list[Finding]:
    out = [
        Finding(
            "pg_connections",
            "connections",
            level_for(r.connections_pct, config.thresholds.pool_usage),
            f"{r.total}/{r.max_connections or '?'} ({pct(r.connections_pct)})",
        )
    ]
    if r.migration is not None:
        expected = config.postgres.expected_migration
        out.append(
            Finding(
                "db.migration",
                "migration",
                Level.OK if r.migration == expected else Level.CRIT,
                r.migration,
            )
        )
    return out


def rows(r: PostgresReading, found: list[Finding]) -> list[Row]:
    f = {x.id: x for x in found}
    out: list[Row] = [
        (
            "connections",
            f["pg_connections"].value if "pg_connections" in f else "—",
            f["pg_connections"].level if "pg_connections" in f else None,
        ),
    ]
    for state, count in sorted(r.by_state.items(), key=lambda kv: -kv[1]):
        out.append((f"  {state}", str(count), None))
    if r.migration is not None:
        level = f["db.migration"].level if "db.migration" in f else None
        out.append(("migration", r.migration.split("_", 1)[0], level))
    if r.product_count is not None:
        out.append(("products", f"{r.product_count:,}", None))
    return out


def migration(r: PostgresReading, config: Config) -> tuple[Level, str]:
    ok = r.migration == config.postgres.expected_migration
    return (Level.OK if ok else Level.CRIT), r.migration or "none"


def catalog_count(r: PostgresReading, config: Config) -> tuple[Level, str]:
    if r.product_count is None:
        return Level.UNKNOWN, "no estimate yet (table never analysed)"
    ok = r.product_count > config.postgres.min_products
    return (Level.OK if ok else Level.CRIT), f"{r.product_count:,}"


def live(config: Config, clock: Clock, one_shot: bool) -> Source:
    from console.sources.postgres import PostgresSource

    return PostgresSource(config, clock)


def sim(stack, clock: Clock) -> Source:
    from console.sim.sources import SimPostgres

    return SimPostgres(stack, clock)


KIND = Kind(
    name="postgres",
    title="PostgreSQL",
    reading_type=PostgresReading,
    findings=findings,
    live=live,
    sim=sim,
    rows=rows,
    place=4,
    checks=(
        CheckSpec("db.migration", "No pending migrations", "Bolt", (1, 3, 1), migration),
        CheckSpec(
            "catalog.count", "Product count stable (> {products})", "Bolt", (1, 3, 3), catalog_count
        ),
    ),
    units={"pg_connections": "%"},
)
