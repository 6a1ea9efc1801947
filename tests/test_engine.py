"""Where the Docker engine is (console.engine), and what a remote one changes."""

from __future__ import annotations

import pytest

from console.config import parse_config
from console.control.live import LiveControl, RemoteEngine
from console.engine import elsewhere, resolve, this_machine
from console.kinds.host import findings as host_findings
from console.kinds.host import rows as host_rows
from console.readings import HostReading


@pytest.fixture()
def no_docker_env(monkeypatch, tmp_path):
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))  # no current context


def test_order_config_url_then_docker_host_then_local(no_docker_env, monkeypatch):
    assert resolve("").url == "unix:///var/run/docker.sock"
    assert resolve("").found == "the local socket"
    monkeypatch.setenv("DOCKER_HOST", "ssh://bolt@launch-host")
    assert (resolve("").url, resolve("").found) == ("ssh://bolt@launch-host", "$DOCKER_HOST")
    engine = resolve("unix:///run/other.sock")
    assert (engine.url, engine.found) == ("unix:///run/other.sock", "[docker] url")


def test_a_missing_context_is_an_error(no_docker_env, monkeypatch):
    monkeypatch.setenv("DOCKER_CONTEXT", "nope")
    with pytest.raises(ValueError, match=r"docker context 'nope' \(\$DOCKER_CONTEXT\)"):
        resolve("")


@pytest.mark.parametrize(
    ("url", "remote", "host"),
    [
        ("unix:///var/run/docker.sock", False, ""),
        ("ssh://root@127.0.0.1:2222", False, "127.0.0.1"),
        ("tcp://localhost:2375", False, "localhost"),
        ("tcp://[::1]:2375", False, "::1"),
        ("ssh://bolt@launch-host", True, "launch-host"),
        ("tcp://10.0.0.7:2376", True, "10.0.0.7"),
    ],
)
def test_remote_is_any_machine_but_this_ones_loopback(url, remote, host):
    engine = resolve(url)
    assert (engine.remote, engine.host) == (remote, host)


def remote_config():
    return parse_config(
        {"launch": {"at": "2026-04-23T14:00:00Z"}, "docker": {"url": "ssh://bolt@launch-host"}},
        "remote.toml",
    )


def test_host_readings_say_whose_disk_they_are():
    note = elsewhere(remote_config().docker)
    assert note == f"on {this_machine()} (the Docker engine is on launch-host)"
    local = parse_config(
        {"launch": {"at": "2026-04-23T14:00:00Z"}, "docker": {"url": "unix:///var/run/d.sock"}},
        "local.toml",
    )
    assert elsewhere(local.docker) == ""
    fleet = parse_config(
        {
            "launch": {"at": "2026-04-23T14:00:00Z"},
            "docker": {
                "engines": [
                    {"name": "here", "url": "unix:///var/run/docker.sock"},
                    {"name": "db", "url": "ssh://bolt@db-1"},
                    {"name": "api", "url": "tcp://api-2:2376"},
                ]
            },
        },
        "fleet.toml",
    )
    assert elsewhere(fleet.docker) == f"on {this_machine()} (Docker engines are on api-2, db-1)"
    reading = HostReading(
        source="host",
        at=0.0,
        disk_used=50,
        disk_total=100,
        swap_used=0,
        swap_total=0,
        newest_backup_age_s=60.0,
        machine=note,
    )
    findings = host_findings(reading, remote_config())
    assert findings[0].value == f"50.0% {note}"
    rows = host_rows(reading, findings)
    assert rows[0] == ("read", note, None)


async def test_the_disk_cleanup_refuses_a_remote_engine():
    control = LiveControl(remote_config())
    try:
        with pytest.raises(
            RemoteEngine,
            match=r"the Docker engine is on launch-host .*"
            rf"on {this_machine()}: run launch-console on launch-host",
        ):
            await control.cleanup_preview()
    finally:
        await control.close()
