"""Finding the config (k9s/Dolphie style), the starting file, and `config --check`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import config as shipped_files
from console import config_files
from console.config import Config, ConfigError, env_vars, load_config

ROOT = Path(__file__).resolve().parent.parent
LAUNCH = '[launch]\nat = "2026-04-23T14:00:00Z"\n'


@pytest.fixture()
def places(tmp_path, monkeypatch):
    """A cwd, a user config dir and a system path of the test's own; nothing named."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(config_files.ENV_VAR, raising=False)
    monkeypatch.setattr(config_files, "SYSTEM_PATH", tmp_path / "etc" / "config.toml")
    user = tmp_path / "xdg" / "launch-console" / "config.toml"
    return {
        "cwd": cwd / "launch-console.toml",
        "user": user,
        "system": tmp_path / "etc" / "config.toml",
    }


def write(path: Path, name: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LAUNCH + f'name = "{name}"\n')
    return path


def test_search_order_first_found_wins(places, monkeypatch, tmp_path):
    for where in ("system", "user", "cwd"):
        write(places[where], where)
        assert load_config(config_files.locate(None)).launch.name == where
    named = write(tmp_path / "named.toml", "env")
    monkeypatch.setenv(config_files.ENV_VAR, str(named))
    assert config_files.locate(None) == named
    given = write(tmp_path / "given.toml", "given")
    assert config_files.locate(str(given)) == given


def test_user_config_dir_is_platformdirs(places):
    assert config_files.user_config_path() == places["user"]


def test_shipped_names(places, monkeypatch):
    assert config_files.locate("buywhere-us") == shipped_files.shipped("buywhere-us.toml")
    assert config_files.locate("demo.toml") == shipped_files.shipped("demo.toml")
    monkeypatch.setenv(config_files.ENV_VAR, "demo")
    assert config_files.locate(None) == shipped_files.shipped("demo.toml")


def test_a_named_file_that_is_missing_says_so(places):
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file \(given with --config"):
        config_files.locate("nope.toml")


def test_nothing_found_lists_every_place_looked_at(places):
    with pytest.raises(config_files.ConfigNotFound) as caught:
        config_files.locate(None)
    message = str(caught.value)
    for path in places.values():
        assert str(path) in message
    assert "$LAUNCH_CONSOLE_CONFIG" in message and "--config" in message


def test_every_missing_env_var_named_at_once(tmp_path, monkeypatch):
    for name in ("PGBOUNCER_ADMIN_DSN", "CATALOG_DSN", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as caught:
        load_config(shipped_files.shipped(shipped_files.BUYWHERE_US))
    message = str(caught.value)
    assert "3 environment variables are not set" in message
    for name, key in (
        ("PGBOUNCER_ADMIN_DSN", "pgbouncer.admin_dsn"),
        ("CATALOG_DSN", "postgres.dsn"),
        ("REDIS_URL", "redis.url"),
    ):
        assert f"{name} (for '{key}')" in message


def test_readme_names_every_env_var_the_shipped_configs_need():
    readme = (ROOT / "README.md").read_text()
    for name in shipped_files.names():
        raw = tomllib.loads(shipped_files.shipped(f"{name}.toml").read_text())
        for var in env_vars(raw):
            assert f"`{var}`" in readme, f"README does not name {var} ({name}.toml needs it)"


def test_default_file_is_every_default(monkeypatch):
    """`config --print-default` shows the runbook's values: loaded, it equals the defaults."""
    defaults = Config(launch={"at": "2026-04-23T14:00:00Z"})
    monkeypatch.setenv("PGBOUNCER_ADMIN_DSN", defaults.pgbouncer.admin_dsn.get_secret_value())
    monkeypatch.setenv("CATALOG_DSN", defaults.postgres.dsn.get_secret_value())
    monkeypatch.setenv("REDIS_URL", defaults.redis.url.get_secret_value())
    loaded = load_config(shipped_files.shipped(shipped_files.DEFAULT))
    assert loaded.model_dump() == defaults.model_dump()
    assert (
        loaded.pgbouncer.admin_dsn.get_secret_value()
        == defaults.pgbouncer.admin_dsn.get_secret_value()
    )


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def test_print_default_then_check_it(tmp_path):
    printed = cli("config", "--print-default")
    assert printed.returncode == 0
    assert printed.stdout == shipped_files.shipped("default.toml").read_text()
    path = tmp_path / "mine.toml"
    path.write_text(printed.stdout)
    env = {**os.environ, "PGBOUNCER_ADMIN_DSN": "x", "CATALOG_DSN": "y", "REDIS_URL": "z"}
    env.pop("DOCKER_HOST", None)
    env.pop("DOCKER_CONTEXT", None)
    checked = cli("config", "--check", str(path), env={**env, "DOCKER_CONFIG": str(tmp_path)})
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines() == [
        f"{path}: ok — BuyWhere US launch at 2026-04-23 14:00 UTC, 5 services, "
        "API https://api.buywhere.ai",
        "Docker engine: unix:///var/run/docker.sock (from the local socket)",
    ]
    missing = cli("config", "--check", str(path), env={**env, "DOCKER_CONTEXT": "nope"})
    assert missing.returncode == 78
    assert "docker context 'nope' ($DOCKER_CONTEXT) does not exist" in missing.stderr


def test_config_check_connects_to_nothing(tmp_path):
    """Every system in the file points at a socket of ours: `--check` must not knock on it."""
    with socket.socket() as trap:
        trap.bind(("127.0.0.1", 0))
        trap.listen(8)
        trap.setblocking(False)
        port = trap.getsockname()[1]
        path = tmp_path / "trap.toml"
        path.write_text(
            LAUNCH
            + f'[docker]\nurl = "tcp://127.0.0.1:{port}"\n'
            + f'[pgbouncer]\nadmin_dsn = "postgresql://pgbouncer@127.0.0.1:{port}/pgbouncer"\n'
            + f'[postgres]\ndsn = "postgresql://buywhere@127.0.0.1:{port}/catalog"\n'
            + f'[redis]\nurl = "redis://127.0.0.1:{port}/0"\n'
            + f'[api]\nbase_url = "http://127.0.0.1:{port}"\n'
        )
        result = cli("config", "--check", str(path))
        assert result.returncode == 0, result.stderr
        with pytest.raises(BlockingIOError):
            trap.accept()


def test_config_check_of_a_bad_file_is_exit_78_naming_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(LAUNCH + '[poll]\nredis = { interval = "soon", timeout = "1s" }\n')
    result = cli("config", "--check", str(path))
    assert result.returncode == 78
    assert re.search(r"bad\.toml: key 'poll\.redis\.interval'", result.stderr)
    assert "Traceback" not in result.stderr


def test_config_shows_where_it_looks(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    env.pop(config_files.ENV_VAR, None)
    write(tmp_path / "launch-console.toml", "here")
    result = cli("config", env=env, cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert any(str(tmp_path / "launch-console.toml") in line and "found" in line for line in lines)
    assert any(str(tmp_path / "xdg/launch-console/config.toml") in line for line in lines)
    assert lines[-1] == f"In use: {tmp_path / 'launch-console.toml'}"
