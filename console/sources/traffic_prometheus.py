"""Traffic from Prometheus: the 5xx rate, requests/s, searches/min and P50/P99 as PromQL.

When `[prometheus] url` is set this is the `traffic` source: the Traffic pane, its charts and
the sustained rollback triggers read what Prometheus computed over every API replica it
scrapes, instead of one container's access log. Each poll runs the instant queries at once
(one round trip's time); `backfill` runs each query once over the history the store keeps, so
the charts and the sustained windows start full instead of empty.
"""

from __future__ import annotations

import asyncio

from console.clock import Clock
from console.config import Config
from console.readings import PromTrafficReading
from console.sources.base import describe
from console.sources.promql import from_config

# reading field -> the [prometheus.queries] key
FIELDS = {
    "error_rate": "error_rate_5xx",
    "request_rate": "requests_per_s",
    "search_rate": "searches_per_min",
    "p50_s": "p50_latency",
    "p99_s": "p99_latency",
}


class PrometheusTrafficSource:
    name = "traffic"
    reading_type = PromTrafficReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        prom = config.prometheus
        self.queries = {field: prom.query(key) for field, key in FIELDS.items()}
        self.client, self._problem = from_config(
            prom.url, prom.auth_header_env, prom.ca_file, config.poll.traffic.timeout
        )

    async def read(self) -> PromTrafficReading:
        now = self.clock.now()
        if self._problem:
            return PromTrafficReading.failed(self.name, now, self._problem)
        try:
            values = await asyncio.gather(*(self.client.instant(q) for q in self.queries.values()))
        except Exception as exc:
            return PromTrafficReading.failed(self.name, now, describe(exc))
        figures = dict(zip(self.queries, values, strict=True))
        return PromTrafficReading(
            source=self.name, at=now, window_s=self.config.prometheus.window, **figures
        )

    async def backfill(self, start: float, end: float, step: float) -> list[PromTrafficReading]:
        """The readings Prometheus would have given every `step` seconds from `start` to `end`,
        oldest first (for the charts and the sustained windows at start-up)."""
        if self._problem:
            return []
        series = await asyncio.gather(
            *(self.client.range(q, start, end, step) for q in self.queries.values())
        )
        by_time: dict[float, dict[str, float | None]] = {}
        for field, samples in zip(self.queries, series, strict=True):
            for t, value in samples:
                by_time.setdefault(t, {})[field] = value
        window = self.config.prometheus.window
        return [
            PromTrafficReading(source=self.name, at=t, window_s=window, **figures)
            for t, figures in sorted(by_time.items())
        ]

    async def close(self) -> None:
        await self.client.close()
