"""Traffic: the 5xx rate, latency and request rate (3.1, 3.4, the 4.1 rollback triggers), from
the API container's access log or, with several replicas, from Prometheus."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.kinds.kind import Chart, Kind, Row
from console.readings import LOG_PAGE_PATTERNS, TrafficReading
from console.rules import Finding, Level, level_for, pct, seconds
from console.sources import Source


def findings(r: TrafficReading, config: Config) -> list[Finding]:
    t = config.thresholds
    logs = [
        Finding(
            f"log:{pattern}",
            f"log {pattern}",
            Level.CRIT if count > LOG_PAGE_PATTERNS.get(pattern, 0) else Level.WARN,
            str(count),
        )
        for pattern, count in sorted(r.log_alerts.items())
        if count
    ]
    return [
        *logs,
        Finding(
            "error_rate_5xx",
            "5xx rate",
            level_for(r.error_rate_pct, t.error_rate_5xx),
            pct(r.error_rate_pct),
        ),
        Finding("p50_latency", "P50", level_for(r.p50_s, t.p50_latency), seconds(r.p50_s)),
        Finding("p99_latency", "P99", level_for(r.p99_s, t.p99_latency), seconds(r.p99_s)),
    ]


def rows(r: TrafficReading, found: list[Finding]) -> list[Row]:
    f = {x.id: x.level for x in found}

    def num(value: float | None, fmt: str) -> str:
        return "—" if value is None else fmt.format(value)

    out: list[Row] = [
        ("5xx rate", pct(r.error_rate_pct), f.get("error_rate_5xx")),
        ("P50", seconds(r.p50_s), f.get("p50_latency")),
        ("P99", seconds(r.p99_s), f.get("p99_latency")),
        ("requests/s", num(r.requests_per_s, "{:.1f}"), None),
        ("searches/min", num(r.searches_per_min, "{:.0f}"), None),
    ]
    for pattern, count in sorted(r.log_alerts.items()):
        out.append((f"log {pattern}", str(count), f.get(f"log:{pattern}")))
    return out


def live(config: Config, clock: Clock, one_shot: bool) -> Source:
    # Several API replicas: only Prometheus sees all of them; else one container's log.
    if config.prometheus.url:
        from console.sources.traffic_prometheus import PrometheusTrafficSource

        return PrometheusTrafficSource(config, clock)
    from console.sources.traffic import TrafficSource

    return TrafficSource(config, clock)


def sim(stack, clock: Clock) -> Source:
    from console.sim.sources import SimTraffic

    return SimTraffic(stack, clock)


KIND = Kind(
    name="traffic",
    title="Traffic",
    reading_type=TrafficReading,
    findings=findings,
    live=live,
    sim=sim,
    rows=rows,
    place=1,
    charts=(
        Chart("error_rate_5xx", "5xx error rate", "%", "error_rate_5xx", 1),
        Chart("p99_latency", "P99 latency", "s", "p99_latency", 2),
        Chart("requests_per_s", "Requests /s", "", None, 5),
    ),
    units={"error_rate_5xx": "%", "p50_latency": "s", "p99_latency": "s", "requests_per_s": "/s"},
)
