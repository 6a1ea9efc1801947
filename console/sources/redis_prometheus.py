"""Redis through Prometheus: the redis_exporter's series instead of a connection to Redis.

When `[redis] prometheus` names the exporter's series (label matchers, e.g. `job="redis"`),
this is the `redis` source: the same reading, pane, findings and check as a direct connection,
for an operator who has Prometheus but no network path (or password) to Redis. The figures are
the exporter's standard metrics (oliver006/redis_exporter, Debian's prometheus-redis-exporter);
run it with `--include-system-metrics` so a Redis without maxmemory is measured against the
host's memory, as the direct source does, and `--ping-on-connect` for the ping figure.

Whether Redis answers is the exporter's verdict (`redis_up`) on its last scrape, and whether
the exporter answers is Prometheus's (`up`): either at 0 is this source's DOWN, so the pane and
the "Redis responsive" check fail exactly as they do when the console cannot connect.
"""

from __future__ import annotations

import asyncio

from console.clock import Clock
from console.config import Config
from console.readings import RedisReading
from console.sources.base import describe
from console.sources.promql import from_config

# reading figure -> PromQL over the exporter's series ($s: the label matchers).
QUERIES = {
    "scraped": "max(up{$s})",
    "up": "max(redis_up{$s})",
    "ping_s": "max(redis_exporter_last_scrape_ping_time_seconds{$s})",
    "used_memory": "sum(redis_memory_used_bytes{$s})",
    "max_memory": "sum(redis_memory_max_bytes{$s})",
    "system_memory": "max(redis_total_system_memory_bytes{$s})",
    "clients": "sum(redis_connected_clients{$s})",
    "ops_per_sec": "sum(rate(redis_commands_processed_total{$s}[$w]))",
    "evicted_keys": "sum(redis_evicted_keys_total{$s})",
}


class PrometheusRedisSource:
    name = "redis"
    reading_type = RedisReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.clock = clock
        prom = config.prometheus
        matchers, window = config.redis.prometheus, f"{prom.window:g}s"
        self.queries = {
            figure: q.replace("$s", matchers).replace("$w", window) for figure, q in QUERIES.items()
        }
        self.client, self._problem = from_config(
            prom.url, prom.auth_header_env, prom.ca_file, config.poll.redis.timeout
        )

    async def read(self) -> RedisReading:
        now = self.clock.now()
        if self._problem:
            return RedisReading.failed(self.name, now, self._problem)
        try:
            values = await asyncio.gather(*(self.client.instant(q) for q in self.queries.values()))
        except Exception as exc:
            return RedisReading.failed(self.name, now, describe(exc))
        v = dict(zip(self.queries, values, strict=True))
        if v["scraped"] is None:
            return RedisReading.failed(
                self.name, now, f"ERROR: Prometheus has no series {self.queries['scraped']}"
            )
        if v["scraped"] < 1:
            return RedisReading.failed(self.name, now, "DOWN: the redis exporter is not scraped")
        if not v["up"]:
            return RedisReading.failed(self.name, now, "DOWN: Redis does not answer its exporter")
        maxmemory = int(v["max_memory"] or 0)
        system = maxmemory == 0
        ping = v["ping_s"]
        return RedisReading(
            source=self.name,
            at=now,
            ping_ms=None if ping is None else ping * 1000,
            used_memory=None if v["used_memory"] is None else int(v["used_memory"]),
            max_memory=(int(v["system_memory"] or 0) or None) if system else maxmemory,
            max_is_system=system,
            clients=None if v["clients"] is None else int(v["clients"]),
            ops_per_sec=v["ops_per_sec"],
            evicted_keys=None if v["evicted_keys"] is None else int(v["evicted_keys"]),
        )

    async def close(self) -> None:
        await self.client.close()
