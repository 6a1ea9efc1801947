"""Redis: ping and memory (1.1 "Redis responsive", 3.4 "Redis memory")."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.kinds.kind import Chart, CheckSpec, Kind, Row
from console.readings import RedisReading
from console.rules import Finding, Level, level_for, pct, size
from console.sources import Source


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}ms"


def findings(r: RedisReading, config: Config) -> list[Finding]:
    return [
        Finding("redis.ping", "ping", Level.OK, _ms(r.ping_ms)),
        Finding(
            "redis_memory",
            "memory",
            level_for(r.memory_pct, config.thresholds.redis_memory),
            pct(r.memory_pct),
        ),
    ]


def rows(r: RedisReading, found: list[Finding]) -> list[Row]:
    f = {x.id: x.level for x in found}
    label = "memory (of host)" if r.max_is_system else "memory"

    def num(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}"

    return [
        ("ping", _ms(r.ping_ms), f.get("redis.ping")),
        (
            label,
            f"{size(r.used_memory)}/{size(r.max_memory)} {pct(r.memory_pct)}",
            f.get("redis_memory"),
        ),
        ("clients", num(r.clients), None),
        ("ops/s", num(r.ops_per_sec), None),
        ("evicted", num(r.evicted_keys), None),
    ]


def ping(r: RedisReading, config: Config) -> tuple[Level, str]:
    if r.ping_ms is None:  # through an exporter run without --ping-on-connect
        return Level.OK, "answers its exporter (redis_up 1)"
    return Level.OK, f"PONG in {r.ping_ms:.1f}ms"


def live(config: Config, clock: Clock, one_shot: bool) -> Source:
    # An operator with Prometheus but no path to Redis: the exporter's figures instead.
    if config.redis.prometheus:
        from console.sources.redis_prometheus import PrometheusRedisSource

        return PrometheusRedisSource(config, clock)
    from console.sources.redis import RedisSource

    return RedisSource(config, clock)


def sim(stack, clock: Clock) -> Source:
    from console.sim.sources import SimRedis

    return SimRedis(stack, clock)


KIND = Kind(
    name="redis",
    title="Redis",
    reading_type=RedisReading,
    findings=findings,
    live=live,
    sim=sim,
    rows=rows,
    place=5,
    checks=(CheckSpec("redis.ping", "Redis responsive", "Bolt", (1, 1, 4), ping),),
    charts=(Chart("redis_memory", "Redis memory", "%", "redis_memory", 4),),
    units={"redis_memory": "%"},
)
