"""The real sources for a config: one per system."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.sources import Source
from console.sources.alertmanager import AlertmanagerSource
from console.sources.docker import DockerSource
from console.sources.docker_fleet import DockerFleetSource
from console.sources.host import HostSource
from console.sources.http import SmokeSource
from console.sources.pgbouncer import PgBouncerSource
from console.sources.postgres import PostgresSource
from console.sources.redis import RedisSource
from console.sources.traffic import TrafficSource
from console.sources.traffic_prometheus import PrometheusTrafficSource


def live_sources(config: Config, clock: Clock, *, one_shot: bool = False) -> list[Source]:
    """`one_shot`: for a single sweep (`check`): sources start no threads of their own."""
    sources: list[Source] = [
        # Several engines: one source reading each on its own, bounded, merged into one pane.
        DockerFleetSource(config, clock, follow=not one_shot)
        if config.docker.several
        else DockerSource(config, clock, follow=not one_shot),
        PgBouncerSource(config, clock),
        PostgresSource(config, clock),
        RedisSource(config, clock),
        HostSource(config, clock),
        # Several API replicas: only Prometheus sees all of them; else one container's log.
        PrometheusTrafficSource(config, clock)
        if config.prometheus.url
        else TrafficSource(config, clock),
        SmokeSource(config, clock),
    ]
    if config.alertmanager.url:
        sources.append(AlertmanagerSource(config, clock))
    return sources
