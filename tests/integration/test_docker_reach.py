"""Reaching the Docker engine as the docker CLI does: ssh:// through a real sshd on loopback
(Debian's openssh-server, key auth, started here and stopped by PID), docker contexts, and a
remote engine's effect on the host readings and the disk clean-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sshd import sshd as start_sshd


def stack_toml(stack, backups: Path, url: str) -> str:
    text = stack.config_toml(backups)
    text = text.replace(f'url = "unix://{stack.docker_sock}"', f'url = "{url}"\ntimeout = "30s"')
    # The first poll over SSH includes the handshake (paramiko, pure Python: seconds on a
    # loaded machine). A generous budget: this tests reach, not speed.
    return text + '[poll]\ncontainers = { interval = "2s", timeout = "60s" }\n'


@pytest.fixture(scope="module")
def sshd(stack, tmp_path_factory):
    """An sshd on 127.0.0.1 whose sessions see the test stack's engine as their DOCKER_HOST,
    and a HOME whose ~/.ssh knows it as `launch-host` (key, known host key)."""
    # `docker system dial-stdio` on the far side talks to the stack's engine.
    setenv = f"SetEnv DOCKER_HOST=unix://{stack.docker_sock}\n"
    with start_sshd(tmp_path_factory.mktemp("sshd"), setenv) as server:
        yield server.port, server.home


def check(config: Path, env: dict[str, str]) -> tuple[int, dict[str, dict], str]:
    result = subprocess.run(
        [sys.executable, "-m", "console", "check", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    checks = json.loads(result.stdout)["checks"] if result.stdout else []
    return result.returncode, {c["id"]: c for c in checks}, result.stderr


def test_an_ssh_engine_is_read_and_the_host_says_whose_disk(stack, sshd, backups, tmp_path):
    port, home = sshd
    config = tmp_path / "ssh.toml"
    config.write_text(stack_toml(stack, backups, f"ssh://launch-host:{port}"))
    code, checks, stderr = check(config, {"HOME": str(home)})
    # The engine answered over SSH: the same verdict as on its socket (MCP is unhealthy).
    assert "api-mcp-1 unhealthy" in checks["containers.running"]["value"], (checks, stderr)
    assert checks["api.env"]["level"] == "ok"
    # Disk, swap and backups are read here, not on launch-host: every value says so.
    here = os.uname().nodename
    for check_id in ("host.disk", "host.swap", "db.backup_age"):
        value = checks[check_id]["value"]
        assert value.endswith(f"on {here} (the Docker engine is on launch-host)"), value
    assert code == 2


def test_an_unknown_ssh_host_key_is_refused(stack, sshd, backups, tmp_path):
    port, home = sshd
    stranger = tmp_path / "home"
    (stranger / ".ssh").mkdir(parents=True)
    (stranger / ".ssh" / "config").write_text((home / ".ssh" / "config").read_text())
    config = tmp_path / "ssh.toml"
    config.write_text(stack_toml(stack, backups, f"ssh://launch-host:{port}"))
    _, checks, _ = check(config, {"HOME": str(stranger)})
    value = checks["containers.running"]["value"]
    assert checks["containers.running"]["level"] != "ok"
    assert "not found in known_hosts" in value, value


def test_docker_context_and_the_current_context_are_honoured(stack, backups, tmp_path):
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    env = {"DOCKER_CONFIG": str(docker_config), "HOME": str(tmp_path)}
    env_cli = {**os.environ, **env}
    env_cli.pop("DOCKER_HOST", None)
    subprocess.run(
        ["docker", "context", "create", "lc-stack", "--docker", f"host=unix://{stack.docker_sock}"],
        check=True,
        capture_output=True,
        env=env_cli,
    )
    config = tmp_path / "context.toml"
    config.write_text(stack_toml(stack, backups, ""))
    env = {**env, "DOCKER_HOST": ""}
    _, checks, stderr = check(config, {**env, "DOCKER_CONTEXT": "lc-stack"})
    assert "api-mcp-1 unhealthy" in checks["containers.running"]["value"], stderr
    # `docker context use` (currentContext in config.json), no variable.
    subprocess.run(
        ["docker", "context", "use", "lc-stack"], check=True, capture_output=True, env=env_cli
    )
    _, checks, stderr = check(config, env)
    assert "api-mcp-1 unhealthy" in checks["containers.running"]["value"], stderr
    # A context that does not exist is a config error naming it, not a silent local socket.
    code, _, stderr = check(config, {**env, "DOCKER_CONTEXT": "nope"})
    assert code == 78 and "docker context 'nope' ($DOCKER_CONTEXT) does not exist" in stderr
