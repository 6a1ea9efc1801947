"""Reaching the Docker engine as the docker CLI does: ssh:// through a real sshd on loopback
(Debian's openssh-server, key auth, started here and stopped by PID), docker contexts, and a
remote engine's effect on the host readings and the disk clean-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stack import free_port, wait_until

SSHD = "/usr/sbin/sshd"


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
    d = tmp_path_factory.mktemp("sshd")
    for key in ("host", "client"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True
        )
    (d / "authorized_keys").write_text((d / "client.pub").read_text())
    port = free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\n"
        f"AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        f"StrictModes no\nPidFile {d}/sshd.pid\n"
        # `docker system dial-stdio` on the far side talks to the stack's engine.
        f"SetEnv DOCKER_HOST=unix://{stack.docker_sock}\n"
    )
    # sshd's privilege separation dir; the Debian service makes it at start (it is not ours
    # to remove: another sshd may be using it).
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    with open(d / "sshd.log", "wb") as log:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(d / "sshd_config")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until("sshd", lambda: b"Server listening" in (d / "sshd.log").read_bytes(), 15)
        home = d / "home"
        (home / ".ssh").mkdir(parents=True)
        host_key = " ".join((d / "host.pub").read_text().split()[:2])
        (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key}\n")
        # The port goes in the URL: docker-py fills in 22 before ~/.ssh/config is read.
        (home / ".ssh" / "config").write_text(
            f"Host launch-host\n  HostName 127.0.0.1\n  User root\n  IdentityFile {d}/client\n"
        )
        yield port, home
    finally:
        proc.send_signal(signal.SIGTERM)  # by PID: only the sshd we started
        proc.wait(timeout=10)


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
