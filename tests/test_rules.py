import pytest

from console.clock import FrozenClock
from console.config import Band
from console.judge import judge
from console.judge.panes import pane_findings, source_alert
from console.kinds.containers import findings as container_findings
from console.launchday import LaunchState
from console.readings import (
    Container,
    ContainersReading,
    HostReading,
    Pool,
    PoolReading,
    TrafficReading,
)
from console.rules import Finding, Level, as_stale, level_for, sustained, worst
from console.store import Store
from tests.helpers import demo_config

BAND = Band(warn=70, crit=90)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (None, Level.UNKNOWN),
        (0, Level.OK),
        (70, Level.OK),
        (70.01, Level.WARN),
        (90, Level.WARN),
        (90.01, Level.CRIT),
        (250, Level.CRIT),
    ],
)
def test_level_at_the_limits(value, level):
    # The runbook's "> 70%" is strictly above: exactly 70 is still ok.
    assert level_for(value, BAND) is level


def test_worst_orders_attention():
    assert worst([Level.OK, Level.UNKNOWN]) is Level.UNKNOWN
    assert worst([Level.WARN, Level.UNKNOWN, Level.OK]) is Level.WARN
    assert worst([Level.CRIT, Level.WARN]) is Level.CRIT
    assert worst([]) is Level.UNKNOWN


def series(values, start=0.0, step=60.0):
    return [(start + i * step, v) for i, v in enumerate(values)]


def test_sustained_fires_exactly_at_the_window():
    s = series([1, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6])  # above 5 from t=60 to t=660
    assert sustained(s, 5, 600, now=660, max_gap=240).fired
    early = sustained(s[:-1], 5, 600, now=600, max_gap=240)
    assert early.holding and not early.fired and early.held_for == 540
    assert early.since == 60


def test_sustained_needs_strictly_above():
    s = series([5.0] * 20)
    assert not sustained(s, 5.0, 60, now=1140, max_gap=240).holding


def test_a_dip_restarts_the_window():
    s = series([6, 6, 6, 6, 4, 6, 6])
    state = sustained(s, 5, 120, now=360, max_gap=240)
    assert state.since == 300 and state.held_for == 60 and not state.fired


def test_a_failed_poll_breaks_the_window():
    s = series([6, 6, None, 6, 6])
    assert sustained(s, 5, 60, now=240, max_gap=240).since == 180


def test_a_silence_breaks_the_window():
    s = [(0, 6.0), (60, 6.0), (1000, 6.0), (1060, 6.0)]
    assert sustained(s, 5, 300, now=1060, max_gap=240).since == 1000
    # Nothing heard for longer than the gap since the newest sample: not holding.
    assert not sustained(s, 5, 60, now=1400, max_gap=240).holding


def test_empty_series():
    assert sustained([], 5, 60, now=0, max_gap=10).fired is False


def container(name, state="running", health="healthy", **kw):
    return Container(name=name, state=state, health=health, **kw)


def test_container_levels():
    config = demo_config()
    reading = ContainersReading(
        source="containers",
        at=0,
        api="api-api-1",
        containers=(
            container("api-api-1", cpu_pct=61.0),
            container("api-mcp-1", health="unhealthy"),
            container("api-redis-1", health="starting"),
            container("buywhere-api-db-1", state="exited", health=None, exit_code=137),
            container("scraper-worker-fixed", state="exited", health=None, exit_code=0),
            container("api-pgbouncer-1", health=None),
        ),
    )
    levels = {f.id: (f.level, f.value) for f in container_findings(reading, config)}
    assert levels["container:api-mcp-1"] == (Level.CRIT, "unhealthy")
    assert levels["container:api-redis-1"] == (Level.WARN, "starting")
    assert levels["container:buywhere-api-db-1"] == (Level.CRIT, "exited (137)")
    # A stopped scraper is paused ingestion, not an outage.
    assert levels["container:scraper-worker-fixed"] == (Level.WARN, "exited (0)")
    assert levels["container:api-pgbouncer-1"] == (Level.OK, "running")
    assert levels["api_cpu"] == (Level.WARN, "61.0%")


def make_store(clock):
    return Store(clock, history_s=3600, stale_after={"pgbouncer": 6, "traffic": 3, "host": 10})


def pool(active, waiting=0, size=40):
    return Pool(
        database="catalog",
        user="buywhere",
        cl_active=active,
        cl_waiting=waiting,
        sv_active=active,
        sv_idle=0,
        sv_used=0,
        pool_size=size,
        maxwait_s=0.0,
    )


def test_pool_usage_from_worst_pool():
    reading = PoolReading(source="pgbouncer", at=0, pools=(pool(10), pool(37, waiting=3)))
    assert reading.metrics() == {"pool_usage": 92.5, "pool_waiting": 3.0}


def test_stale_and_failed_sources_are_unknown_not_green():
    config = demo_config()
    clock = FrozenClock(1000.0)
    store = make_store(clock)
    store.record(
        HostReading(
            source="host",
            at=1000,
            disk_used=50,
            disk_total=100,
            swap_used=0,
            swap_total=0,
            newest_backup_age_s=3600,
        )
    )
    assert {f.id: f.level for f in pane_findings("host", store, config)}["host.disk"] is Level.OK
    clock.advance(11)
    stale = pane_findings("host", store, config)
    assert all(f.level is Level.UNKNOWN for f in stale)
    assert stale[0].value == "50.0%"  # the value is kept, its verdict is not
    store.record(HostReading.failed("host", clock.now(), "DOWN: no such path"))
    first = pane_findings("host", store, config)[0]
    assert (first.id, first.level, first.value) == ("source", Level.CRIT, "DOWN: no such path")
    store.record(HostReading.failed("host", clock.now(), "TIMEOUT: no answer in 3s"))
    assert pane_findings("host", store, config)[0].level is Level.UNKNOWN


def test_backup_older_than_a_day_is_critical():
    config = demo_config()
    clock = FrozenClock(0.0)
    store = make_store(clock)
    store.record(
        HostReading(
            source="host",
            at=0,
            disk_used=1,
            disk_total=2,
            swap_used=0,
            swap_total=1,
            newest_backup_age_s=24 * 3600,
        )
    )
    levels = {f.id: f.level for f in pane_findings("host", store, config)}
    assert levels["db.backup_age"] is Level.CRIT


def test_rollback_trigger_alerts_come_first():
    config = demo_config()  # error rate > 5 % for 10 min; traffic polled every 1 s
    clock = FrozenClock(0.0)
    store = Store(clock, history_s=4000, stale_after={"traffic": 5, "host": 5})
    for _ in range(11):
        store.record(
            TrafficReading(
                source="traffic",
                at=clock.now(),
                window_s=60,
                requests=1000,
                errors_5xx=80,
                p50_s=0.1,
                p99_s=0.5,
            )
        )
        store.record(
            HostReading(
                source="host",
                at=clock.now(),
                disk_used=95,
                disk_total=100,
                swap_used=0,
                swap_total=1,
                newest_backup_age_s=1,
            )
        )
        clock.advance(60, wall=1)
    clock.advance(-60, wall=0)  # now == the newest sample
    result = judge(store, config, LaunchState(), clock.now())
    first = result.alerts[0]
    assert first.rollback and first.level is Level.CRIT
    assert first.text == "ROLLBACK TRIGGER: 5xx error rate > 5% for 10m00s (≥ 10m00s)"
    texts = [a.text for a in result.alerts]
    assert "host: disk 95.0%" in texts
    assert texts.index("host: disk 95.0%") > 0


def test_a_stale_finding_keeps_bad_news_and_drops_its_ok():
    ok = Finding("host.disk", "disk", Level.OK, "50.0%")
    crit = Finding("container:api-api-1", "api-api-1", Level.CRIT, "unhealthy")
    warn = Finding("host.swap", "swap", Level.WARN, "12.0%")
    # A stale "ok" is no longer a claim we can make; a stale failure is still a failure.
    assert as_stale(ok, 40.0).level is Level.UNKNOWN
    assert as_stale(crit, 40.0).level is Level.CRIT
    assert as_stale(warn, 40.0).level is Level.WARN
    assert as_stale(crit, 40.0).shown == "unhealthy (stale 40s)"
    assert as_stale(ok, None).stale == 0.0  # never answered: stale from the start
    assert ok.shown == "50.0%"  # a fresh finding says no age


def test_a_source_that_cannot_be_read_raises_its_own_alert():
    clock = FrozenClock(1000.0)
    store = Store(clock, history_s=3600, stale_after={"containers": 10.0, "host": 10.0})
    assert source_alert("containers", store) is None  # not polled yet: nothing to say
    store.record(ContainersReading(source="containers", at=clock.now(), containers=()))
    assert source_alert("containers", store) is None  # answering
    # Timeouts within the freshness budget: not yet news.
    clock.advance(5)
    store.record(ContainersReading.failed("containers", clock.now(), "TIMEOUT: no answer in 5s"))
    assert source_alert("containers", store) is None
    # Past it: a warning that says for how long, and why.
    clock.advance(35)
    store.record(ContainersReading.failed("containers", clock.now(), "TIMEOUT: no answer in 5s"))
    alert = source_alert("containers", store)
    assert alert is not None and alert.id == "source:containers"
    assert alert.level is Level.WARN
    assert alert.text == "containers: no answer for 40s (TIMEOUT: no answer in 5s)"
    # Refused (DOWN) is a verdict: critical at once; one that never answered says so.
    store.record(HostReading.failed("host", clock.now(), "DOWN: connection refused"))
    down = source_alert("host", store)
    assert down is not None and down.level is Level.CRIT
    assert down.text == "host: DOWN: connection refused (never answered)"


def test_a_failed_containers_poll_keeps_the_unhealthy_alert_stale_beside_its_own():
    """The issue's truth defect: at the timeout the unhealthy container's alert vanished."""
    config = demo_config()
    clock = FrozenClock(1000.0)
    store = Store(clock, history_s=3600, stale_after={"containers": 10.0})
    sick = Container(name="api-mcp-1", state="running", health="unhealthy", expected=True)
    store.record(ContainersReading(source="containers", at=clock.now(), containers=(sick,)))
    first = judge(store, config, LaunchState(), 1000).alerts
    assert "containers:container:api-mcp-1" in {a.id for a in first}
    clock.advance(40)
    store.record(ContainersReading.failed("containers", clock.now(), "TIMEOUT: no answer in 5s"))
    alerts = {a.id: a for a in judge(store, config, LaunchState(), clock.now()).alerts}
    kept = alerts["containers:container:api-mcp-1"]
    assert kept.level is Level.CRIT and "(stale 40s)" in kept.text
    assert alerts["source:containers"].text.startswith("containers: no answer for 40s")
