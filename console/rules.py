"""Readings into levels: thresholds, sustained conditions, findings per pane, and the alerts a
finding or a silent source raises.

Pure functions over the store and the config: no I/O, no Textual. These are the judge's
(console.judge) building blocks; nothing else calls them to decide what the screen says.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from console.config import Band, Config, Trigger
from console.durations import format_duration
from console.readings import (
    LOG_PAGE_PATTERNS,
    AlertmanagerReading,
    ContainersReading,
    HostReading,
    PoolReading,
    PostgresReading,
    Reading,
    RedisReading,
    SmokeReading,
    TrafficReading,
)
from console.store import Sample, Store


class Level(IntEnum):
    # Ordered by how much attention they need: the worst of a pane is its max().
    OK = 0
    UNKNOWN = 1
    WARN = 2
    CRIT = 3

    @property
    def word(self) -> str:
        return self.name.lower()

    @property
    def symbol(self) -> str:
        # Colour is never the only signal: each level has a symbol too.
        return {Level.OK: "✔", Level.UNKNOWN: "?", Level.WARN: "▲", Level.CRIT: "✖"}[self]


def level_for(value: float | None, band: Band) -> Level:
    """The runbook's "> 70%" means strictly above: exactly at a limit is still the lower level."""
    if value is None:
        return Level.UNKNOWN
    if value > band.crit:
        return Level.CRIT
    if value > band.warn:
        return Level.WARN
    return Level.OK


def worst(levels: Iterable[Level]) -> Level:
    return max(levels, default=Level.UNKNOWN)


# --- sustained conditions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sustained:
    holding: bool  # the condition is true at the newest sample
    since: float | None  # when the current unbroken run began
    held_for: float  # now - since (0 when not holding)
    fired: bool  # held for at least the window


def sustained(
    series: Iterable[Sample], above: float, window: float, now: float, max_gap: float
) -> Sustained:
    """Has `value > above` held continuously for `window` seconds up to `now`?

    A sample that is None (the source failed) or not above the limit breaks the run, and so does
    a silence longer than `max_gap` between samples (or since the newest one): a condition we
    could not see is not a condition we can claim held.
    """
    samples = list(series)
    if not samples:
        return Sustained(False, None, 0.0, False)
    t_last, v_last = samples[-1]
    if v_last is None or v_last <= above or now - t_last > max_gap:
        return Sustained(False, None, 0.0, False)
    since = t_last
    for t, v in reversed(samples[:-1]):
        if v is None or v <= above or since - t > max_gap:
            break
        since = t
    held = now - since
    return Sustained(True, since, held, held >= window)


# --- findings and alerts ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    title: str
    level: Level
    value: str
    # Seconds since the reading this finding comes from, when that reading is old news (its
    # source failed or went quiet); None while the source answers.
    stale: float | None = None

    @property
    def shown(self) -> str:
        """The value as the screen says it: an old value says how old it is."""
        if self.stale is None:
            return self.value
        return f"{self.value} (stale {format_duration(self.stale)})"


@dataclass(frozen=True, slots=True)
class TriggerState:
    metric: str
    title: str
    trigger: Trigger
    state: Sustained
    value: float | None

    @property
    def text(self) -> str:
        limit = f"> {self.trigger.above:g}{UNIT[self.metric]}"
        window = format_duration(self.trigger.sustained)
        held = format_duration(self.state.held_for)
        if self.state.fired:
            return f"ROLLBACK TRIGGER: {self.title} {limit} for {held} (≥ {window})"
        return f"{self.title} {limit} for {held} of {window}"


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    level: Level
    text: str
    rollback: bool = False


UNIT = {"error_rate_5xx": "%", "p99_latency": "s", "pool_usage": "%"}
TRIGGER_TITLES = {
    "error_rate_5xx": "5xx error rate",
    "p99_latency": "P99 latency",
    "pool_usage": "DB pool usage",
}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


def size(n: float | None) -> str:
    if n is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}TiB"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}ms"


def _ok_word(ok: bool) -> str:
    return "ok" if ok else "failed"


def _source_error(reading: Reading | None) -> Finding | None:
    if reading is None:
        return Finding("source", "source", Level.UNKNOWN, "waiting for first reading")
    if reading.error is None:
        return None
    return Finding("source", "source", error_level(reading.error), reading.error)


def error_level(error: str) -> Level:
    """DOWN is a verdict about the system (refused, not found); TIMEOUT and ERROR are about our
    view of it, so the honest level is unknown."""
    return Level.CRIT if error.startswith("DOWN") else Level.UNKNOWN


def container_findings(r: ContainersReading, config: Config) -> list[Finding]:
    out: list[Finding] = []
    for engine in r.engines:
        if engine.error is not None:
            # A dead engine is one row: its containers cannot be seen, which is the news.
            level = error_level(engine.error)
            out.append(
                Finding(f"engine:{engine.name}", f"engine {engine.name}", level, engine.error)
            )
    for c in r.containers:
        if c.state == "running":
            level = {"unhealthy": Level.CRIT, "starting": Level.WARN}.get(c.health or "", Level.OK)
            value = c.health or "running"
        elif c.name == config.docker.scraper and c.state == "exited":
            # A stopped scraper is a paused ingestion (rollback step 2), not an outage.
            level, value = Level.WARN, f"exited ({c.exit_code})"
        else:
            level = Level.CRIT if c.expected else Level.WARN
            value = c.state if c.exit_code is None else f"{c.state} ({c.exit_code})"
        out.append(Finding(f"container:{c.where}", c.where, level, value))
    api = next((c for c in r.containers if c.name == r.api), None)
    if api is not None and api.state == "running":
        out.append(
            Finding(
                "api_cpu",
                "API CPU",
                level_for(api.cpu_pct, config.thresholds.api_cpu),
                pct(api.cpu_pct),
            )
        )
    return out


def pool_findings(r: PoolReading, config: Config) -> list[Finding]:
    t = config.thresholds
    worst_pool = r.worst
    usage = worst_pool.usage_pct if worst_pool else None
    waiting = sum(p.cl_waiting for p in r.pools)
    maxwait = max((p.maxwait_s for p in r.pools), default=0.0)
    return [
        Finding("pool_usage", "pool usage", level_for(usage, t.pool_usage), pct(usage)),
        Finding("pool_waiting", "waiting", level_for(waiting, t.pool_waiting), str(waiting)),
        Finding("pool_maxwait", "max wait", level_for(maxwait, t.pool_maxwait), seconds(maxwait)),
    ]


def postgres_findings(r: PostgresReading, config: Config) -> list[Finding]:
    out = [
        Finding(
            "pg_connections",
            "connections",
            level_for(r.connections_pct, config.thresholds.pool_usage),
            f"{r.total}/{r.max_connections or '?'} ({pct(r.connections_pct)})",
        )
    ]
    if r.migration is not None:
        expected = config.postgres.expected_migration
        out.append(
            Finding(
                "db.migration",
                "migration",
                Level.OK if r.migration == expected else Level.CRIT,
                r.migration,
            )
        )
    return out


def redis_findings(r: RedisReading, config: Config) -> list[Finding]:
    return [
        Finding("redis.ping", "ping", Level.OK, _ms(r.ping_ms)),
        Finding(
            "redis_memory",
            "memory",
            level_for(r.memory_pct, config.thresholds.redis_memory),
            pct(r.memory_pct),
        ),
    ]


def host_findings(r: HostReading, config: Config) -> list[Finding]:
    t = config.thresholds
    on = f" {r.machine}" if r.machine else ""  # a remote engine: say whose disk this is
    out = [
        Finding("host.disk", "disk", level_for(r.disk_pct, t.disk), pct(r.disk_pct) + on),
        Finding("host.swap", "swap", level_for(r.swap_pct, t.swap), pct(r.swap_pct) + on),
    ]
    if r.newest_backup_age_s is not None or r.ok:
        age = r.newest_backup_age_s
        out.append(
            Finding(
                "db.backup_age",
                "backup age",
                backup_level(age, config),
                "none found" if age is None else format_duration(age),
            )
        )
    return out


def backup_level(age: float | None, config: Config) -> Level:
    """Section 1.3 "Backup completed within last 24h" (BUY-2057), for the pane and the P0 gate."""
    return Level.CRIT if age is None or age >= config.prelaunch.backup_max_age else Level.OK


def traffic_findings(r: TrafficReading, config: Config) -> list[Finding]:
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


def smoke_findings(r: SmokeReading, config: Config) -> list[Finding]:
    return [
        Finding(c.id, c.title, Level.OK if c.ok else Level.CRIT, c.detail or _ok_word(c.ok))
        for c in r.checks
    ]


# Alertmanager's severities that page: its alert is critical here too; any other is a warning.
_PAGING = {"critical", "crit", "page", "p1", "emergency"}


def alertmanager_findings(r: AlertmanagerReading, config: Config) -> list[Finding]:
    """Each firing alert of the launch's, as Alertmanager (and its `for:`) decided it."""
    return [
        Finding(
            f"am:{a.fingerprint}",
            a.name,
            Level.CRIT if a.severity.lower() in _PAGING else Level.WARN,
            a.summary or a.severity or "firing",
        )
        for a in r.alerts
    ]


_PANE_RULES = {
    "containers": (ContainersReading, container_findings),
    "pgbouncer": (PoolReading, pool_findings),
    "postgres": (PostgresReading, postgres_findings),
    "redis": (RedisReading, redis_findings),
    "host": (HostReading, host_findings),
    "traffic": (TrafficReading, traffic_findings),
    "smoke": (SmokeReading, smoke_findings),
    "alertmanager": (AlertmanagerReading, alertmanager_findings),
}
# Sources that exist only when configured: judged once they have given a reading.
_OPTIONAL = {"alertmanager"}


def judged_sources(store: Store) -> list[str]:
    return [s for s in _PANE_RULES if s not in _OPTIONAL or store.latest(s) is not None]


def pane_findings(source: str, store: Store, config: Config) -> list[Finding]:
    """Findings for one pane: from the last good reading, plus the source's error if any."""
    reading_type, rule = _PANE_RULES[source]
    out: list[Finding] = []
    error = _source_error(store.latest(source))
    if error is not None:
        out.append(error)
    good = store.good(source)
    if isinstance(good, reading_type):
        found = rule(good, config)
        if store.is_stale(source):
            found = [as_stale(f, store.age(source)) for f in found]
        out.extend(found)
    return out


def as_stale(finding: Finding, age: float | None) -> Finding:
    """Old news keeps its bad news: a stale warning or failure stays as bad (we have no reading
    that says it cleared), but a stale "ok" is no longer a claim we can make: unknown."""
    return Finding(
        finding.id,
        finding.title,
        max(finding.level, Level.UNKNOWN),
        finding.value,
        age if age is not None else 0.0,
    )


def source_alert(source: str, store: Store) -> Alert | None:
    """A source that cannot be read says so itself ("containers: no answer for 40s"); its last
    findings stay on the pane and in the alerts, marked stale."""
    latest = store.latest(source)
    if latest is None:
        return None
    down = latest.error is not None and error_level(latest.error) is Level.CRIT
    if not (down or store.is_stale(source)):
        return None
    age = store.age(source)
    since = "never answered" if age is None else f"no answer for {format_duration(age)}"
    if down:
        return Alert(f"source:{source}", Level.CRIT, f"{source}: {latest.error} ({since})")
    why = f" ({latest.error})" if latest.error else ""
    return Alert(f"source:{source}", Level.WARN, f"{source}: {since}{why}")


TRIGGER_METRICS = ("error_rate_5xx", "p99_latency", "pool_usage")
TRIGGER_SOURCE = {"error_rate_5xx": "traffic", "p99_latency": "traffic", "pool_usage": "pgbouncer"}


def trigger_series(store: Store, config: Config, metric: str) -> tuple[list[Sample], float]:
    """A trigger metric's samples and the silence that breaks its run (a few missed polls)."""
    series = list(store.series(metric))
    cadence = config.poll.for_source(TRIGGER_SOURCE[metric])
    return series, max_gap(series, cadence.interval)


def trigger_states(store: Store, config: Config, now: float) -> list[TriggerState]:
    """Each rollback trigger over the store's history alone (no remembered onsets: the judge's
    console.judge.triggers counts past the history window)."""
    out = []
    for metric in TRIGGER_METRICS:
        trigger: Trigger = getattr(config.rollback_triggers, metric)
        series, gap = trigger_series(store, config, metric)
        state = sustained(series, trigger.above, trigger.sustained, now, gap)
        value = series[-1][1] if series else None
        out.append(TriggerState(metric, TRIGGER_TITLES[metric], trigger, state, value))
    return out


def max_gap(series: Iterable[Sample], interval: float) -> float:
    # The spacing of recent samples tells how far apart console time puts them (the demo runs
    # faster than the wall); a silence of more than four spacings is a gap.
    times = [t for t, _ in list(series)[-4:]]
    spacing = max((b - a for a, b in itertools.pairwise(times)), default=interval)
    return 4 * max(spacing, interval)
