"""The Docker engine: the runbook's `docker ps` and `docker stats`, without their 2-second cost.

- Containers: the configured services and the scraper, plus every container of the same
  compose project (label com.docker.compose.project); state, health and failing streak, exit
  code, restarts, uptime.
- CPU % from our own previous sample: `stats(one_shot=True)` is fast but leaves precpu empty.
- Memory: usage minus inactive file cache (what `docker stats` shows).
- The API container's environment checked for runbook 1.2 (USD_DEFAULT, US_REGION).
docker-py is blocking: its calls run in this source's own bounded thread pool.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import docker
from docker.errors import DockerException, NotFound

from console.clock import Clock
from console.config import Config
from console.readings import Container, ContainersReading
from console.sources.base import Blocking, describe
from console.sources.docker_stats import StatsFeed

# Only these API variables are read out of the container's environment: never the secrets
# (DSNs, keys) that sit beside them.
ENV_KEYS = ("USD_DEFAULT", "US_REGION")


def docker_client(config: Config) -> docker.DockerClient:
    timeout = int(max(1, config.docker.timeout))
    if config.docker.url:
        return docker.DockerClient(
            base_url=config.docker.url, version="auto", timeout=timeout, max_pool_size=80
        )
    # Room in the connection pool for the stats streams beside the ordinary calls.
    return docker.from_env(version="auto", timeout=timeout, max_pool_size=80)


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


def cpu_percent(
    stats: dict[str, Any], previous: tuple[int, int] | None
) -> tuple[float | None, tuple[int, int] | None]:
    cpu = stats.get("cpu_stats") or {}
    total = (cpu.get("cpu_usage") or {}).get("total_usage")
    system = cpu.get("system_cpu_usage")
    if total is None or system is None:
        return None, previous
    sample = (int(total), int(system))
    pre = stats.get("precpu_stats") or {}
    pre_total = (pre.get("cpu_usage") or {}).get("total_usage")
    if pre_total is not None and pre.get("system_cpu_usage"):
        # A streamed sample carries the previous one: no need for ours.
        previous = (int(pre_total), int(pre["system_cpu_usage"]))
    if previous is None or sample[1] <= previous[1]:
        return None, sample
    cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or [1])
    pct = (sample[0] - previous[0]) / (sample[1] - previous[1]) * cpus * 100.0
    return max(0.0, pct), sample


def memory_used(stats: dict[str, Any]) -> tuple[int | None, int | None]:
    mem = stats.get("memory_stats") or {}
    usage = mem.get("usage")
    if usage is None:
        return None, None
    detail = mem.get("stats") or {}
    inactive = detail.get("inactive_file", detail.get("total_inactive_file", 0))
    return int(usage) - int(inactive), mem.get("limit")


class DockerSource:
    name = "containers"
    reading_type = ContainersReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.blocking = Blocking(self.name, workers=4)
        self._client: docker.DockerClient | None = None
        self._cpu: dict[str, tuple[int, int]] = {}
        self.feed = StatsFeed(lambda: self._get_client().api)

    def _get_client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = docker_client(self.config)
        return self._client

    def _summaries(self) -> list[dict[str, Any]]:
        api = self._get_client().api
        wanted = {*self.config.docker.services, self.config.docker.api, self.config.docker.scraper}
        project = self.config.docker.compose_project
        found = {}
        for c in api.containers(all=True):
            names = [n.lstrip("/") for n in c.get("Names") or []]
            in_project = (c.get("Labels") or {}).get("com.docker.compose.project") == project
            if in_project or wanted.intersection(names):
                found[c["Id"]] = {**c, "name": names[0] if names else c["Id"][:12]}
        return list(found.values())

    def _inspect(self, cid: str) -> dict[str, Any]:
        return self._get_client().api.inspect_container(cid)

    def _stats(self, cid: str) -> dict[str, Any]:
        return self._get_client().api.stats(cid, stream=False, one_shot=True)

    async def read(self) -> ContainersReading:
        now = self.clock.now()
        try:
            summaries = await self.blocking.run(self._summaries)
            inspected = await asyncio.gather(
                *(self.blocking.run(self._inspect, c["Id"]) for c in summaries)
            )
            running = [c["Id"] for c in summaries if c.get("State") == "running"]
            self.feed.follow(running)
            # Streamed samples where there are; a one-shot call only for a container whose
            # stream has not delivered yet (the first poll after it started).
            streamed = {cid: self.feed.latest(cid) for cid in running}
            missing = [cid for cid, sample in streamed.items() if sample is None]
            fetched = await asyncio.gather(
                *(self.blocking.run(self._stats, cid) for cid in missing),
                return_exceptions=True,
            )
        except NotFound:
            return await self.read()  # a container vanished between list and inspect: again
        except (DockerException, OSError) as exc:
            self._client = None  # rebuild the client next time
            return ContainersReading.failed(self.name, now, describe(exc))
        stats_by_id = {cid: s for cid, s in streamed.items() if s is not None}
        stats_by_id.update(
            (cid, s) for cid, s in zip(missing, fetched, strict=True) if isinstance(s, dict)
        )
        containers = [self._container(i, stats_by_id.get(i["Id"])) for i in inspected]
        names = {c.name for c in containers}
        for missing in self.config.docker.services:
            if missing not in names:
                containers.append(Container(name=missing, state="missing"))
        order = {n: i for i, n in enumerate(self.config.docker.services)}
        containers.sort(key=lambda c: (order.get(c.name, len(order)), c.name))
        api = next((i for i in inspected if i["Name"].lstrip("/") == self.config.docker.api), None)
        return ContainersReading(
            source=self.name,
            at=now,
            containers=tuple(containers),
            api=self.config.docker.api,
            api_env=self._env(api) if api else None,
        )

    def _container(self, info: dict[str, Any], stats: dict[str, Any] | None) -> Container:
        name = info["Name"].lstrip("/")
        state = info.get("State") or {}
        status = state.get("Status", "unknown")
        health = state.get("Health") if status == "running" else None  # stopped keeps old health
        cpu = mem = limit = None
        if stats is not None:
            cpu, self._cpu[info["Id"]] = cpu_percent(stats, self._cpu.get(info["Id"]))
            mem, limit = memory_used(stats)
        return Container(
            name=name,
            state=status,
            health=health.get("Status") if health else None,
            failing_streak=int(health.get("FailingStreak", 0)) if health else 0,
            exit_code=None if status == "running" else state.get("ExitCode"),
            restarts=int(info.get("RestartCount", 0)),
            started_at=parse_time(state.get("StartedAt")),
            cpu_pct=cpu,
            mem_bytes=mem,
            mem_limit=limit,
            expected=name in self.config.docker.services or name == self.config.docker.scraper,
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
        if self._client is not None:
            client, self._client = self._client, None
            await self.blocking.run(client.close)
        self.feed.close()
        self.blocking.close()
