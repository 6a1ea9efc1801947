"""Traffic from the API containers' access logs, read through the Docker engine.

Each poll reads the log lines written since the previous one (timestamps from the engine, so a
line is never counted twice), parses them with one regex with named groups (`status`, `path`,
optional `duration` in seconds), and keeps a rolling window of requests for the 5xx rate,
requests/s and P50/P99. The runbook 3.1 patterns are counted over the last five minutes.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from console.clock import Clock
from console.config import Config
from console.readings import LOG_PAGE_PATTERNS, TrafficReading
from console.sources.base import Blocking, describe
from console.sources.docker import docker_client, parse_time

ALERT_WINDOW = 300.0


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class TrafficSource:
    name = "traffic"
    reading_type = TrafficReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.pattern = re.compile(config.traffic.log_pattern)
        self.window = config.traffic.window
        self.blocking = Blocking(self.name, workers=2)
        self._client = None
        self._since: float | None = None  # engine timestamp of the newest line seen
        self._requests: deque[tuple[float, int, float | None, str]] = deque(maxlen=200_000)
        self._alerts: deque[tuple[float, str]] = deque(maxlen=100_000)
        self._started: float | None = None

    def _logs(self, since: float) -> bytes:
        if self._client is None:
            self._client = docker_client(self.config)
        return self._client.api.logs(
            self.config.docker.api, stdout=True, stderr=True, timestamps=True, since=since
        )

    def ingest(self, text: str, now: float) -> None:
        """Parse engine log lines ('<RFC3339 ts> <line>'), skipping those already seen."""
        for raw in text.splitlines():
            stamp, _, line = raw.partition(" ")
            t = parse_time(stamp) if stamp[:1].isdigit() else None
            if t is None:
                t, line = now, raw
            if self._since is not None and t <= self._since:
                continue
            self._since = t
            for word in LOG_PAGE_PATTERNS:
                if word in line:
                    self._alerts.append((t, word))
            match = self.pattern.search(line)
            if match is None:
                continue
            groups: dict[str, Any] = match.groupdict()
            duration = groups.get("duration")
            self._requests.append(
                (
                    t,
                    int(groups["status"]),
                    float(duration) if duration else None,
                    groups.get("path") or "",
                )
            )

    def summarise(self, now: float) -> TrafficReading:
        horizon = now - self.window
        while self._requests and self._requests[0][0] < horizon:
            self._requests.popleft()
        while self._alerts and self._alerts[0][0] < now - ALERT_WINDOW:
            self._alerts.popleft()
        requests = list(self._requests)
        durations = [d for _, _, d, _ in requests if d is not None]
        alerts: dict[str, int] = {}
        for _, word in self._alerts:
            alerts[word] = alerts.get(word, 0) + 1
        started = self._started if self._started is not None else now
        return TrafficReading(
            source=self.name,
            at=now,
            window_s=max(1.0, min(self.window, now - started)),
            requests=len(requests),
            errors_5xx=sum(1 for _, status, _, _ in requests if status >= 500),
            p50_s=percentile(durations, 0.50),
            p99_s=percentile(durations, 0.99),
            searches=sum(1 for *_, path in requests if path.startswith("/api/search")),
            affiliate_clicks=sum(1 for *_, path in requests if path.startswith("/go/")),
            log_alerts=alerts,
        )

    async def read(self) -> TrafficReading:
        now = self.clock.now()
        if self._started is None:
            self._started = now
        since = self._since if self._since is not None else now - self.window
        try:
            raw = await self.blocking.run(self._logs, int(since))
        except Exception as exc:
            self._client = None
            return TrafficReading.failed(self.name, now, describe(exc))
        self.ingest(raw.decode("utf-8", errors="replace"), now)
        return self.summarise(now)

    async def close(self) -> None:
        self.blocking.close()
