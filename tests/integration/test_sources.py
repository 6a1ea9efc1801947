"""Every live source against the real servers of the test stack, in the states the runbook fears."""

import asyncio
import os
import subprocess
import time

import psycopg
import pytest

from console.rules import Level, level_for
from console.sources.docker import DockerSource
from console.sources.host import HostSource
from console.sources.http import SmokeSource
from console.sources.pgbouncer import PgBouncerSource
from console.sources.postgres import PostgresSource
from console.sources.redis import RedisSource
from console.sources.traffic import TrafficSource
from tests.stack import HttpsApi, make_cert


async def test_containers_states_health_and_env(config, clock):
    source = DockerSource(config, clock)
    try:
        first = await source.read()
        # CPU % needs two samples a collection apart: the stats stream delivers the second
        # about a second after the first poll. Poll at the console's cadence until it has.
        deadline = time.monotonic() + 5
        while True:
            second = await source.read()
            api = next(c for c in second.containers if c.name == "api-api-1")
            if api.cpu_pct is not None or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
    finally:
        await source.close()
    assert first.ok, first.error
    by_name = {c.name: c for c in second.containers}
    assert by_name["api-api-1"].state == "running" and by_name["api-api-1"].health == "healthy"
    assert by_name["api-mcp-1"].health == "unhealthy" and by_name["api-mcp-1"].failing_streak >= 1
    scraper = by_name["scraper-worker-fixed"]
    assert (scraper.state, scraper.exit_code, scraper.cpu_pct) == ("exited", 3, None)
    assert by_name["api-api-1"].cpu_pct is not None and by_name["api-api-1"].cpu_pct >= 0
    assert by_name["api-api-1"].mem_bytes > 0
    assert by_name["api-api-1"].started_at < time.time()
    # Only the runbook's two variables are read: the secret beside them never leaves Docker.
    assert second.api_env == {"USD_DEFAULT": "USD", "US_REGION": "us"}
    assert "hunter2" not in repr(second)


async def test_missing_service_and_dead_engine(make_config, clock, tmp_path):
    config = make_config()
    config = config.model_copy(
        update={
            "docker": config.docker.model_copy(
                update={"services": [*config.docker.services, "api-ghost-1"]}
            )
        }
    )
    source = DockerSource(config, clock)
    reading = await source.read()
    await source.close()
    assert {c.name: c.state for c in reading.containers}["api-ghost-1"] == "missing"
    dead = config.model_copy(
        update={"docker": config.docker.model_copy(update={"url": f"unix://{tmp_path}/no.sock"})}
    )
    source = DockerSource(dead, clock)
    reading = await source.read()
    await source.close()
    assert reading.error.startswith("DOWN:")


async def test_pool_saturation_with_concurrent_sleeps(stack, config, clock):
    source = PgBouncerSource(config, clock)
    dsn = f"postgresql://buywhere@127.0.0.1:{stack.bouncer_port}/catalog"

    async def sleeper():
        async with await psycopg.AsyncConnection.connect(
            dsn, prepare_threshold=None, autocommit=True
        ) as conn:
            await conn.execute("SELECT pg_sleep(4)")

    try:
        idle = await source.read()
        assert idle.ok, idle.error
        assert idle.pools[0].pool_size == 4
        tasks = [asyncio.create_task(sleeper()) for _ in range(6)]  # 6 clients, 4 server slots
        busy = None
        # Until all four server connections are up (on a loaded machine PostgreSQL takes its
        # time to fork them, and the clients queue meanwhile).
        for _ in range(35):
            await asyncio.sleep(0.1)
            busy = await source.read()
            if busy.worst and busy.worst.cl_waiting >= 2 and busy.worst.sv_active == 4:
                break
        await asyncio.gather(*tasks)
        for _ in range(5):
            await source.read()
        opened = source.conn.opened
    finally:
        await source.close()
    assert busy.worst.usage_pct == 100.0 and busy.worst.cl_waiting == 2
    assert level_for(busy.worst.usage_pct, config.thresholds.pool_usage) is Level.CRIT
    # Steady-state polling reuses its one admin connection.
    assert opened == 1


async def test_postgres_activity_migration_and_products(config, clock):
    source = PostgresSource(config, clock)
    try:
        reading = await source.read()
        await source.read()
        opened = source.conn.opened
    finally:
        await source.close()
    assert reading.ok, reading.error
    assert reading.migration == "036_add_bulk_ingestion_jobs"
    assert reading.product_count == 5000  # the planner's estimate after ANALYZE
    assert reading.max_connections == 40
    assert reading.by_state.get("active", 0) >= 1  # our own query
    assert opened == 1


async def test_redis_memory_near_its_limit(stack, config, clock):
    import redis

    r = redis.Redis(port=stack.redis_port)
    source = RedisSource(config, clock)
    try:
        before = await source.read()
        for i in range(8):  # ~12 MiB of the 16 MiB maxmemory (allocator overhead included)
            r.set(f"ballast:{i}", b"x" * (1024 * 1024))
        after = await source.read()
    finally:
        r.delete(*[f"ballast:{i}" for i in range(8)])
        r.close()
        await source.close()
    assert before.ok and before.max_memory == 16 * 1024 * 1024 and not before.max_is_system
    assert after.memory_pct > 75
    assert level_for(after.memory_pct, config.thresholds.redis_memory) in (Level.WARN, Level.CRIT)


async def test_redis_stopped_mid_run_fails_fast(make_config, clock, tmp_path):
    from tests.stack import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    config = make_config('\n[poll]\nredis = { interval = "1s", timeout = "1s" }\n')
    config = config.model_copy(
        update={
            "redis": config.redis.model_copy(
                update={"url": __import__("pydantic").SecretStr(f"redis://127.0.0.1:{port}/0")}
            )
        }
    )
    source = RedisSource(config, clock)
    try:
        for _ in range(50):
            if (await source.read()).ok:
                break
            await asyncio.sleep(0.1)
        up = await source.read()
        proc.terminate()
        proc.wait(timeout=10)
        started = time.monotonic()
        down = await source.read()  # the kept connection finds the server gone
        again = await source.read()  # a new connection is refused
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
        await source.close()
    assert up.ok and up.max_is_system  # no maxmemory: measured against the host's memory
    assert down.error.startswith("DOWN:") and again.error.startswith("DOWN:"), (down, again)
    assert took < 1.5  # no ten retries with back-off


@pytest.fixture()
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


async def test_disk_near_full_and_backup_age(make_config, clock, small_disk, backups):
    (small_disk / "fill").write_bytes(b"\0" * (int(3.8 * 1024 * 1024)))
    config = make_config(disk_path=str(small_disk))
    source = HostSource(config, clock)
    try:
        reading = await source.read()
        old = time.time() - 25 * 3600
        for f in backups.iterdir():
            os.utime(f, (old, old))
        stale = await source.read()
    finally:
        await source.close()
    assert reading.disk_pct > 90
    assert level_for(reading.disk_pct, config.thresholds.disk) is Level.CRIT
    assert reading.newest_backup_age_s < 60
    assert 25 * 3600 - 60 < stale.newest_backup_age_s < 25 * 3600 + 60


async def test_5xx_burst_in_the_api_log(stack, config, clock):
    source = TrafficSource(config, clock)
    api = stack.docker.containers.get("api-api-1")
    lines = [
        f'INFO: 10.0.0.1:5 - "GET /api/search?q=x HTTP/1.1" 200 512 "-" "c" 0.{i:03d}'
        for i in range(40, 100)
    ]
    lines += ['10.0.0.1 - - "GET /api/products/1 HTTP/1.1" 503 0 "-" "c" 2.500'] * 20
    lines += ["FATAL: connection to db ECONNREFUSED"]
    try:
        await source.read()  # the baseline: from now on
        script = "\n".join(f"echo '{line}'" for line in lines)
        api.exec_run(["sh", "-c", f"({script}) > /proc/1/fd/1"])
        reading = None
        for _ in range(30):
            reading = await source.read()
            if reading.requests >= 80:
                break
            await asyncio.sleep(0.2)
        again = await source.read()
    finally:
        await source.close()
    assert reading.ok, reading.error
    assert (reading.requests, reading.errors_5xx) == (80, 20)
    assert reading.error_rate_pct == 25.0
    assert reading.searches == 60
    assert reading.p99_s == 2.5 and reading.p50_s == 0.08
    assert reading.log_alerts == {"ECONNREFUSED": 1, "FATAL": 1}
    assert again.requests == 80  # nothing counted twice


async def test_smoke_checks_against_the_https_api(stack, config, clock):
    source = SmokeSource(config, clock)
    try:
        good = await source.read()
        stack.api.state.health_status = 503
        stack.api.state.affiliate_target = "https://www.amazon.com/dp/B09G9HDHJT"
        stack.api.state.sources_last_run = time.time() - 5 * 3600
        bad = await source.read()
    finally:
        stack.api.state.health_status = 200
        stack.api.state.affiliate_target = "https://www.amazon.com/dp/B09G9HDHJT?tag=buywhere-20"
        stack.api.state.sources_last_run = time.time() - 600
        await source.close()
    ok = {c.id: c.ok for c in good.checks}
    assert all(ok.values()), [c for c in good.checks if not c.ok]
    assert good.get("api.health").detail == "ok · 1,342,118 products"
    assert good.get("affiliate.redirect").detail == "www.amazon.com tag=buywhere-20"
    failed = {c.id for c in bad.checks if not c.ok}
    assert failed == {"api.health", "affiliate.redirect", "sources.fresh"}


async def test_certificate_near_expiry_and_server_stopped(make_config, clock, tmp_path):
    cert, key = make_cert(tmp_path, "soon", 10)
    api = HttpsApi(cert, key)
    config = make_config()
    config = config.model_copy(
        update={"api": config.api.model_copy(update={"base_url": api.url, "ca_file": str(cert)})}
    )
    source = SmokeSource(config, clock)
    try:
        near = await source.read()
        api.stop()
        gone = await source.read()
    finally:
        await source.close()
    tls = near.get("tls.expiry")
    assert not tls.ok and tls.detail in ("9 days left", "10 days left")
    assert near.get("api.health").ok
    assert all(not c.ok for c in gone.checks)
    assert gone.get("api.health").detail.startswith("DOWN:")
