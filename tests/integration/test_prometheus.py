"""Traffic from a real Prometheus scraping an exporter the test drives (prometheus-client).

The exporter counts requests by status and handler and observes their durations in a
histogram; Prometheus scrapes it every second. The console's figures must be what was
generated, computed by Prometheus (rate, ratio, histogram_quantile): P99 of requests that all
took 0.3 s, in buckets (0.2, 0.5], is Prometheus's linear interpolation 0.2 + 0.99 * 0.3.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from console.clock import SystemClock
from console.config import parse_config
from console.judge.triggers import trigger_states
from console.kinds import stale_after
from console.poller import Poller
from console.readings import PromTrafficReading
from console.sources.traffic_prometheus import PrometheusTrafficSource
from console.store import Store

pytestmark = pytest.mark.stack

SUSTAINED = 6.0  # seconds: the test's "error rate > 5 % sustained" window


def prom_config(prom, **prometheus):
    raw = {
        "launch": {"at": "2026-04-23T14:00:00Z"},
        "prometheus": {"url": prom.prometheus_url, "window": "5s", **prometheus},
        "rollback_triggers": {"error_rate_5xx": {"above": 5, "sustained": f"{SUSTAINED:g}s"}},
        "poll": {"traffic": {"interval": "1s", "timeout": "3s"}},
    }
    return parse_config(raw, "prometheus-test.toml")


async def settled(source, check, timeout: float = 30.0) -> PromTrafficReading:
    """Read until `check(reading)` holds (Prometheus's rate window has to fill), bounded."""
    deadline = time.monotonic() + timeout
    reading = None
    while time.monotonic() < deadline:
        reading = await source.read()
        if reading.ok and check(reading):
            return reading
        await asyncio.sleep(0.5)
    raise AssertionError(f"figures never settled: {reading}")


def near(value: float | None, expected: float, rel: float = 0.15) -> bool:
    return value is not None and abs(value - expected) <= rel * expected


async def test_traffic_figures_are_what_was_generated(prom):
    prom.exporter.steady(40, error_share=0.25, seconds=0.3)
    source = PrometheusTrafficSource(prom_config(prom), SystemClock())
    try:
        reading = await settled(
            source,
            lambda r: near(r.requests_per_s, 40) and near(r.error_rate_pct, 25, 0.2),
        )
        assert near(reading.searches_per_min, 40 * 60)
        assert reading.p99_s == pytest.approx(0.2 + 0.99 * 0.3, abs=0.005)
        assert reading.p50_s == pytest.approx(0.2 + 0.5 * 0.3, abs=0.005)
        # The same names the pane, the charts and the triggers read.
        metrics = reading.metrics()
        assert metrics["error_rate_5xx"] == reading.error_rate
        assert metrics["p99_latency"] == reading.p99_s
    finally:
        await source.close()


async def test_a_5xx_surge_fires_the_sustained_trigger_at_the_right_time(prom):
    prom.exporter.steady(40, error_share=0.0, seconds=0.05)
    config = prom_config(prom)
    clock = SystemClock()
    store = Store(clock, config.poll.history, stale_after(config))
    source = PrometheusTrafficSource(config, clock)
    await settled(source, lambda r: r.error_rate_pct is not None and r.error_rate_pct < 1)
    poller = Poller([source], store, clock, config.poll)
    poller.start()
    try:
        surge = clock.now()
        prom.exporter.steady(40, error_share=0.5, seconds=0.05)
        fired = None
        deadline = time.monotonic() + 40
        while fired is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            (error_trigger,) = [
                t
                for t in trigger_states(store, config, clock.now())
                if t.metric == "error_rate_5xx"
            ]
            if error_trigger.state.fired:
                fired = (clock.now(), error_trigger.state)
        assert fired is not None, "the error-rate trigger never fired"
        at, state = fired
        # It began holding when the surge reached Prometheus (a scrape and a rate step), and
        # fired once it had held the whole window, not before.
        assert surge - 1 <= state.since <= surge + 4
        assert at - state.since >= SUSTAINED
        assert at - surge <= SUSTAINED + 6
    finally:
        await poller.stop()
        prom.exporter.steady(40, error_share=0.0, seconds=0.05)


async def test_back_fill_at_start_knows_a_surge_that_began_before_it(prom):
    config = prom_config(prom)
    clock = SystemClock()
    prom.exporter.steady(40, error_share=0.5, seconds=0.05)
    surge = clock.now()
    await asyncio.sleep(SUSTAINED + 6)  # the surge has been on longer than the window
    store = Store(clock, config.poll.history, stale_after(config))
    source = PrometheusTrafficSource(config, clock)
    poller = Poller([source], store, clock, config.poll)
    try:
        added = await poller.backfill(source)
        assert added > 0
        # No live poll yet: the latest reading is still the live loop's to give ...
        assert store.latest("traffic") is None
        # ... but the sustained window already knows how long the surge has held.
        (error_trigger,) = [
            t for t in trigger_states(store, config, clock.now()) if t.metric == "error_rate_5xx"
        ]
        assert error_trigger.state.holding
        assert error_trigger.state.since <= surge + 4
        # One live poll continues the back-filled run instead of starting it over.
        await poller.poll_once(source)
        (error_trigger,) = [
            t for t in trigger_states(store, config, clock.now()) if t.metric == "error_rate_5xx"
        ]
        assert error_trigger.state.fired
    finally:
        await source.close()
        prom.exporter.steady(40, error_share=0.0, seconds=0.05)


async def test_a_bad_query_or_a_dead_prometheus_is_an_error_on_the_pane_not_a_crash(prom):
    bad = PrometheusTrafficSource(
        prom_config(prom, queries={"p99_latency": "histogram_quantile(0.99,"}), SystemClock()
    )
    dead = PrometheusTrafficSource(prom_config(prom, url="http://127.0.0.1:9"), SystemClock())
    try:
        reading = await bad.read()
        assert reading.error is not None and "bad_data" in reading.error
        reading = await dead.read()
        assert reading.error is not None and reading.error.startswith("DOWN")
    finally:
        await bad.close()
        await dead.close()
