"""Prometheus and Alertmanager for the tests: real servers (Debian's packages) on loopback.

An exporter the tests drive (prometheus-client, in this process, its own registry) plays the
API's metrics endpoint: a request counter by status and path, and a request-duration histogram.
Prometheus scrapes it every second; Alertmanager runs with no cluster and a receiver that
sends nothing. Both are processes we started, stopped by PID, in a temp dir of their own.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tests.stack import free_port, wait_until

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
BUCKETS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


class Exporter:
    """The API's /metrics, driven by the test: `serve(n, status, seconds)` counts requests."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "requests served",
            ["status", "handler"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "request duration",
            ["handler"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.port = free_port()
        self.server, self.thread = start_http_server(
            self.port, addr="127.0.0.1", registry=self.registry
        )
        self._load: threading.Thread | None = None
        self._stop = threading.Event()
        self.rate = (0.0, 0.0, 0.1)  # requests/s, share of 5xx, seconds each

    def serve(self, n: int, status: int = 200, seconds: float = 0.05, handler: str = "/api/search"):
        self.requests.labels(str(status), handler).inc(n)
        for _ in range(n):
            self.duration.labels(handler).observe(seconds)

    def steady(self, per_s: float, error_share: float = 0.0, seconds: float = 0.05) -> None:
        """A steady load from a thread of ours: `per_s` requests a second, that share of them
        answered 500, each taking `seconds`. Called again, it changes the load at once."""
        self.rate = (per_s, error_share, seconds)
        if self._load is None:
            self._load = threading.Thread(target=self._run, daemon=True)
            self._load.start()

    def _run(self) -> None:
        tick = 0.1
        owed_ok = owed_err = 0.0
        while not self._stop.wait(tick):
            per_s, share, seconds = self.rate
            owed_ok += per_s * (1 - share) * tick
            owed_err += per_s * share * tick
            ok, err = int(owed_ok), int(owed_err)
            owed_ok -= ok
            owed_err -= err
            if ok:
                self.serve(ok, 200, seconds)
            if err:
                self.serve(err, 500, seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._load is not None:
            self._load.join(timeout=5)
        self.server.shutdown()
        self.server.server_close()


class PromStack:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lc-prom-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.prom_port = free_port()
        self.am_port = free_port()
        self.exporter: Exporter | None = None

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prom_port}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.am_port}"

    def _spawn(self, name: str, argv: list[str]) -> None:
        with open(self.root / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.root,
            )

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def start(self) -> PromStack:
        try:
            self.exporter = Exporter()
            self._start_alertmanager()
            self._start_prometheus()
            wait_until("prometheus", lambda: self.get(self.prometheus_url + "/-/ready"), 60)
            wait_until("alertmanager", lambda: self.get(self.alertmanager_url + "/-/ready"), 60)
            # Up once Prometheus has scraped the exporter at least once.
            wait_until("first scrape", self._scraped, 60, 0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_prometheus(self) -> None:
        assert self.exporter is not None
        config = self.root / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: api\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{self.exporter.port}']\n"
            # Exporters a test starts later (add_target): files Prometheus watches.
            "  - job_name: exporters\n"
            "    file_sd_configs:\n"
            f"      - files: ['{self.root / 'targets'}/*.json']\n"
            "        refresh_interval: 1s\n"
        )
        (self.root / "targets").mkdir(exist_ok=True)
        self._spawn(
            "prometheus",
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.prom_port}",
            ],
        )

    def _start_alertmanager(self) -> None:
        config = self.root / "alertmanager.yml"
        config.write_text(
            "route:\n  receiver: nowhere\n  group_wait: 0s\nreceivers:\n  - name: nowhere\n"
        )
        self._spawn(
            "alertmanager",
            [
                ALERTMANAGER,
                f"--config.file={config}",
                f"--storage.path={self.root / 'am'}",
                f"--web.listen-address=127.0.0.1:{self.am_port}",
                "--cluster.listen-address=",  # one node, no gossip port
            ],
        )

    @staticmethod
    def get(url: str) -> object:
        with urllib.request.urlopen(url, timeout=5) as answer:
            body = answer.read()
        try:
            return json.loads(body)
        except ValueError:
            return body or True

    def query(self, promql: str) -> list:
        from urllib.parse import quote

        answer = self.get(f"{self.prometheus_url}/api/v1/query?query={quote(promql)}")
        assert isinstance(answer, dict) and answer["status"] == "success", answer
        return answer["data"]["result"]

    def _scraped(self) -> bool:
        return bool(self.query('up{job="api"} == 1'))

    def add_target(self, job: str, port: int) -> None:
        """Scrape 127.0.0.1:`port` as job `job` from now on (file service discovery)."""
        path = self.root / "targets" / f"{job}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([{"targets": [f"127.0.0.1:{port}"], "labels": {"job": job}}]))
        tmp.rename(path)  # whole, so Prometheus never reads half a file

    def remove_target(self, job: str) -> None:
        (self.root / "targets" / f"{job}.json").unlink(missing_ok=True)

    def fire_alert(self, labels: dict[str, str], annotations: dict[str, str] | None = None):
        """An alert as Prometheus would send it: POST /api/v2/alerts."""
        body = json.dumps(
            [
                {
                    "labels": labels,
                    "annotations": annotations or {},
                    "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            ]
        ).encode()
        request = urllib.request.Request(
            f"{self.alertmanager_url}/api/v2/alerts",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5):
            pass

    def silences(self) -> list[dict]:
        answer = self.get(f"{self.alertmanager_url}/api/v2/silences")
        assert isinstance(answer, list)
        return answer

    def stop(self) -> None:
        if self.exporter is not None:
            self.exporter.stop()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # by PID: only what we started
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


REDIS_EXPORTER = "/usr/bin/prometheus-redis-exporter"


class RedisExporter:
    """Debian's prometheus-redis-exporter against a Redis of the test stack, on loopback."""

    def __init__(self, redis_url: str, root: Path) -> None:
        self.port = free_port()
        self.log = root / f"redis-exporter-{self.port}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    REDIS_EXPORTER,
                    f"--redis.addr={redis_url}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--include-system-metrics",
                    "--ping-on-connect",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_until("redis exporter", self._serving, 30, 0.1)

    def _serving(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # by PID: only what we started
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
