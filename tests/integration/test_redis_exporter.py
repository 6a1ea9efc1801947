"""Redis read through Prometheus: Debian's redis exporter against the test stack's Redis,
scraped by the real Prometheus, read by the console with no connection to Redis at all.

The same reading a direct connection gives (memory, its limit, clients), a change in Redis
seen through the chain, the Redis pane and `check` unchanged for the user, and the exporter's
death is this source's DOWN, as a refused connection is.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest
import redis

from console.app import LaunchConsole
from console.clock import SystemClock
from console.config import load_config, parse_config
from console.rules import pct, size
from console.sources.redis import RedisSource
from console.sources.redis_prometheus import PrometheusRedisSource
from tests.screen import screen_text
from tests.stack import wait_until
from tests.stack.prometheus import RedisExporter

pytestmark = pytest.mark.stack


@pytest.fixture()
def exporter(stack, prom, request):
    job = f"redis-{request.node.name[-20:]}".replace("[", "-").replace("]", "")
    started = RedisExporter(f"redis://127.0.0.1:{stack.redis_port}/0", prom.root)
    prom.add_target(job, started.port)
    started.job = job
    wait_until("exporter scraped", lambda: prom.query(f'redis_up{{job="{job}"}} == 1'), 60, 0.2)
    yield started
    prom.remove_target(job)
    started.stop()


def exporter_config(stack, prom, exporter):
    raw = {
        "launch": {"at": "2026-04-23T14:00:00Z"},
        "redis": {
            "url": f"redis://127.0.0.1:{stack.redis_port}/0",
            "prometheus": f'job="{exporter.job}"',
        },
        "prometheus": {"url": prom.prometheus_url, "window": "5s"},
        "poll": {"redis": {"interval": "1s", "timeout": "3s"}},
    }
    return parse_config(raw, "redis-exporter-test.toml")


async def until(source, check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    reading = None
    while time.monotonic() < deadline:
        reading = await source.read()
        if check(reading):
            return reading
        await asyncio.sleep(0.5)
    raise AssertionError(f"never: {reading}")


async def test_redis_through_its_exporter_reads_what_a_connection_reads(stack, prom, exporter):
    config = exporter_config(stack, prom, exporter)
    clock = SystemClock()
    direct, via = RedisSource(config, clock), PrometheusRedisSource(config, clock)
    client = redis.Redis(port=stack.redis_port)
    try:
        mine = await direct.read()
        theirs = await until(via, lambda r: r.ok)
        # Same limit (no maxmemory in the test stack: the host's memory, both ways).
        assert theirs.max_is_system == mine.max_is_system
        assert theirs.max_memory == mine.max_memory
        assert theirs.clients is not None and theirs.clients >= 1
        assert theirs.ping_ms is not None and theirs.ping_ms < 1000
        assert abs(theirs.used_memory - mine.used_memory) < 1024 * 1024
        # A change in Redis comes through the exporter and Prometheus: 2 MB more in use (of
        # the test Redis's 16 MB maxmemory), so memory % rises as the pane shows it.
        before = theirs
        client.set("lc-exporter-test", b"x" * (2 * 1024 * 1024))
        grown = await until(via, lambda r: r.ok and r.used_memory > before.used_memory + 1_900_000)
        assert grown.memory_pct > before.memory_pct + 10
    finally:
        client.delete("lc-exporter-test")
        client.close()
        await direct.close()
        await via.close()


async def test_the_redis_pane_reads_the_same_through_the_exporter(stack, prom, exporter):
    config = exporter_config(stack, prom, exporter)
    source = PrometheusRedisSource(config, SystemClock())
    app = LaunchConsole(config, [source], SystemClock(), live=False)
    async with app.run_test(size=(200, 50)) as pilot:
        for _ in range(60):
            await app.sweep()
            await pilot.pause()
            if app.store.latest("redis").ok:
                break
            await asyncio.sleep(0.5)
        app.refresh_panes()
        await pilot.pause()
        shown = screen_text(app)
        reading = app.store.latest("redis")
        # The test Redis's 16 MB maxmemory, as the exporter reports it, and its figures.
        assert f"/{size(reading.max_memory)} {pct(reading.memory_pct)}" in shown
        assert "clients" in shown and "evicted" in shown
        assert f"{reading.ping_ms:.1f}ms" in shown
    await source.close()


async def test_a_dead_exporter_is_redis_down(stack, prom, exporter):
    config = exporter_config(stack, prom, exporter)
    via = PrometheusRedisSource(config, SystemClock())
    try:
        await until(via, lambda r: r.ok)
        exporter.stop()
        down = await until(via, lambda r: not r.ok)
        assert down.error == "DOWN: the redis exporter is not scraped"
    finally:
        await via.close()


def test_check_answers_redis_responsive_through_prometheus(
    stack, prom, exporter, backups, tmp_path
):
    """The real command, with the shipped check list: `redis.ping` judged from the exporter."""
    url = f'url = "redis://127.0.0.1:{stack.redis_port}/0"'
    text = stack.config_toml(backups)
    assert url in text
    # No path to Redis at all: the URL points nowhere; only Prometheus is asked.
    through = f"prometheus = 'job=\"{exporter.job}\"'"
    text = text.replace(url, f'url = "redis://127.0.0.1:1/0"\n{through}')
    text += f'\n[prometheus]\nurl = "{prom.prometheus_url}"\n'
    path = tmp_path / "exporter.toml"
    path.write_text(text)
    load_config(path)  # valid as written
    result = subprocess.run(
        [sys.executable, "-m", "console", "check", "--config", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    (redis_check,) = [c for c in report["checks"] if c["id"] == "redis.ping"]
    assert redis_check["level"] == "ok", redis_check
    assert redis_check["value"].startswith("PONG in ")
