"""The remediation calls on the real stack: Docker SDK, the file system, the API over HTTPS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time

import httpx
from docker.errors import NotFound

from console.config import Config
from console.control import Candidate, CleanupPreview, ContainerInfo
from console.control import files as fs
from console.engine import resolve as resolve_engine
from console.engine import this_machine
from console.sources.base import Blocking
from console.sources.docker import docker_client, parse_time
from console.sources.http import ssl_context


class RemoteEngine(Exception):
    """An action that would act on two machines at once."""


class LiveControl:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.blocking = Blocking("control", workers=2)
        self._docker = None
        self.http = httpx.AsyncClient(
            base_url=config.api.base_url.rstrip("/"),
            verify=ssl_context(config.api.ca_file),
            timeout=httpx.Timeout(10.0),
        )

    def _client(self):
        if self._docker is None:
            self._docker = docker_client(self.config)
        return self._docker

    # containers -------------------------------------------------------------------------------

    def _info(self, name: str) -> ContainerInfo:
        try:
            attrs = self._client().api.inspect_container(name)
        except NotFound:
            return ContainerInfo(name, "missing")
        state = attrs.get("State") or {}
        return ContainerInfo(
            name, state.get("Status", "unknown"), parse_time(state.get("StartedAt"))
        )

    async def container(self, name: str) -> ContainerInfo:
        return await self.blocking.run(self._info, name)

    async def stop(self, name: str) -> None:
        timeout = int(self.config.actions.stop_timeout)
        await self.blocking.run(lambda: self._client().api.stop(name, timeout=timeout))

    async def start(self, name: str) -> None:
        await self.blocking.run(lambda: self._client().api.start(name))

    async def restart(self, name: str) -> None:
        timeout = int(self.config.actions.stop_timeout)
        await self.blocking.run(lambda: self._client().api.restart(name, timeout=timeout))

    async def signal(self, name: str, signal: str) -> None:
        await self.blocking.run(lambda: self._client().api.kill(name, signal=f"SIG{signal}"))

    async def run_command(self, argv: list[str]) -> tuple[int, str]:
        # An argument list, never a shell string: nothing in it is interpreted by a shell.
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode(errors="replace").strip()[-300:]

    # the API ----------------------------------------------------------------------------------

    async def api_health(self) -> tuple[bool, str]:
        try:
            r = await self.http.get("/health")
            ok = r.status_code == 200 and r.json().get("status") == "ok"
            return ok, f"/health HTTP {r.status_code}" + (" ok" if ok else "")
        except Exception as exc:
            return False, f"/health: {type(exc).__name__}"

    async def api_search(self) -> tuple[bool, str]:
        try:
            r = await self.http.get("/api/search", params={"q": "test", "limit": 1})
            total = r.json().get("total") if r.status_code == 200 else None
            return isinstance(total, int) and total > 0, f"search total {total}"
        except Exception as exc:
            return False, f"search: {type(exc).__name__}"

    # disk -------------------------------------------------------------------------------------

    async def disk(self) -> tuple[int, int]:
        usage = await self.blocking.run(shutil.disk_usage, self.config.host.disk_path)
        return usage.used, usage.used + usage.free

    def _prune_estimate(self) -> int | None:
        try:
            df = self._client().api.df()
        except Exception:
            return None
        dangling = sum(
            i.get("Size", 0)
            for i in df.get("Images") or []
            if not i.get("RepoTags") or i.get("RepoTags") == ["<none>:<none>"]
        )
        cache = sum(c.get("Size", 0) for c in df.get("BuildCache") or [] if not c.get("InUse"))
        return dangling + cache

    async def cleanup_preview(self) -> CleanupPreview:
        engine = resolve_engine(self.config.docker.url)
        if engine.remote:
            # The files and the disk are this machine's, the images the engine's: one plan over
            # two hosts would verify on the wrong one. Refused before anything is looked at.
            raise RemoteEngine(
                f"the Docker engine is on {engine.host} ({engine.describe()}), but the clean-up "
                f"would delete files and measure the disk on {this_machine()}: run "
                f"launch-console on {engine.host} for its disk clean-up"
            )
        preview = await self.blocking.run(
            fs.preview, self.config.host.workspace, self.config.cleanup.rules, time.time()
        )
        if self.config.cleanup.docker_prune:
            estimate = await self.blocking.run(self._prune_estimate)
            preview = CleanupPreview(
                preview.largest, preview.candidates, estimate, preview.problems
            )
        return preview

    async def delete(self, candidate: Candidate) -> tuple[str, str]:
        return await self.blocking.run(fs.delete, candidate, self.config.host.workspace)

    def _prune(self) -> str:
        # Not `docker system prune`: that also removes stopped containers, such as a scraper the
        # rollback stopped, which could then not be resumed. Only dangling images and build
        # cache go.
        api = self._client().api
        images = api.prune_images(filters={"dangling": True})
        reclaimed = int(images.get("SpaceReclaimed") or 0)
        # An engine without a build cache answers an error: then there is nothing to prune.
        with contextlib.suppress(Exception):
            reclaimed += int(api.prune_builds().get("SpaceReclaimed") or 0)
        return f"{reclaimed} bytes reclaimed (dangling images, build cache)"

    async def prune(self) -> str:
        return await self.blocking.run(self._prune)

    # the database (guided restore, 4.5) --------------------------------------------------------

    def _backups(self) -> list[tuple[str, int, float]]:
        out = []
        now = time.time()
        with os.scandir(self.config.host.backups) as entries:
            for e in entries:
                if e.is_file(follow_symlinks=False):
                    st = e.stat(follow_symlinks=False)
                    out.append((e.name, st.st_size, now - st.st_mtime))
        return sorted(out, key=lambda b: b[2])

    async def backups(self) -> list[tuple[str, int, float]]:
        return await self.blocking.run(self._backups)

    async def product_count(self) -> int:
        # The runbook's exact count, once, after a restore (not the poller's cheap estimate).
        import psycopg

        async with await psycopg.AsyncConnection.connect(
            self.config.postgres.dsn.get_secret_value(),
            autocommit=True,
            prepare_threshold=None,
            connect_timeout=5,
        ) as conn:
            cur = await conn.execute("SELECT count(*) FROM products")
            row = await cur.fetchone()
            return int(row[0])

    async def close(self) -> None:
        await self.http.aclose()
        if self._docker is not None:
            docker, self._docker = self._docker, None
            await self.blocking.run(docker.close)
        self.blocking.close()
