"""The side-effecting calls the remediation actions make, behind one interface.

`console.control.live.LiveControl` does them on the real Docker engine, file system and API;
`console.sim.control.SimControl` does them on the demo stack. The actions know only this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    name: str
    state: str  # running, exited, ..., missing
    started_at: float | None = None
    host: str = ""  # the engine it is on, when there are several ([docker] engines)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file the disk clean-up would delete."""

    path: str
    size: int
    age_s: float
    rule: str  # the rule that matched, e.g. "scraper/*.json older than 7d"


@dataclass(frozen=True, slots=True)
class CleanupPreview:
    largest: list[tuple[str, int]]  # top-level entries of the workspace by size
    candidates: list[Candidate]
    prune_bytes: int | None  # what the Docker prune would reclaim, if known
    problems: list[str] = field(default_factory=list)  # unreadable dirs, roots outside, ...

    @property
    def total(self) -> int:
        return sum(c.size for c in self.candidates)


class Control(Protocol):
    async def container(self, name: str) -> ContainerInfo: ...

    async def stop(self, name: str) -> None: ...

    async def start(self, name: str) -> None: ...

    async def restart(self, name: str) -> None: ...

    async def signal(self, name: str, signal: str) -> None: ...

    async def run_command(self, argv: list[str]) -> tuple[int, str]: ...

    async def api_health(self) -> tuple[bool, str]: ...

    async def api_search(self) -> tuple[bool, str]: ...

    async def disk(self) -> tuple[int, int]: ...

    async def cleanup_preview(self) -> CleanupPreview: ...

    async def delete(self, candidate: Candidate) -> tuple[str, str]: ...

    async def prune(self) -> str: ...

    async def backups(self) -> list[tuple[str, int, float]]: ...

    async def product_count(self) -> int: ...

    # Alertmanager ([alertmanager] url): a silence of the launch's alerts during an action.
    async def silence_alerts(self, comment: str) -> str: ...

    async def silence_active(self, silence_id: str) -> bool: ...

    async def close(self) -> None: ...
