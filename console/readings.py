"""Typed, timestamped readings: what a source returns from one poll.

A reading either carries data or carries the error that kept it from having any (`error` set,
data fields at their empty defaults). Sources never raise into the loop; the poller turns a
timeout or an exception into an error reading with `Reading.failed`.

`at` is the console clock's time (wall time live, simulated time in the demo), so rules over
time windows work the same on both. Each reading names its headline numbers in `metrics()`:
the store keeps their history for sustained rules and charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    source: str
    at: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(cls, source: str, at: float, error: str) -> Self:
        return cls(source=source, at=at, error=error)

    def metrics(self) -> dict[str, float | None]:
        return {}


# --- containers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    name: str
    state: str  # running, exited, restarting, paused, created, dead, missing
    health: str | None = None  # healthy, unhealthy, starting; None without a healthcheck
    failing_streak: int = 0
    exit_code: int | None = None
    restarts: int = 0
    started_at: float | None = None  # epoch seconds on the console clock
    cpu_pct: float | None = None
    mem_bytes: int | None = None
    mem_limit: int | None = None
    expected: bool = True  # named in the config (vs. found through the compose project)
    host: str = ""  # the engine's name when there are several ([docker] engines)

    @property
    def where(self) -> str:
        """The name the screen and the findings use: `host/name` when there are engines."""
        return f"{self.host}/{self.name}" if self.host else self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineState:
    """One engine of several: its name and, when this poll could not read it, why."""

    name: str
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainersReading(Reading):
    containers: tuple[Container, ...] = ()
    # With several engines: each one's state (a dead engine costs its rows, not the pane).
    engines: tuple[EngineState, ...] = ()
    api: str = ""
    # Section 1.2: the API container's environment; None when not read.
    api_env: dict[str, str] | None = None

    def metrics(self) -> dict[str, float | None]:
        api = next((c for c in self.containers if c.name == self.api), None)
        return {"api_cpu": api.cpu_pct if api else None}


# --- PgBouncer and PostgreSQL -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    database: str
    user: str
    cl_active: int
    cl_waiting: int
    sv_active: int
    sv_idle: int
    sv_used: int
    pool_size: int
    maxwait_s: float
    pool_mode: str = "transaction"

    @property
    def usage_pct(self) -> float | None:
        # Server connections busy with a client, as a share of the pool. Idle and used ones are
        # free to hand out, so they do not count as pressure.
        if self.pool_size <= 0:
            return None
        return 100.0 * self.sv_active / self.pool_size


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolReading(Reading):
    pools: tuple[Pool, ...] = ()
    queries_per_s: float | None = None

    @property
    def worst(self) -> Pool | None:
        usable = [p for p in self.pools if p.usage_pct is not None]
        return max(usable, key=lambda p: (p.usage_pct, p.cl_waiting), default=None)

    def metrics(self) -> dict[str, float | None]:
        worst = self.worst
        return {
            "pool_usage": worst.usage_pct if worst else None,
            "pool_waiting": float(sum(p.cl_waiting for p in self.pools)) if self.pools else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PostgresReading(Reading):
    by_state: dict[str, int] = field(default_factory=dict)
    max_connections: int | None = None
    migration: str | None = None
    product_count: int | None = None

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def connections_pct(self) -> float | None:
        if not self.max_connections:
            return None
        return 100.0 * self.total / self.max_connections

    def metrics(self) -> dict[str, float | None]:
        return {"pg_connections": self.connections_pct}


# --- Redis ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RedisReading(Reading):
    ping_ms: float | None = None
    used_memory: int | None = None
    max_memory: int | None = None
    # True when maxmemory is 0 (unlimited) and max_memory is the host's memory instead.
    max_is_system: bool = False
    clients: int | None = None
    ops_per_sec: float | None = None
    evicted_keys: int | None = None

    @property
    def memory_pct(self) -> float | None:
        if self.used_memory is None or not self.max_memory:
            return None
        return 100.0 * self.used_memory / self.max_memory

    def metrics(self) -> dict[str, float | None]:
        return {"redis_memory": self.memory_pct}


# --- the host ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HostReading(Reading):
    disk_path: str = "/"
    # Set when the Docker engine is on another machine: whose disk, swap and backups these are
    # ("on console-box (the Docker engine is on db-1)"); empty when they are the engine's host.
    machine: str = ""
    disk_used: int | None = None
    disk_total: int | None = None
    swap_used: int | None = None
    swap_total: int | None = None
    newest_backup_age_s: float | None = None

    @property
    def disk_pct(self) -> float | None:
        if self.disk_used is None or not self.disk_total:
            return None
        return 100.0 * self.disk_used / self.disk_total

    @property
    def swap_pct(self) -> float | None:
        if self.swap_used is None or self.swap_total is None:
            return None
        return 0.0 if self.swap_total == 0 else 100.0 * self.swap_used / self.swap_total

    def metrics(self) -> dict[str, float | None]:
        return {"disk": self.disk_pct, "swap": self.swap_pct}


# --- traffic (from the API's access logs) -----------------------------------------------------

# Section 3.1: page on-call at once for any of these in the logs; for
# UnhandledPromiseRejection, above 50 occurrences. Pattern -> count that is still tolerated.
LOG_PAGE_PATTERNS = {"ECONNREFUSED": 0, "FATAL": 0, "panic": 0, "UnhandledPromiseRejection": 50}


@dataclass(frozen=True, slots=True, kw_only=True)
class TrafficReading(Reading):
    window_s: float = 0.0
    requests: int = 0
    errors_5xx: int = 0
    p50_s: float | None = None
    p99_s: float | None = None
    searches: int = 0
    affiliate_clicks: int = 0
    # Section 3.1 log patterns seen in this window: ECONNREFUSED, FATAL, panic, ...
    log_alerts: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate_pct(self) -> float | None:
        return 100.0 * self.errors_5xx / self.requests if self.requests else None

    @property
    def requests_per_s(self) -> float | None:
        return self.requests / self.window_s if self.window_s > 0 else None

    @property
    def searches_per_min(self) -> float | None:
        return 60.0 * self.searches / self.window_s if self.window_s > 0 else None

    def metrics(self) -> dict[str, float | None]:
        return {
            "error_rate_5xx": self.error_rate_pct,
            "p50_latency": self.p50_s,
            "p99_latency": self.p99_s,
            "requests_per_s": self.requests_per_s,
            "searches_per_min": self.searches_per_min,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PromTrafficReading(TrafficReading):
    """Traffic as Prometheus computed it: rates over its own window, every replica summed.

    The same figures, under the same names, as the log-based reading (the pane, the charts and
    the rollback triggers read them alike); there are no counts behind them here.
    """

    error_rate: float | None = None  # percent
    request_rate: float | None = None  # per second
    search_rate: float | None = None  # per minute

    @property
    def error_rate_pct(self) -> float | None:
        return self.error_rate

    @property
    def requests_per_s(self) -> float | None:
        return self.request_rate

    @property
    def searches_per_min(self) -> float | None:
        return self.search_rate


# --- smoke checks -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeCheck:
    id: str  # api.health, mcp.health, smoke.search, affiliate.redirect, ...
    title: str
    ok: bool
    detail: str = ""
    latency_ms: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeReading(Reading):
    checks: tuple[SmokeCheck, ...] = ()

    def get(self, check_id: str) -> SmokeCheck | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def metrics(self) -> dict[str, float | None]:
        # Section 6 "API uptime": the share of health probes that answered ok.
        health = self.get("api.health")
        return {"health_ok": None if health is None else float(health.ok)}


# --- Alertmanager -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FiringAlert:
    fingerprint: str
    name: str  # the alertname label
    severity: str  # the severity label ("" when absent)
    summary: str  # the summary (or description) annotation
    starts_at: float | None = None  # epoch seconds
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertmanagerReading(Reading):
    """Alertmanager's firing alerts for the launch (its matchers), not silenced or inhibited."""

    alerts: tuple[FiringAlert, ...] = ()

    def metrics(self) -> dict[str, float | None]:
        return {"alertmanager_firing": float(len(self.alerts))}
