"""PgBouncer's admin console: SHOW POOLS, SHOW DATABASES, SHOW STATS (runbook 1.1, 3.4)."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.readings import Pool, PoolReading
from console.sources.base import describe
from console.sources.pg import KeptConnection


class PgBouncerSource:
    name = "pgbouncer"
    reading_type = PoolReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.clock = clock
        self.conn = KeptConnection(
            config.pgbouncer.admin_dsn.get_secret_value(), config.poll.pgbouncer.timeout
        )
        self._last_queries: tuple[float, int] | None = None

    async def read(self) -> PoolReading:
        now = self.clock.now()
        try:
            pools = await self.conn.query("SHOW POOLS")
            databases = await self.conn.query("SHOW DATABASES")
            stats = await self.conn.query("SHOW STATS")
        except Exception as exc:
            return PoolReading.failed(self.name, now, describe(exc))
        sizes = {d["name"]: int(d.get("pool_size") or 0) for d in databases}
        out = []
        for p in pools:
            if p["database"] == "pgbouncer":  # the admin console's own pseudo-pool
                continue
            maxwait = float(p.get("maxwait") or 0) + float(p.get("maxwait_us") or 0) / 1e6
            out.append(
                Pool(
                    database=p["database"],
                    user=p["user"],
                    cl_active=int(p["cl_active"]),
                    cl_waiting=int(p["cl_waiting"]),
                    sv_active=int(p["sv_active"]),
                    sv_idle=int(p["sv_idle"]),
                    sv_used=int(p["sv_used"]),
                    pool_size=sizes.get(p["database"], 0),
                    maxwait_s=maxwait,
                    pool_mode=str(p.get("pool_mode") or ""),
                )
            )
        # A configured database no client has used yet has no pool row: it is an idle pool.
        seen = {p.database for p in out}
        for d in databases:
            if d["name"] not in seen and d["name"] != "pgbouncer":
                out.append(
                    Pool(
                        database=d["name"],
                        user=d.get("force_user") or "",
                        cl_active=0,
                        cl_waiting=0,
                        sv_active=0,
                        sv_idle=0,
                        sv_used=0,
                        pool_size=sizes[d["name"]],
                        maxwait_s=0.0,
                    )
                )
        total = sum(
            int(s.get("total_query_count") or 0) for s in stats if s["database"] != "pgbouncer"
        )
        qps = None
        if self._last_queries is not None and now > self._last_queries[0]:
            qps = max(0, total - self._last_queries[1]) / (now - self._last_queries[0])
        self._last_queries = (now, total)
        return PoolReading(source=self.name, at=now, pools=tuple(out), queries_per_s=qps)

    async def close(self) -> None:
        await self.conn.drop()
