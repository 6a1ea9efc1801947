"""The Docker engine: the runbook's `docker ps` and `docker stats`, at any container count.

- Containers: the configured services and the scraper, plus every container of the same
  compose project (label com.docker.compose.project); state, health, exit code, restarts,
  uptime, CPU and memory.
- One list call per poll carries what most polls need (state, health and exit code are in its
  Status text). A container is inspected only when it is new or its state changed (seen in the
  list, or in the engine's event stream between polls): for its start time, restarts, failing
  streak and, for the API container, the environment. Nothing per container per poll costs an
  engine call, so a poll stays well inside its timeout at hundreds of containers.
- CPU and memory: the containers' cgroup files when the engine is on this host, otherwise a
  bounded number of engine stats streams (see `console.sources.docker_stats`).
- The API container's environment checked for runbook 1.2 (USD_DEFAULT, US_REGION).

docker-py is blocking: its calls run in this source's own bounded thread pool. A one-shot
source (`follow=False`, for `check`) starts no thread of its own and inspects only the API.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import docker
from docker.errors import DockerException, NotFound

from console.clock import Clock
from console.config import Config
from console.engine import resolve as resolve_engine
from console.readings import Container, ContainersReading
from console.sources.base import Blocking, describe
from console.sources.docker_events import PROJECT_LABEL, EngineEvents
from console.sources.docker_stats import (
    CgroupStats,
    StreamStats,
    Usage,
    cpu_percent,
    memory_used,
)

__all__ = ["DockerSource", "cpu_percent", "docker_client", "memory_used", "parse_time"]

# Only these API variables are read out of the container's environment: never the secrets
# (DSNs, keys) that sit beside them.
ENV_KEYS = ("USD_DEFAULT", "US_REGION")
# Inspections per poll: a whole project that appears at once (the first poll, a redeploy) is
# inspected over a few polls rather than in one that would outlast its timeout. Until then a
# container shows what the list says (state, health, exit code) without its uptime.
MAX_INSPECT = 64
OUTSIDE_REFRESH = 30.0  # seconds: the list by name is taken at least this often


def docker_client(config: Config) -> docker.DockerClient:
    timeout = int(max(1, config.docker.timeout))
    # [docker] url, $DOCKER_HOST, the docker context, the local socket (console.engine); ssh://
    # through paramiko. Room in the connection pool for the stats streams and the events.
    engine = resolve_engine(config.docker.url)
    return docker.DockerClient(**engine.kwargs, version="auto", timeout=timeout, max_pool_size=16)


def parse_time(text: str | None) -> float | None:
    """Docker's RFC 3339 with nanoseconds -> epoch seconds; None for the zero time."""
    if not text or text.startswith("0001-"):
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    zone = "+00:00"
    for sign in ("+", "-"):
        if sign in frac:
            frac, _, tz = frac.partition(sign)
            zone = sign + tz
    base = datetime.fromisoformat(head + zone)
    return base.timestamp() + (float("0." + frac) if frac else 0.0)


_EXIT = re.compile(r"^(?:Exited|Restarting) \((-?\d+)\)")
_UP_SECONDS = re.compile(r"^Up (?:Less than a second|(\d+) seconds?)")


def parse_status(status: str) -> tuple[str | None, int | None]:
    """(health, exit code) from the list's Status text: 'Up 2 minutes (unhealthy)',
    'Up 3 seconds (health: starting)', 'Exited (3) 5 minutes ago'."""
    health = None
    if status.startswith("Up "):
        if status.endswith("(healthy)"):
            health = "healthy"
        elif status.endswith("(unhealthy)"):
            health = "unhealthy"
        elif status.endswith("(health: starting)"):
            health = "starting"
    match = _EXIT.match(status)
    return health, int(match.group(1)) if match else None


def up_under_a_minute(status: str) -> bool:
    return _UP_SECONDS.match(status) is not None


@dataclass(slots=True)
class Known:
    """What the last inspection of a container said, and the list signature it was taken at."""

    signature: tuple[str, str | None, int | None]
    started_at: float | None = None
    restarts: int = 0
    failing_streak: int = 0
    exit_code: int | None = None
    env: dict[str, str] | None = None
    pid: int = 0


@dataclass(slots=True)
class Listed:
    id: str
    name: str
    state: str
    status: str
    health: str | None
    exit_code: int | None
    fresh: bool = True  # listed in this poll (not kept from an earlier one: its Status is old)
    signature: tuple[str, str | None, int | None] = field(init=False)

    def __post_init__(self) -> None:
        self.signature = (self.state, self.health, self.exit_code)


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


class DockerSource:
    name = "containers"
    reading_type = ContainersReading

    def __init__(self, config: Config, clock: Clock, *, follow: bool = True) -> None:
        self.config = config
        self.clock = clock
        self.follow = follow
        self.blocking = Blocking(self.name, workers=4)
        self._client: docker.DockerClient | None = None
        self._known: dict[str, Known] = {}
        self.wanted = {*config.docker.services, config.docker.api, config.docker.scraper}
        self._priority = list(
            dict.fromkeys([config.docker.api, *config.docker.services, config.docker.scraper])
        )
        self.cgroups = CgroupStats()
        self.streams = StreamStats(lambda: self._get_client().api)
        self.events = EngineEvents(
            lambda: self._get_client().api, config.docker.compose_project, self.wanted
        )
        self._no_cgroup: set[str] = set()
        self._names: dict[str, str] = {}  # id -> name, as of the last list
        self._learned: deque[tuple[Listed, Known]] = deque()  # appended by the pool's threads
        self._outside: dict[str, dict[str, Any]] = {}
        self._outside_at = -math.inf
        self.inspections = 0  # engine inspect calls so far (the benchmark reports them)

    def set_waker(self, wake: Callable[[], None]) -> None:
        """The poller's hook: called (from the events thread) when a container changed."""
        self.events.on_change = wake

    def _get_client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = docker_client(self.config)
        return self._client

    # --- the engine calls (in the pool's threads) ---------------------------------------------

    def _list(self, changed: set[str]) -> list[Listed]:
        api = self._get_client().api
        project = self.config.docker.compose_project
        found = {
            c["Id"]: c
            for c in api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
        }
        # The configured containers outside the project (the scraper, often) need a list by
        # name. While the event stream runs it says when one of them changed (an id it names
        # that the project list lacks), so that list is taken only then, or every 30 s.
        stale = time.monotonic() - self._outside_at > OUTSIDE_REFRESH
        if stale or not self.events.connected or changed - found.keys():
            names = [f"^/{re.escape(n)}$" for n in sorted(self.wanted)]
            self._outside = {
                c["Id"]: c
                for c in api.containers(all=True, filters={"name": names})
                if c["Id"] not in found
            }
            self._outside_at = time.monotonic()
            fresh = set(self._outside)
        else:
            fresh = set()
        out = []
        for cid, c in [*found.items(), *self._outside.items()]:
            if cid in found and c is not found[cid]:
                continue  # joined the project since: the project list has it
            names_of = [n.lstrip("/") for n in c.get("Names") or []]
            name = names_of[0] if names_of else cid[:12]
            status = c.get("Status") or ""
            health, exit_code = parse_status(status)
            state = c.get("State") or "unknown"
            if state == "running":
                exit_code = None
            out.append(
                Listed(cid, name, state, status, health, exit_code, cid in found or cid in fresh)
            )
        return out

    def _inspect(self, listed: Listed) -> Known | None:
        try:
            info = self._get_client().api.inspect_container(listed.id)
        except NotFound:
            return None  # removed since the list: the next list will not show it
        self.inspections += 1
        state = info.get("State") or {}
        status = state.get("Status", "unknown")
        health = state.get("Health") if status == "running" else None  # stopped keeps old health
        name = (info.get("Name") or "").lstrip("/")
        known = Known(
            signature=listed.signature,
            started_at=parse_time(state.get("StartedAt")),
            restarts=int(info.get("RestartCount", 0)),
            failing_streak=int(health.get("FailingStreak", 0)) if health else 0,
            exit_code=None if status == "running" else state.get("ExitCode"),
            env=self._env(info) if name == self.config.docker.api else None,
            pid=int(state.get("Pid") or 0),
        )
        # Kept even if the poll that asked is cancelled at its timeout: a slow engine still
        # makes progress from one poll to the next instead of starting over.
        self._learned.append((listed, known))
        return known

    def _usage(self, running: list[str]) -> dict[str, Usage]:
        usage = self.cgroups.sample(running)
        # Streams only for containers whose cgroup files we found we cannot read (a remote
        # engine); one not inspected yet waits for its inspection instead.
        rest = [cid for cid in running if cid in self._no_cgroup]
        if rest:
            # The configured containers get a stream of their own first, the API's first of all
            # (its CPU is a runbook check), then the services in their order, the scraper last.
            rank = {n: i for i, n in enumerate(self._priority)}
            priority = sorted(
                (cid for cid in rest if self._names.get(cid) in rank),
                key=lambda cid: rank[self._names[cid]],
            )
            self.streams.follow(rest, priority)
            usage.update(self.streams.sample(rest))
        return usage

    # --- one poll -----------------------------------------------------------------------------

    async def read(self) -> ContainersReading:
        now = self.clock.now()
        changed = self.events.take()
        try:
            listed = await self.blocking.run(self._list, changed)
            if self.follow:
                self.events.start()
            await self._inspect_changed(listed, now, changed)
            running = [c.id for c in listed if c.state == "running"]
            self._names = {c.id: c.name for c in listed}
            usage = await self.blocking.run(self._usage, running) if self.follow else {}
        except (DockerException, OSError) as exc:
            self.events.again(changed)
            self._client = None  # rebuild the client next time
            return ContainersReading.failed(self.name, now, describe(exc))
        except BaseException:  # cancelled at the poll's timeout: the next poll inspects them
            self.events.again(changed)
            raise
        containers = [self._container(c, usage.get(c.id)) for c in listed]
        names = {c.name for c in containers}
        for missing in self.config.docker.services:
            if missing not in names:
                containers.append(Container(name=missing, state="missing"))
        order = {n: i for i, n in enumerate(self.config.docker.services)}
        containers.sort(key=lambda c: (order.get(c.name, len(order)), c.name))
        api = next((c for c in listed if c.name == self.config.docker.api), None)
        known_api = self._known.get(api.id) if api else None
        return ContainersReading(
            source=self.name,
            at=now,
            containers=tuple(containers),
            api=self.config.docker.api,
            api_env=known_api.env if known_api else None,
        )

    async def _inspect_changed(self, listed: list[Listed], now: float, changed: set[str]) -> None:
        self._absorb()
        present = {c.id for c in listed}
        for gone in set(self._known) - present:
            del self._known[gone]
            self.cgroups.forget(gone)
            self._no_cgroup.discard(gone)
        todo = []
        for c in listed:
            known = self._known.get(c.id)
            if not self.follow and c.name != self.config.docker.api:
                continue  # `check` needs no more than the list, and the API's environment
            if (
                known is None
                or known.signature != c.signature
                or c.id in changed
                or (  # restarted between two polls and back in the same state
                    c.state == "running"
                    and c.fresh
                    and known.started_at is not None
                    and up_under_a_minute(c.status)
                    and now - known.started_at > 90
                )
            ):
                todo.append(c)
        # Configured containers and changed ones before the many extras of a first poll.
        todo.sort(key=lambda c: (c.name not in self.wanted, c.id not in changed))
        todo = todo[:MAX_INSPECT]
        await asyncio.gather(*(self.blocking.run(self._inspect, c) for c in todo))
        self._absorb()

    def _absorb(self) -> None:
        """What the inspections (in the pool's threads) learned, into what we know."""
        while self._learned:
            c, known = self._learned.popleft()
            self._known[c.id] = known
            if self.follow and c.state == "running" and known.pid:
                if self.cgroups.watch(c.id, known.pid):
                    self._no_cgroup.discard(c.id)
                else:
                    self._no_cgroup.add(c.id)
            elif c.state != "running":
                self.cgroups.forget(c.id)
                self._no_cgroup.discard(c.id)

    def _container(self, c: Listed, usage: Usage | None) -> Container:
        known = self._known.get(c.id)
        running = c.state == "running"
        return Container(
            name=c.name,
            state=c.state,
            health=c.health if running else None,
            failing_streak=known.failing_streak if known else 0,
            exit_code=None if running else _first(c.exit_code, known.exit_code if known else None),
            restarts=known.restarts if known else 0,
            started_at=known.started_at if known else None,
            cpu_pct=usage.cpu_pct if usage else None,
            mem_bytes=usage.mem_bytes if usage else None,
            mem_limit=usage.mem_limit if usage else None,
            expected=c.name in self.config.docker.services or c.name == self.config.docker.scraper,
        )

    @staticmethod
    def _env(info: dict[str, Any]) -> dict[str, str]:
        env = {}
        for item in (info.get("Config") or {}).get("Env") or []:
            key, _, value = item.partition("=")
            if key in ENV_KEYS:
                env[key] = value
        return env

    async def close(self) -> None:
        self.events.close()
        self.streams.close()
        if self._client is not None:
            client, self._client = self._client, None
            await self.blocking.run(client.close)
        self.blocking.close()
