"""Where the Docker engine is, found as the docker CLI finds it, and whether it is this machine.

Order: `[docker] url`, else $DOCKER_HOST (with $DOCKER_TLS_VERIFY / $DOCKER_CERT_PATH), else the
docker context ($DOCKER_CONTEXT, else `currentContext` in ~/.docker/config.json, as
`docker context use` sets it), else the local socket. `ssh://user@host` engines go through
paramiko (docker[ssh]): one SSH connection, a channel per Docker API connection, the user's
~/.ssh/config, keys and known_hosts (an unknown host key is refused, never accepted blindly).

An engine on another machine changes what the host pane means: disk, swap and backups are read
where the console runs. `Engine.remote` lets the host pane and `check` say which machine they
are from, and the disk clean-up refuse (it would delete files here and prune images there).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docker.tls import TLSConfig
from docker.utils import kwargs_from_env

LOCAL_SOCKET = "unix:///var/run/docker.sock"


@dataclass(frozen=True, slots=True)
class Engine:
    url: str
    found: str  # where the address came from, for messages: "[docker] url", "$DOCKER_HOST", ...
    kwargs: dict[str, Any] = field(default_factory=dict)  # base_url, tls: for DockerClient

    @property
    def host(self) -> str:
        """The engine's machine as the URL names it ('' for a local socket)."""
        parts = urlsplit(self.url)
        return parts.hostname or "" if parts.scheme in ("ssh", "tcp", "http", "https") else ""

    @property
    def remote(self) -> bool:
        """On another machine: any network address but this machine's loopback."""
        host = self.host
        if not host:
            return False
        if host == "localhost":
            return False
        try:
            return not ipaddress.ip_address(host).is_loopback
        except ValueError:
            return True  # a name: another machine (ssh to this one goes by 127.0.0.1)

    def describe(self) -> str:
        return f"{self.url} (from {self.found})"


def this_machine() -> str:
    return socket.gethostname()


def resolve(url: str = "", environ: Mapping[str, str] | None = None) -> Engine:
    env = os.environ if environ is None else environ
    if url:
        return Engine(url, "[docker] url", {"base_url": url})
    from_env = kwargs_from_env(environment=env)
    if "base_url" in from_env:
        return Engine(from_env["base_url"], "$DOCKER_HOST", from_env)
    config_dir = Path(env.get("DOCKER_CONFIG") or Path.home() / ".docker")
    name = env.get("DOCKER_CONTEXT") or _current_context(config_dir)
    if name and name != "default":
        how = "$DOCKER_CONTEXT" if env.get("DOCKER_CONTEXT") else "the current docker context"
        kwargs = _context(config_dir, name, how)
        if kwargs:
            return Engine(kwargs["base_url"], f"docker context {name} ({how})", kwargs)
    return Engine(LOCAL_SOCKET, "the local socket", {"base_url": LOCAL_SOCKET})


# The docker CLI's context store, read here: docker-py's own reader looks for it only beside an
# existing config.json, which `docker context create` does not write.


def _current_context(config_dir: Path) -> str:
    try:
        return json.loads((config_dir / "config.json").read_text()).get("currentContext", "")
    except (OSError, ValueError, AttributeError):
        return ""


def _context(config_dir: Path, name: str, how: str) -> dict[str, Any]:
    """base_url (and tls) of a named context; {} when it names no engine (the default)."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest / "meta.json"
    try:
        endpoint = json.loads(meta.read_text())["Endpoints"]["docker"]
    except FileNotFoundError:
        raise ValueError(f"docker context {name!r} ({how}) does not exist") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"docker context {name!r} ({how}): unreadable {meta}: {exc}") from None
    host = endpoint.get("Host") or ""
    if not host:
        return {}
    kwargs: dict[str, Any] = {"base_url": host}
    tls = config_dir / "contexts" / "tls" / digest / "docker"
    if tls.is_dir():
        cert, key, ca = (tls / n for n in ("cert.pem", "key.pem", "ca.pem"))
        kwargs["tls"] = TLSConfig(
            client_cert=(str(cert), str(key)) if cert.exists() else None,
            ca_cert=str(ca) if ca.exists() else None,
            verify=not endpoint.get("SkipTLSVerify", False),
        )
    return kwargs


def engines(docker: Any) -> list[Engine]:
    """Every engine a `[docker]` table names: its `engines`, else the one `url` resolves to."""
    if docker.engines:
        return [
            Engine(e.url, f"[docker] engines {e.name}", {"base_url": e.url}) for e in docker.engines
        ]
    return [resolve(docker.url)]


def remote_engines(docker: Any) -> list[Engine]:
    return [e for e in engines(docker) if e.remote]


def elsewhere(docker: Any) -> str:
    """'' when every engine is on this machine; else what the host pane and `check` add to say
    whose disk, swap and backups they read: 'on console-box (the Docker engine is on db-1)'."""
    remote = remote_engines(docker)
    if not remote:
        return ""
    hosts = ", ".join(sorted({e.host for e in remote}))
    what = "the Docker engine is" if len(remote) == 1 else "Docker engines are"
    return f"on {this_machine()} ({what} on {hosts})"
