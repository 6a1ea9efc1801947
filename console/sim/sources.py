"""Sources that read the simulated stack: the same interface as the real ones."""

from __future__ import annotations

from console.clock import Clock
from console.readings import (
    Container,
    ContainersReading,
    HostReading,
    Pool,
    PoolReading,
    PostgresReading,
    Reading,
    RedisReading,
    SmokeCheck,
    SmokeReading,
    TrafficReading,
)
from console.sim.stack import (
    DISK_TOTAL,
    MAX_CONNECTIONS,
    POOL_SIZE,
    REDIS_MAX,
    SWAP_TOTAL,
    SimStack,
)


class SimSource:
    name = ""
    reading_type: type[Reading] = Reading

    def __init__(self, stack: SimStack, clock: Clock) -> None:
        self.stack = stack
        self.clock = clock

    async def read(self) -> Reading:
        return self.sample(self.clock.now())

    def sample(self, t: float) -> Reading:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class SimContainers(SimSource):
    name = "containers"
    reading_type = ContainersReading

    def sample(self, t: float) -> ContainersReading:
        s = self.stack
        out = []
        for c in s.containers.values():
            running = c.state == "running"
            health = None
            cpu = 1.0 + abs(s.noise(f"cpu:{c.name}", t)) * 3
            mem = int((0.2 + 0.05 * s.noise(f"mem:{c.name}", t, 30)) * 1024**3)
            if c.name == s.api:
                health, cpu = s.api_health(t), s.api_cpu(t)
                mem = int((0.45 + 0.25 * s.surge(t)) * 1024**3)
            elif c.healthcheck and running:
                health = "healthy"
            out.append(
                Container(
                    name=c.name,
                    state=c.state,
                    health=health if running else None,
                    failing_streak=3 if health == "unhealthy" else 0,
                    exit_code=c.exit_code,
                    restarts=c.restarts,
                    started_at=c.started_at,
                    cpu_pct=cpu if running else None,
                    mem_bytes=mem if running else None,
                    mem_limit=2 * 1024**3,
                    expected=c.name in s.services,
                )
            )
        env = {"USD_DEFAULT": "USD", "US_REGION": "us"}
        return ContainersReading(
            source=self.name, at=t, containers=tuple(out), api=s.api, api_env=env
        )


class SimPgBouncer(SimSource):
    name = "pgbouncer"
    reading_type = PoolReading

    def sample(self, t: float) -> PoolReading:
        s = self.stack
        usage = s.pool_usage(t)
        active = round(POOL_SIZE * usage / 100)
        waiting = round(45 * s.surge(t) ** 2) if usage >= 99.5 else 0
        pool = Pool(
            database="catalog",
            user="buywhere",
            cl_active=active + 6,
            cl_waiting=waiting,
            sv_active=active,
            sv_idle=max(0, min(POOL_SIZE - active, 8)),
            sv_used=0,
            pool_size=POOL_SIZE,
            maxwait_s=round(4.5 * s.surge(t) ** 2, 2) if waiting else 0.0,
        )
        return PoolReading(source=self.name, at=t, pools=(pool,), queries_per_s=s.demand(t) * 3.2)


class SimPostgres(SimSource):
    name = "postgres"
    reading_type = PostgresReading

    def sample(self, t: float) -> PostgresReading:
        s = self.stack
        active = round(POOL_SIZE * s.pool_usage(t) / 100)
        return PostgresReading(
            source=self.name,
            at=t,
            by_state={"active": active, "idle": 12, "idle in transaction": round(6 * s.surge(t))},
            max_connections=MAX_CONNECTIONS,
            migration="036_add_bulk_ingestion_jobs",
            product_count=s.product_count(t),
        )


class SimRedis(SimSource):
    name = "redis"
    reading_type = RedisReading

    def sample(self, t: float) -> RedisReading:
        s = self.stack
        return RedisReading(
            source=self.name,
            at=t,
            ping_ms=0.3 + 0.1 * s.noise("ping", t),
            used_memory=s.redis_used(t),
            max_memory=REDIS_MAX,
            clients=12 + round(s.demand(t) / 4),
            ops_per_sec=s.demand(t) * 6,
            evicted_keys=0,
        )


class SimHost(SimSource):
    name = "host"
    reading_type = HostReading

    def sample(self, t: float) -> HostReading:
        s = self.stack
        # The nightly backup ran at 03:00 on launch day.
        backup_at = s.launch - 11 * 3600
        return HostReading(
            source=self.name,
            at=t,
            disk_path="/",
            disk_used=s.disk_used(t),
            disk_total=DISK_TOTAL,
            swap_used=s.swap_used(t),
            swap_total=SWAP_TOTAL,
            newest_backup_age_s=t - backup_at,
        )


class SimTraffic(SimSource):
    """The API's access-log view: requests since the previous read, as the real source does."""

    name = "traffic"
    reading_type = TrafficReading

    def __init__(self, stack: SimStack, clock: Clock, window: float = 60.0) -> None:
        super().__init__(stack, clock)
        self.window = window

    def sample(self, t: float) -> TrafficReading:
        s = self.stack
        # A fixed one-minute window keeps the figures steady whatever the demo speed.
        requests = round(s.demand(t) * self.window) if s.api_up(t) else 0
        errors = round(requests * s.error_rate(t) / 100)
        alerts = {"ECONNREFUSED": round(30 * s.surge(t))} if s.surge(t) > 0.3 else {}
        return TrafficReading(
            source=self.name,
            at=t,
            window_s=self.window,
            requests=requests,
            errors_5xx=errors,
            p50_s=s.p50(t) if requests else None,
            p99_s=s.p99(t) if requests else None,
            searches=round(requests * 0.35),
            affiliate_clicks=round(requests * 0.02),
            log_alerts=alerts,
        )


class SimSmoke(SimSource):
    name = "smoke"
    reading_type = SmokeReading

    def sample(self, t: float) -> SmokeReading:
        s = self.stack
        up = s.api_up(t)
        surge = s.surge(t)
        search_ok = up and surge < 0.85
        checks = (
            SmokeCheck(
                id="api.health",
                title="/health",
                ok=up,
                detail="200 ok" if up else "connection refused",
                latency_ms=40 + 300 * surge,
            ),
            SmokeCheck(
                id="mcp.health", title="/mcp/health", ok=True, detail="200 ok", latency_ms=22
            ),
            SmokeCheck(
                id="smoke.search",
                title="search",
                ok=search_ok,
                detail="total 2841" if search_ok else ("503" if up else "connection refused"),
                latency_ms=90 + 4000 * surge,
            ),
            SmokeCheck(
                id="affiliate.redirect",
                title="affiliate /go/",
                ok=up,
                detail="amazon.com tag=buywhere-20" if up else "connection refused",
                latency_ms=60,
            ),
            SmokeCheck(
                id="smoke.product",
                title="product",
                ok=search_ok,
                detail="Apple iPhone 15 128GB" if search_ok else "no product to open",
                latency_ms=70 + 2000 * surge,
            ),
            SmokeCheck(id="affiliate.tag", title="/go/test-asin", ok=up, detail="tagged"),
            SmokeCheck(id="sources.fresh", title="US sources", ok=True, detail="all ran < 4h ago"),
            SmokeCheck(id="tls.expiry", title="TLS cert", ok=True, detail="71 days left"),
        )
        return SmokeReading(source=self.name, at=t, checks=checks)
