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

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from docker.constants import DEFAULT_UNIX_SOCKET
from docker.context import ContextAPI
from docker.context.config import get_current_context_name
from docker.utils import kwargs_from_env


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
    name = env.get("DOCKER_CONTEXT") or get_current_context_name()
    if name and name != "default":
        context = ContextAPI.kwargs_from_context(name, environment=env)
        if "base_url" in context:
            how = "$DOCKER_CONTEXT" if env.get("DOCKER_CONTEXT") else "the current context"
            return Engine(context["base_url"], f"docker context {name} ({how})", context)
    return Engine(DEFAULT_UNIX_SOCKET, "the local socket", {"base_url": DEFAULT_UNIX_SOCKET})
