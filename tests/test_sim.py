"""The demo stack: deterministic, tells the launch story, and reacts to remediation."""

from console.clock import FrozenClock
from console.judge import judge
from console.kinds import sim_sources
from console.launchday import LaunchState
from console.sim import SimStack
from tests.helpers import LAUNCH, demo_app, replay


def stack(**kw):
    return SimStack(launch=LAUNCH, **kw)


def test_same_seed_same_values():
    a, b, c = stack(seed=1), stack(seed=1), stack(seed=2)
    t = LAUNCH + 123.4
    assert [a.error_rate(t), a.pool_usage(t), a.disk_used(t)] == [
        b.error_rate(t),
        b.pool_usage(t),
        b.disk_used(t),
    ]
    assert a.pool_usage(t) != c.pool_usage(t)


def test_launch_story():
    s = stack()
    assert s.demand(LAUNCH - 600) < 10 < 100 < s.demand(LAUNCH + 400)
    assert s.error_rate(LAUNCH - 60) < 0.5
    assert s.pool_usage(LAUNCH + 600) >= 99
    assert s.error_rate(LAUNCH + 600) > 5
    calm = stack(scenario="calm")
    assert calm.error_rate(LAUNCH + 600) < 0.5 and calm.pool_usage(LAUNCH + 600) < 70


def test_restart_recovers_and_stopped_scraper_stops_writing():
    s = stack()
    t = LAUNCH + 900
    s.restart("api-api-1", at=t)
    assert not s.api_up(t + 5) and s.api_up(t + 15)
    assert s.error_rate(t + 120) < 0.5
    disk = s.disk_used(t)
    s.stop("scraper-worker-fixed", at=t)
    assert s.disk_used(t + 3600) == disk
    s.free_disk(10 * 1024**3, at=t)
    assert s.disk_used(t + 3600) == disk - 10 * 1024**3
    s.start("scraper-worker-fixed", at=t + 60)
    assert s.scraper_running(t + 61)


async def test_rollback_trigger_fires_before_t_plus_17m_in_the_launch_scenario():
    app, clock, _ = demo_app()
    await replay(app, clock, until_offset=17 * 60)
    fired = [
        t.metric
        for t in judge(app.store, app.config, LaunchState(), clock.now()).triggers
        if t.state.fired
    ]
    assert "error_rate_5xx" in fired


async def test_calm_scenario_fires_nothing():
    app, clock, _ = demo_app(scenario="calm")
    await replay(app, clock, until_offset=30 * 60)
    result = judge(app.store, app.config, LaunchState(), clock.now())
    assert not [t for t in result.triggers if t.state.holding]


async def test_sim_sources_fill_every_pane():
    clock = FrozenClock(LAUNCH)
    readings = [await s.read() for s in sim_sources(stack(), clock)]
    assert {r.source for r in readings} == {
        "containers",
        "pgbouncer",
        "postgres",
        "redis",
        "host",
        "traffic",
        "smoke",
    }
    assert all(r.ok and r.at == LAUNCH for r in readings)
