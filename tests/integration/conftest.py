"""The real test stack, started once for the integration tests and stopped by PID afterwards."""

from pathlib import Path

import pytest

from console.clock import SystemClock
from console.config import Config, load_config
from tests.stack import Stack


@pytest.fixture(scope="session")
def stack():
    started = Stack().start()
    yield started
    started.stop()


@pytest.fixture()
def backups(tmp_path) -> Path:
    path = tmp_path / "workspace" / "backups"
    path.mkdir(parents=True)
    (path / "catalog-2026-04-23.sql.gz").write_bytes(b"backup")
    return path


@pytest.fixture()
def make_config(stack, tmp_path, backups):
    def make(extra: str = "", disk_path: str = "/") -> Config:
        path = tmp_path / "stack.toml"
        path.write_text(stack.config_toml(backups, disk_path) + extra)
        return load_config(path)

    return make


@pytest.fixture()
def config(make_config) -> Config:
    return make_config()


@pytest.fixture()
def clock():
    return SystemClock()


@pytest.fixture(scope="session")
def prom():
    """Prometheus scraping an exporter the tests drive, and an Alertmanager (started once)."""
    from tests.stack.prometheus import PromStack

    started = PromStack().start()
    yield started
    started.stop()
