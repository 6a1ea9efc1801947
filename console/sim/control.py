"""The remediation calls on the demo stack: the same interface as `LiveControl`."""

from __future__ import annotations

import asyncio

from console.clock import Clock
from console.control import Candidate, CleanupPreview, ContainerInfo
from console.sim.stack import DISK_TOTAL, GIB, SimStack


class SimControl:
    def __init__(self, stack: SimStack, clock: Clock, step_delay: float = 0.3) -> None:
        self.stack = stack
        self.clock = clock
        # A little real time per call, so the progress screen shows the steps as they happen.
        self.step_delay = step_delay
        self._deleted: set[str] = set()

    async def _pause(self) -> None:
        if self.step_delay:
            await asyncio.sleep(self.step_delay)

    async def container(self, name: str) -> ContainerInfo:
        c = self.stack.containers.get(name)
        if c is None:
            return ContainerInfo(name, "missing")
        return ContainerInfo(name, c.state, c.started_at)

    async def stop(self, name: str) -> None:
        await self._pause()
        self.stack.stop(name, self.clock.now())

    async def start(self, name: str) -> None:
        await self._pause()
        self.stack.start(name, self.clock.now())

    async def restart(self, name: str) -> None:
        await self._pause()
        self.stack.restart(name, self.clock.now())

    async def signal(self, name: str, signal: str) -> None:
        await self._pause()
        self.stack.signal(name, signal, self.clock.now())

    async def run_command(self, argv: list[str]) -> tuple[int, str]:
        await self._pause()
        if argv[-1:] == [self.stack.api.split("-")[1]]:
            self.stack.signal(self.stack.api, "HUP", self.clock.now())
        return 0, "(demo) done"

    async def api_health(self) -> tuple[bool, str]:
        up = self.stack.api_up(self.clock.now())
        return up, "/health HTTP 200 ok" if up else "/health: connection refused"

    async def api_search(self) -> tuple[bool, str]:
        t = self.clock.now()
        ok = self.stack.api_up(t) and self.stack.surge(t) < 0.85
        return ok, "search total 2841" if ok else "search HTTP 503"

    async def disk(self) -> tuple[int, int]:
        return self.stack.disk_used(self.clock.now()), DISK_TOTAL

    def _candidates(self) -> list[Candidate]:
        out = []
        for day in range(1, 15):
            for source in ("amazon-us", "walmart-us", "bestbuy-us", "target-us"):
                path = f"/home/paperclip/.rex/workspace/scraper/{source}/2026-04-{day:02d}.json"
                out.append(
                    Candidate(
                        path,
                        180 * 1024**2 + day * 7919,
                        (23 - day) * 86400,
                        "scraper/*.json older than 7d",
                    )
                )
        for day in range(1, 20):
            path = f"/home/paperclip/.rex/workspace/ingest-2026-04-{day:02d}.jsonl"
            out.append(Candidate(path, 95 * 1024**2, (23 - day) * 86400, "./*.jsonl older than 3d"))
        return [
            c
            for c in out
            if c.age_s > (7 if c.path.endswith(".json") else 3) * 86400
            and c.path not in self._deleted
        ]

    async def cleanup_preview(self) -> CleanupPreview:
        largest = [
            ("scraper", 61 * GIB),
            ("backups", 38 * GIB),
            ("api", 9 * GIB),
            ("logs", 4 * GIB),
        ]
        return CleanupPreview(largest, self._candidates(), 3 * GIB)

    async def delete(self, candidate: Candidate) -> tuple[str, str]:
        if candidate.path in self._deleted:
            return "skipped", "vanished before deletion"
        self._deleted.add(candidate.path)
        self.stack.free_disk(candidate.size, self.clock.now())
        return "ok", f"{candidate.size} bytes"

    async def prune(self) -> str:
        await self._pause()
        self.stack.free_disk(3 * GIB, self.clock.now())
        return f"{3 * GIB} bytes reclaimed (dangling images, build cache)"

    async def backups(self) -> list[tuple[str, int, float]]:
        age = self.clock.now() - (self.stack.launch - 11 * 3600)
        return [
            (f"catalog-2026-04-{23 - d:02d}.sql.gz", 9 * GIB, age + d * 86400) for d in range(4)
        ]

    async def product_count(self) -> int:
        return self.stack.product_count(self.clock.now())

    async def silence_alerts(self, comment: str) -> str:
        # The demo has no Alertmanager (its config sets no url): no plan asks for this.
        raise RuntimeError("the demo stack has no Alertmanager")

    async def silence_active(self, silence_id: str) -> bool:
        return False

    async def close(self) -> None:
        return None
