"""The project's own test stack: real servers on loopback in a temp dir, stopped by PID.

A Docker engine (containers named as in the runbook, from a local busybox image, no network),
PostgreSQL with alembic_version and products, PgBouncer in front of it with a small pool, Redis
with maxmemory, and an HTTPS server playing the public API. Every process is one we started;
we stop exactly those, by PID.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
IMAGE = "lc-busybox:test"
LOOP = 'trap "exit 0" TERM; while :; do sleep 1; done'
# Extra project containers for the scale tests: asleep (no wake-up each second), quick to stop.
IDLE = 'trap "exit 0" TERM; sleep 1000000 & wait'
APPLETS = ("sh", "sleep", "echo", "true", "false", "cat", "ls")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, check, timeout: float = 30.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(every)
    raise RuntimeError(f"test stack: {what} did not come up in {timeout:g}s ({last})")


# --- the API stand-in ---------------------------------------------------------------------------


@dataclass
class ApiState:
    """What the fake public API answers; tests change it."""

    health_status: int = 200
    total_products: int = 1_342_118
    search_total: int = 2841
    affiliate_target: str = "https://www.amazon.com/dp/B09G9HDHJT?tag=buywhere-20"
    sources_last_run: float = field(default_factory=lambda: time.time() - 600)


def make_handler(state: ApiState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _json(self, status: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            path = self.path
            if path == "/health":
                body = {
                    "status": "ok" if state.health_status == 200 else "error",
                    "ts": time.time(),
                    "catalog": {"total_products": state.total_products},
                }
                return self._json(state.health_status, body)
            if path == "/mcp/health":
                return self._json(200, {"status": "ok"})
            if path.startswith("/api/search"):
                return self._json(
                    200,
                    {"total": state.search_total, "products": [{"id": "p-1", "name": "Laptop 14"}]},
                )
            if path.startswith("/api/products/"):
                return self._json(200, {"id": path.rsplit("/", 1)[1], "name": "Laptop 14"})
            if path == "/go/B09G9HDHJT":
                return self._redirect("/go/r/B09G9HDHJT")  # one hop on our own host first
            if path == "/go/r/B09G9HDHJT":
                return self._redirect(state.affiliate_target)
            if path == "/go/test-asin":
                return self._redirect("https://www.amazon.com/dp/test-asin?tag=buywhere-20")
            if path.startswith("/api/sources"):
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state.sources_last_run))
                return self._json(
                    200,
                    [
                        {"name": "amazon-us", "last_run": stamp},
                        {"name": "walmart-us", "last_run": stamp},
                    ],
                )
            return self._json(404, {"detail": "not found"})

    return Handler


def make_cert(directory: Path, name: str, days: int) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            str(days),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 drops the sixth concurrent connect, which the
    # client retries a second later: the smoke checks run eight at once.
    request_queue_size = 64
    daemon_threads = True


class HttpsApi:
    def __init__(self, cert: Path, key: Path, state: ApiState | None = None) -> None:
        self.state = state or ApiState()
        self.server = _Server(("127.0.0.1", 0), make_handler(self.state))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def busybox_tar() -> bytes:
    """A rootfs with /bin/busybox and its applet links: the image every test container runs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add("/bin/busybox", arcname="bin/busybox")
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        for d in ("tmp", "proc", "sys", "dev", "etc"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
    return buf.getvalue()


def import_busybox(client, data: bytes | None = None) -> None:
    client.api.import_image_from_data(data or busybox_tar(), repository="lc-busybox", tag="test")


def dockerd_argv(root: Path, sock: Path) -> list[str]:
    return [
        "dockerd",
        "--host",
        f"unix://{sock}",
        "--data-root",
        str(root / "docker"),
        "--exec-root",
        str(root / "dx"),
        "--pidfile",
        str(root / "docker.pid"),
        "--iptables=false",
        "--ip6tables=false",
        "--bridge=none",
    ]


def add_extras(client, count: int, prefix: str = "extra", workers: int = 8) -> list[str]:
    """`count` more containers of the compose project on the engine `client` talks to, created
    and started in parallel (busybox, no network, no healthcheck); their ids, for
    `remove_extras`."""
    from concurrent.futures import ThreadPoolExecutor

    api = client.api

    def one(i: int) -> str:
        c = api.create_container(
            IMAGE,
            ["sh", "-c", IDLE],
            name=f"{prefix}-{i:03d}",
            labels={"com.docker.compose.project": "api", "com.docker.compose.service": prefix},
            host_config=api.create_host_config(network_mode="none"),
        )
        api.start(c["Id"])
        return c["Id"]

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(count)))


def remove_extras(client, ids: list[str], workers: int = 8) -> None:
    """Removes exactly the containers `add_extras` made (by id), in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    def one(cid: str) -> None:
        with contextlib.suppress(Exception):
            client.api.remove_container(cid, force=True)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, ids))


class ExtraEngine:
    """A second Docker engine for the several-engines tests: its own dockerd (own root, socket,
    pid file), the busybox image, and the containers asked for (project `api`, no network).
    Stopped by the PID we started."""

    def __init__(self, containers: tuple[str, ...]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lc-e-", dir="/tmp"))
        os.chmod(self.root, 0o755)
        self.sock = self.root / "docker.sock"
        self.names = containers
        self.proc: subprocess.Popen | None = None
        self.docker = None

    @property
    def url(self) -> str:
        return f"unix://{self.sock}"

    def start(self) -> ExtraEngine:
        import docker

        try:
            with open(self.root / "dockerd.log", "wb") as log:
                self.proc = subprocess.Popen(
                    dockerd_argv(self.root, self.sock),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            wait_until("second dockerd", lambda: self.sock.exists(), 60)
            self.docker = docker.DockerClient(base_url=self.url, version="auto", timeout=30)
            wait_until("second dockerd ping", self.docker.ping, 60)
            import_busybox(self.docker)
            for name in self.names:
                service = name.split("-")[1] if name.count("-") >= 2 else name
                self.docker.containers.run(
                    IMAGE,
                    ["sh", "-c", LOOP],
                    name=name,
                    detach=True,
                    network_mode="none",
                    labels={
                        "com.docker.compose.project": "api",
                        "com.docker.compose.service": service,
                    },
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop_engine(self) -> None:
        """The engine dies (SIGTERM by its PID, waited for): its containers stop with it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.docker is not None and self.proc is not None and self.proc.poll() is None:
            for c in self.docker.containers.list(all=True):
                with contextlib.suppress(Exception):
                    c.remove(force=True)
        if self.docker is not None:
            self.docker.close()
        self.stop_engine()
        subprocess.run(["umount", "-R", str(self.root / "docker")], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


# --- the stack ----------------------------------------------------------------------------------


class Stack:
    def __init__(self) -> None:
        # Short: unix socket paths under it must stay below 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="lc-", dir="/tmp"))
        os.chmod(self.root, 0o755)
        self.procs: dict[str, subprocess.Popen] = {}
        self.pg_port = free_port()
        self.bouncer_port = free_port()
        self.redis_port = free_port()
        self.docker_sock = self.root / "docker.sock"
        self.api: HttpsApi | None = None
        self.ca_file: Path | None = None
        self.docker = None

    # processes --------------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], user: str | None = None) -> subprocess.Popen:
        # The child writes to its own copy of the file descriptor: ours closes at once.
        with open(self.root / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=user,
                start_new_session=True,
            )
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def start(self) -> Stack:
        try:
            self._start_dockerd()
            self._start_postgres()
            self._start_redis()
            self._start_pgbouncer()
            self._start_api()
            self._start_containers()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_dockerd(self) -> None:
        self._spawn("dockerd", dockerd_argv(self.root, self.docker_sock))

    def _start_postgres(self) -> None:
        data = self.root / "pg"
        data.mkdir()
        shutil.chown(data, "postgres", "postgres")
        subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            user="postgres",
            timeout=120,
        )
        self._spawn(
            "postgres",
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(data),
                "-k",
                str(data),
                "-p",
                str(self.pg_port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=40",
                "-c",
                "fsync=off",
            ],
            user="postgres",
        )
        wait_until("postgres", lambda: self._psql("SELECT 1", db="postgres"), 30)
        self._psql("CREATE ROLE buywhere LOGIN", db="postgres")
        self._psql("CREATE DATABASE catalog OWNER buywhere", db="postgres")
        self._psql(
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
            "INSERT INTO alembic_version VALUES ('036_add_bulk_ingestion_jobs');"
            "CREATE TABLE products (id serial PRIMARY KEY, name text);"
            "INSERT INTO products (name) SELECT 'p' || g FROM generate_series(1, 5000) g;"
            "ALTER TABLE alembic_version OWNER TO buywhere; ALTER TABLE products OWNER TO buywhere;"
            "ANALYZE products;",
            db="catalog",
        )

    def _psql(self, sql: str, db: str) -> bool:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return True

    def _start_redis(self) -> None:
        (self.root / "redis").mkdir()
        self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory",
                "16mb",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
                str(self.root / "redis"),
            ],
        )

    def _start_pgbouncer(self) -> None:
        d = self.root / "bouncer"
        d.mkdir()
        (d / "users.txt").write_text('"buywhere" ""\n"pgbouncer" ""\n')
        (d / "pgbouncer.ini").write_text(f"""
[databases]
catalog = host=127.0.0.1 port={self.pg_port} dbname=catalog user=buywhere pool_size=4
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.bouncer_port}
unix_socket_dir =
auth_type = trust
auth_file = {d / "users.txt"}
admin_users = pgbouncer
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
query_wait_timeout = 30
ignore_startup_parameters = extra_float_digits
""")
        shutil.chown(d, "postgres", "postgres")
        self._spawn("pgbouncer", ["pgbouncer", str(d / "pgbouncer.ini")], user="postgres")

    def _start_api(self) -> None:
        cert, key = make_cert(self.root, "api", 365)
        self.ca_file = cert
        self.api = HttpsApi(cert, key)

    def _start_containers(self) -> None:
        import docker

        wait_until("dockerd", lambda: self.docker_sock.exists(), 60)
        self.docker = docker.DockerClient(
            base_url=f"unix://{self.docker_sock}", version="auto", timeout=30
        )
        wait_until("dockerd ping", self.docker.ping, 60)
        import_busybox(self.docker)
        # A healthy container stays healthy on a loaded machine: an exec of `true` can take
        # seconds when the load average is 40, so three misses of 5 s each turn it unhealthy,
        # not one of 2 s (that flapped the tests that read "healthy" under load).
        healthy = {
            "test": ["CMD", "true"],
            "interval": 500_000_000,
            "retries": 3,
            "timeout": 5_000_000_000,
        }
        sick = {**healthy, "test": ["CMD", "false"], "retries": 1}  # unhealthy at once
        for name, service, check in (
            ("api-api-1", "api", healthy),
            ("api-mcp-1", "mcp", sick),  # the unhealthy one
            ("buywhere-api-db-1", "db", healthy),
            ("api-pgbouncer-1", "pgbouncer", healthy),
            ("api-redis-1", "redis", healthy),
        ):
            self.docker.containers.run(
                IMAGE,
                ["sh", "-c", LOOP],
                name=name,
                detach=True,
                network_mode="none",
                healthcheck=check,
                labels={"com.docker.compose.project": "api", "com.docker.compose.service": service},
                environment={"USD_DEFAULT": "USD", "US_REGION": "us", "SECRET_KEY": "hunter2"}
                if service == "api"
                else {},
            )
        scraper = self.docker.containers.run(
            IMAGE,
            ["sh", "-c", "exit 3"],
            name="scraper-worker-fixed",
            detach=True,
            network_mode="none",
        )
        scraper.wait(timeout=30)

        def settled() -> bool:
            states = {
                c.name: c.attrs["State"].get("Health", {}).get("Status")
                for c in self.docker.containers.list()
            }
            return states.get("api-api-1") == "healthy" and states.get("api-mcp-1") == "unhealthy"

        wait_until("container health", settled, 30, 0.2)

    def add_extras(self, count: int, prefix: str = "extra", workers: int = 8) -> list[str]:
        """`count` more containers of the compose project (see `add_extras`)."""
        return add_extras(self.docker, count, prefix, workers)

    def remove_extras(self, ids: list[str], workers: int = 8) -> None:
        remove_extras(self.docker, ids, workers)

    # the config the console uses against this stack ------------------------------------------

    def config_toml(self, backups: Path, disk_path: str = "/") -> str:
        return f"""
[launch]
at = "2026-04-23T14:00:00Z"
[docker]
url = "unix://{self.docker_sock}"
[pgbouncer]
admin_dsn = "postgresql://pgbouncer@127.0.0.1:{self.bouncer_port}/pgbouncer"
[postgres]
dsn = "postgresql://buywhere@127.0.0.1:{self.pg_port}/catalog"
min_products = 1000
[redis]
url = "redis://127.0.0.1:{self.redis_port}/0"
[api]
base_url = "{self.api.url if self.api else ""}"
ca_file = "{self.ca_file}"
[host]
disk_path = "{disk_path}"
workspace = "{backups.parent}"
backups = "{backups}"
"""

    # stopping ---------------------------------------------------------------------------------

    def stop(self) -> None:
        if self.docker is not None:
            for c in self.docker.containers.list(all=True):
                with contextlib.suppress(Exception):
                    c.remove(force=True)
            self.docker.close()
        if self.api is not None:
            self.api.stop()
        for _name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # by PID: only what we started
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        subprocess.run(["umount", "-R", str(self.root / "docker")], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
