"""The demo's simulated BuyWhere stack: a model of launch day as a function of time.

Every value is a pure function of the simulated instant, the seed and the remediation events
so far, so the same seed at the same instant gives the same screen (snapshot tests rely on it)
and polling more or less often changes nothing.

Scenarios:
- `launch` (default): traffic ramps from T-0; from T+4m a connection leak saturates the
  PgBouncer pool, clients queue, P99 climbs and 5xx surge past 5 %: the runbook's rollback
  trigger (error rate > 5 % for 10 min) fires near T+16m unless someone acts. The disk sits in
  its warning band and fills while the scraper writes.
- `calm`: the same traffic, no incident.

The control seam: `stop`, `start`, `restart`, `signal` and `free_disk` are what the remediation
actions will call (through `console.control`) and the model reacts to them: a restarted API
drops the leaked connections, a stopped scraper stops writing and frees pool slots, paused US
traffic falls away, freed disk shows at once.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

SCENARIOS = ("launch", "calm")

GIB = 1024**3
DISK_TOTAL = 200 * GIB
SWAP_TOTAL = 4 * GIB
REDIS_MAX = 2 * GIB
POOL_SIZE = 40
MAX_CONNECTIONS = 100
RESTART_TAKES = 12.0  # seconds from restart to healthy
SURGE_START, SURGE_FULL = 240.0, 480.0  # T+4m the leak begins, T+8m the pool is gone
RECOVERY = 90.0  # seconds for the API to drain the queue after a restart


@dataclass(slots=True)
class SimContainer:
    name: str
    service: str
    state: str = "running"
    started_at: float = 0.0
    restarts: int = 0
    exit_code: int | None = None
    healthcheck: bool = True


@dataclass(slots=True)
class Event:
    at: float
    kind: str  # stop, start, restart, signal, free_disk
    target: str
    detail: str = ""


@dataclass
class SimStack:
    launch: float  # epoch of T-0
    scenario: str = "launch"
    seed: int = 7
    api: str = "api-api-1"
    scraper: str = "scraper-worker-fixed"
    services: tuple[str, ...] = (
        "api-api-1",
        "api-mcp-1",
        "buywhere-api-db-1",
        "api-pgbouncer-1",
        "api-redis-1",
    )
    events: list[Event] = field(default_factory=list)
    containers: dict[str, SimContainer] = field(default_factory=dict)
    disk_freed: int = 0
    traffic_paused_at: float | None = None

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}: choose {', '.join(SCENARIOS)}")
        booted = self.launch - 6 * 3600  # the stack came up this morning
        for name in (*self.services, self.scraper):
            service = name.removeprefix("api-").removesuffix("-1")
            self.containers[name] = SimContainer(
                name, service, started_at=booted, healthcheck=name != self.scraper
            )

    # --- the control seam ---------------------------------------------------------------------

    def _container(self, name: str) -> SimContainer:
        try:
            return self.containers[name]
        except KeyError:
            raise LookupError(f"no such container: {name}") from None

    def stop(self, name: str, at: float) -> None:
        c = self._container(name)
        c.state, c.exit_code = "exited", 0
        self.events.append(Event(at, "stop", name))

    def start(self, name: str, at: float) -> None:
        c = self._container(name)
        c.state, c.exit_code, c.started_at = "running", None, at
        self.events.append(Event(at, "start", name))

    def restart(self, name: str, at: float) -> None:
        c = self._container(name)
        c.state, c.exit_code, c.started_at = "running", None, at
        c.restarts += 1
        self.events.append(Event(at, "restart", name))

    def signal(self, name: str, signal: str, at: float) -> None:
        self._container(name)
        if name == self.api and signal == "HUP":
            # Rollback step 1: the API reloads with the US market flag off.
            self.traffic_paused_at = at
        self.events.append(Event(at, "signal", name, signal))

    def free_disk(self, nbytes: int, at: float) -> None:
        self.disk_freed += nbytes
        self.events.append(Event(at, "free_disk", "host", str(nbytes)))

    # --- the model ----------------------------------------------------------------------------

    def noise(self, key: str, t: float, period: float = 5.0) -> float:
        """Deterministic noise in [-1, 1] for a metric at an instant (stable within a period)."""
        h = zlib.crc32(f"{self.seed}:{key}:{int(t // period)}".encode())
        return (h / 0xFFFFFFFF) * 2 - 1

    def _last(self, kind: str, target: str, before: float) -> float | None:
        times = (e.at for e in self.events if (e.kind, e.target) == (kind, target))
        return max((at for at in times if at <= before), default=None)

    def api_restarted_at(self, t: float) -> float | None:
        return self._last("restart", self.api, t)

    def scraper_running(self, t: float) -> bool:
        running = True
        for e in self.events:  # in the order they happened, so a stop and start at one instant
            if e.target == self.scraper and e.at <= t and e.kind in ("stop", "start"):
                running = e.kind == "start"
        return running

    def api_up(self, t: float) -> bool:
        restarted = self.api_restarted_at(t)
        return restarted is None or t - restarted >= RESTART_TAKES

    def demand(self, t: float) -> float:
        """Requests per second arriving at the API."""
        rel = t - self.launch
        base = 4.0
        if rel >= 0:  # the launch: five minutes of ramp to ~120 rps, then slow growth
            base += 116.0 * min(1.0, rel / 300.0) + 10.0 * min(1.0, rel / 3600)
        if self.traffic_paused_at is not None and t >= self.traffic_paused_at:
            base *= 0.1
        return max(0.5, base * (1 + 0.06 * self.noise("rps", t)))

    def surge(self, t: float) -> float:
        """How far the connection-leak incident has gone, 0..1."""
        if self.scenario != "launch":
            return 0.0
        rel = t - self.launch
        s = min(1.0, max(0.0, (rel - SURGE_START) / (SURGE_FULL - SURGE_START)))
        restarted = self.api_restarted_at(t)
        if restarted is not None and restarted - self.launch > SURGE_START:
            # The restart drops the leaked connections; the queue drains over RECOVERY seconds.
            s = min(s, max(0.0, 1 - (t - restarted) / RECOVERY))
        return s

    def pool_usage(self, t: float) -> float:
        load = 12 + 33 * min(1.0, self.demand(t) / 120) + (10 if self.scraper_running(t) else 0)
        return min(100.0, max(0.0, load + 60 * self.surge(t) + 2 * self.noise("pool", t)))

    def error_rate(self, t: float) -> float:
        return max(0.0, 0.12 + 11.5 * self.surge(t) + 0.05 * self.noise("err", t))

    def p50(self, t: float) -> float:
        return 0.065 + 0.015 * self.noise("p50", t) + 0.9 * self.surge(t)

    def p99(self, t: float) -> float:
        return 0.38 + 0.06 * self.noise("p99", t) + 6.4 * self.surge(t) ** 1.2

    def scraped_seconds(self, t: float) -> float:
        """How long the scraper has written since the demo began (T-15m), up to `t`."""
        until = t
        stopped = self._last("stop", self.scraper, t)
        if not self.scraper_running(t) and stopped is not None:
            until = stopped  # a simplification: one stop ends the day's writing
        return max(0.0, until - (self.launch - 900))

    def disk_used(self, t: float) -> int:
        start = 0.81 if self.scenario == "launch" else 0.62
        # The scraper writes ~3 % of the disk an hour while it runs.
        used = (start + 0.03 * self.scraped_seconds(t) / 3600) * DISK_TOTAL - self.disk_freed
        return int(min(DISK_TOTAL, max(0, used)))

    def redis_used(self, t: float) -> int:
        rel = max(0.0, t - self.launch)
        share = 0.38 + 0.30 * min(1.0, rel / 3600) + 0.01 * self.noise("redis", t)
        return int(share * REDIS_MAX)

    def swap_used(self, t: float) -> int:
        return int((0.11 + 0.22 * self.surge(t) + 0.005 * self.noise("swap", t)) * SWAP_TOTAL)

    def api_cpu(self, t: float) -> float:
        if not self.api_up(t):
            return 0.0
        load = 8 + 40 * min(1.0, self.demand(t) / 120) + 30 * self.surge(t)
        return max(0.5, load + 3 * self.noise("cpu", t))

    def api_health(self, t: float) -> str:
        if not self.api_up(t):
            return "starting"
        return "unhealthy" if self.surge(t) > 0.75 else "healthy"

    def product_count(self, t: float) -> int:
        return 1_342_118 + int(self.scraped_seconds(t) * 0.8)
