"""Redis: ping latency, memory against maxmemory, clients, ops/s, evictions (runbook 1.1, T+1h)."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from console.clock import Clock
from console.config import Config
from console.readings import RedisReading
from console.sources.base import describe


class RedisSource:
    name = "redis"
    reading_type = RedisReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.clock = clock
        timeout = config.poll.redis.timeout
        # No retries: a probe of a dead server must fail fast, not back off ten times
        # (redis-py's default). The client reconnects by itself on the next poll.
        self.client = aioredis.Redis.from_url(
            config.redis.url.get_secret_value(),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )

    async def read(self) -> RedisReading:
        now = self.clock.now()
        try:
            started = time.perf_counter()
            await self.client.ping()
            ping_ms = (time.perf_counter() - started) * 1000
            info = await self.client.info()
        except Exception as exc:
            return RedisReading.failed(self.name, now, describe(exc))
        maxmemory = int(info.get("maxmemory", 0))
        system = maxmemory == 0
        return RedisReading(
            source=self.name,
            at=now,
            ping_ms=ping_ms,
            used_memory=int(info.get("used_memory", 0)),
            max_memory=int(info.get("total_system_memory", 0)) if system else maxmemory,
            max_is_system=system,
            clients=int(info.get("connected_clients", 0)),
            ops_per_sec=float(info.get("instantaneous_ops_per_sec", 0)),
            evicted_keys=int(info.get("evicted_keys", 0)),
        )

    async def close(self) -> None:
        await self.client.aclose()
