"""The Prometheus-backed sources refuse to ask without the auth header they were told to send."""

from __future__ import annotations

import pytest

from console.clock import FrozenClock
from console.config import parse_config
from console.sources.redis_prometheus import PrometheusRedisSource
from console.sources.traffic_prometheus import PrometheusTrafficSource


@pytest.mark.parametrize("source_type", [PrometheusTrafficSource, PrometheusRedisSource])
async def test_an_unset_auth_variable_is_the_source_error_naming_it(source_type, monkeypatch):
    monkeypatch.delenv("LC_TEST_PROM_AUTH", raising=False)
    config = parse_config(
        {
            "launch": {"at": "2026-04-23T14:00:00Z"},
            # Nothing listens on port 9: a request would be a different error than this one.
            "prometheus": {"url": "http://127.0.0.1:9", "auth_header_env": "LC_TEST_PROM_AUTH"},
            "redis": {"prometheus": 'job="redis"'},
        },
        "t.toml",
    )
    source = source_type(config, FrozenClock(1000.0))
    try:
        reading = await source.read()
    finally:
        await source.close()
    assert not reading.ok
    assert reading.error == (
        "ERROR: environment variable LC_TEST_PROM_AUTH (auth_header_env) is not set"
    )
