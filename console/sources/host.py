"""The host: disk use of [host] disk_path, swap, and the age of the newest backup (P0 gate)."""

from __future__ import annotations

import os
import shutil

from console.clock import Clock
from console.config import Config
from console.engine import elsewhere
from console.readings import HostReading
from console.sources.base import Blocking, describe


def read_swap(meminfo: str = "/proc/meminfo") -> tuple[int, int]:
    """(used, total) bytes of swap, from /proc/meminfo (what `free -h | grep Swap` reads)."""
    values: dict[str, int] = {}
    with open(meminfo, encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("SwapTotal", "SwapFree"):
                values[key] = int(rest.split()[0]) * 1024
    total = values.get("SwapTotal", 0)
    return total - values.get("SwapFree", 0), total


def newest_backup_age(directory: str, now: float) -> float | None:
    """Seconds since the newest file in `directory` was written; None if there is none."""
    newest = None
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                mtime = entry.stat(follow_symlinks=False).st_mtime
                newest = mtime if newest is None else max(newest, mtime)
    return None if newest is None else max(0.0, now - newest)


class HostSource:
    name = "host"
    reading_type = HostReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        # statvfs on a hung network mount blocks: keep it off the event loop, in a pool of one.
        self.blocking = Blocking(self.name, workers=1)
        # Read here, where the console runs: with a remote engine, say so on every reading.
        self.machine = elsewhere(config.docker)

    def _read(self) -> HostReading:
        now = self.clock.now()
        host = self.config.host
        try:
            disk = shutil.disk_usage(host.disk_path)
        except OSError as exc:
            return HostReading.failed(self.name, now, describe(exc) + f" ({host.disk_path})")
        swap_used, swap_total = read_swap()
        try:
            age = newest_backup_age(host.backups, now)
        except OSError:
            age = None  # reported as "none found": the P0 gate fails, loudly
        return HostReading(
            source=self.name,
            at=now,
            disk_path=host.disk_path,
            disk_used=disk.used,
            disk_total=disk.used + disk.free,  # what df's Use% divides by
            swap_used=swap_used,
            swap_total=swap_total,
            newest_backup_age_s=age,
            machine=self.machine,
        )

    async def read(self) -> HostReading:
        return await self.blocking.run(self._read)

    async def close(self) -> None:
        self.blocking.close()
