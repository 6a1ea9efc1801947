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
from console.engine import remote_engines, this_machine
from console.sources.base import Blocking
from console.sources.docker import docker_client, parse_time
from console.sources.docker_fleet import engine_config
from console.sources.http import ssl_context


class RemoteEngine(Exception):
    """An action that would act on two machines at once."""


class AmbiguousContainer(Exception):
    """A container name found on more than one engine."""


class LiveControl:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.blocking = Blocking("control", workers=2)
        self._docker = None
        # Several engines: a client each, and which engine each container was found on.
        self._engines: dict[str, object] = {}
        self._home: dict[str, str] = {}
        self.http = httpx.AsyncClient(
            base_url=config.api.base_url.rstrip("/"),
            verify=ssl_context(config.api.ca_file),
            timeout=httpx.Timeout(10.0),
        )

    def _client(self, name: str | None = None):
        """The engine client for container `name` (the only engine's when there is one)."""
        if self.config.docker.several:
            return self._engine(self._home_of(name) if name else self.config.docker.engines[0].name)
        if self._docker is None:
            self._docker = docker_client(self.config)
        return self._docker

    def _engine(self, engine: str):
        client = self._engines.get(engine)
        if client is None:
            ref = next(e for e in self.config.docker.engines if e.name == engine)
            client = self._engines[engine] = docker_client(engine_config(self.config, ref.url))
        return client

    def _home_of(self, name: str) -> str:
        """Which engine container `name` is on: asked of every engine the first time; the one
        found is used from then on (an action acts on exactly one host, and names it)."""
        if name in self._home:
            return self._home[name]
        found = []
        for ref in self.config.docker.engines:
            try:
                self._engine(ref.name).api.inspect_container(name)
            except NotFound:
                continue
            found.append(ref.name)
        if len(found) > 1:
            raise AmbiguousContainer(
                f"container {name} is on several engines ({', '.join(found)}): the console "
                "will not guess which one to act on"
            )
        if not found:
            raise NotFound(f"container {name} is on none of the engines")
        self._home[name] = found[0]
        return found[0]

    # containers -------------------------------------------------------------------------------

    def _info(self, name: str) -> ContainerInfo:
        try:
            client = self._client(name)
            attrs = client.api.inspect_container(name)
        except NotFound:
            self._home.pop(name, None)
            return ContainerInfo(name, "missing")
        state = attrs.get("State") or {}
        return ContainerInfo(
            name,
            state.get("Status", "unknown"),
            parse_time(state.get("StartedAt")),
            host=self._home.get(name, ""),
        )

    async def container(self, name: str) -> ContainerInfo:
        return await self.blocking.run(self._info, name)

    async def stop(self, name: str) -> None:
        timeout = int(self.config.actions.stop_timeout)
        await self.blocking.run(lambda: self._client(name).api.stop(name, timeout=timeout))

    async def start(self, name: str) -> None:
        await self.blocking.run(lambda: self._client(name).api.start(name))

    async def restart(self, name: str) -> None:
        timeout = int(self.config.actions.stop_timeout)
        await self.blocking.run(lambda: self._client(name).api.restart(name, timeout=timeout))

    async def signal(self, name: str, signal: str) -> None:
        await self.blocking.run(lambda: self._client(name).api.kill(name, signal=f"SIG{signal}"))

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

    def _all_clients(self) -> list:
        if self.config.docker.several:
            return [self._engine(e.name) for e in self.config.docker.engines]
        return [self._client()]

    def _prune_estimate(self) -> int | None:
        total = 0
        for client in self._all_clients():
            try:
                df = client.api.df()
            except Exception:
                return None
            total += sum(
                i.get("Size", 0)
                for i in df.get("Images") or []
                if not i.get("RepoTags") or i.get("RepoTags") == ["<none>:<none>"]
            )
            total += sum(c.get("Size", 0) for c in df.get("BuildCache") or [] if not c.get("InUse"))
        return total

    async def cleanup_preview(self) -> CleanupPreview:
        remote = remote_engines(self.config.docker)
        if remote:
            engine = remote[0]
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
        reclaimed = 0
        for client in self._all_clients():  # every engine here (a remote one was refused)
            api = client.api
            images = api.prune_images(filters={"dangling": True})
            reclaimed += int(images.get("SpaceReclaimed") or 0)
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

    # Alertmanager -----------------------------------------------------------------------------

    async def silence_alerts(self, comment: str) -> str:
        from console.audit import operator
        from console.sources.alertmanager import AlertmanagerClient

        client = AlertmanagerClient(self.config.alertmanager, timeout=10.0)
        try:
            return await client.silence(comment, created_by=operator())
        finally:
            await client.close()

    async def silence_active(self, silence_id: str) -> bool:
        from console.sources.alertmanager import AlertmanagerClient

        client = AlertmanagerClient(self.config.alertmanager, timeout=10.0)
        try:
            return await client.state(silence_id) == "active"
        finally:
            await client.close()

    async def close(self) -> None:
        await self.http.aclose()
        clients = [c for c in (self._docker, *self._engines.values()) if c is not None]
        self._docker, self._engines = None, {}
        for client in clients:
            await self.blocking.run(client.close)
        self.blocking.close()
