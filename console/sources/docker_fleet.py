"""Several Docker engines as one `containers` source: the stack spread over hosts.

Each engine of `[docker] engines` has a `DockerSource` of its own (its client, event stream,
stats, inspections) and is read concurrently with the others, each bounded a little inside the
containers poll's timeout: a dead or hung engine becomes one DOWN/TIMEOUT row while the others'
containers stay on the pane, fresh. Containers carry their engine's name (`Container.host`), so
the pane groups by host and actions say which host they act on.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from console.clock import Clock
from console.config import Config
from console.readings import Container, ContainersReading, EngineState
from console.sources.docker import DockerSource

# An engine answers inside the poll's timeout minus this, so the merge itself is never cut.
MARGIN = 0.5


def engine_config(config: Config, url: str) -> Config:
    """The config as one engine's source sees it: that engine's address, nothing else."""
    docker = config.docker.model_copy(update={"url": url, "engines": []})
    return config.model_copy(update={"docker": docker})


class DockerFleetSource:
    name = "containers"
    reading_type = ContainersReading

    def __init__(self, config: Config, clock: Clock, *, follow: bool = True) -> None:
        self.config = config
        self.clock = clock
        self.engines = {
            e.name: DockerSource(engine_config(config, e.url), clock, follow=follow)
            for e in config.docker.engines
        }
        poll = config.poll.containers.timeout
        self.budget = max(poll - MARGIN, poll * 0.8)

    def set_waker(self, wake: Callable[[], None]) -> None:
        for source in self.engines.values():
            source.set_waker(wake)

    async def _one(self, name: str, source: DockerSource) -> ContainersReading:
        try:
            async with asyncio.timeout(self.budget):
                return await source.read()
        except TimeoutError:
            return ContainersReading.failed(
                self.name, self.clock.now(), f"TIMEOUT: no answer in {self.budget:g}s"
            )

    async def read(self) -> ContainersReading:
        now = self.clock.now()
        names = list(self.engines)
        readings = await asyncio.gather(*(self._one(n, self.engines[n]) for n in names))
        containers: list[Container] = []
        states = []
        api_env = None
        for name, reading in zip(names, readings, strict=True):
            states.append(EngineState(name=name, error=reading.error))
            for c in reading.containers:
                if c.state == "missing":
                    continue  # missing from this engine says nothing: the fleet decides below
                containers.append(dataclasses.replace(c, host=name))
            if api_env is None and reading.api_env is not None:
                api_env = reading.api_env
        if all(s.error for s in states):
            # No engine answered: the source failed, and says why for each.
            why = "; ".join(f"{s.name}: {s.error}" for s in states)
            failed = ContainersReading.failed(self.name, now, why)
            return dataclasses.replace(failed, engines=tuple(states))
        found = {c.name for c in containers}
        dark = [s.name for s in states if s.error]
        for wanted in self.config.docker.services:
            if wanted not in found:
                # Missing only if every engine answered; else it may be on the dead one.
                containers.append(Container(name=wanted, state="unknown" if dark else "missing"))
        order = {n: i for i, n in enumerate(self.config.docker.services)}
        containers.sort(key=lambda c: (c.host, order.get(c.name, len(order)), c.name))
        return ContainersReading(
            source=self.name,
            at=now,
            containers=tuple(containers),
            engines=tuple(states),
            api=self.config.docker.api,
            api_env=api_env,
        )

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.engines.values()), return_exceptions=True)
