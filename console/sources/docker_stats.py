"""Container CPU and memory at any container count, without a thread per container.

Two ways, chosen per container:
- `CgroupStats`: when the engine runs on this host, the container's own cgroup files (what the
  engine's stats read): a few small file reads per running container per poll, no engine call,
  no thread. Found from the container's PID (inspect) and checked against its id, so a PID from
  another namespace (an engine in a VM, or over ssh://) is never mistaken for it.
- `StreamStats`: otherwise the engine's stats, with at most `MAX_STREAMS` threads whatever the
  project holds: the configured containers keep a `docker stats` stream each; every other one
  is sampled in turn with the engine's one-shot stats at a bounded rate (a few a second), so
  every container gets a value, the extras less often (a sample is shown while it is younger
  than its rotation allows).

CPU % is of one core, as `docker stats` shows it; memory is usage minus inactive file cache.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC = Path("/proc")
UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a huge number

MAX_STREAMS = 8  # stats threads (and engine connections) in all
ROTATION_THREADS = 4  # of which these take the one-shot samples of the containers in turn
# One-shot samples a second, in all, at most. The engine answers a one-shot request at its
# stats collector's next tick (once a second), so each thread takes about one a second anyway.
ROTATION_RATE = 4.0
FRESH = 5.0  # seconds: an older sample of a dedicated stream is not shown
FRESH_ROTATING = 120.0  # ... and of a container sampled in turn (at least; see StreamStats)


@dataclass(frozen=True, slots=True)
class Usage:
    cpu_pct: float | None
    mem_bytes: int | None
    mem_limit: int | None


def cpu_percent(
    stats: dict[str, Any], previous: tuple[int, int] | None
) -> tuple[float | None, tuple[int, int] | None]:
    """CPU % from an engine stats sample and the previous one (ours, or the one it carries)."""
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


# --- the cgroup files -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CgroupFiles:
    cpu: Path  # v2 cpu.stat (usage_usec) or v1 cpuacct.usage (ns)
    memory: Path  # v2 memory.current or v1 memory.usage_in_bytes
    memory_stat: Path
    memory_max: Path
    v2: bool


def cgroup_files(
    pid: int, container_id: str, root: Path = CGROUP_ROOT, proc: Path = PROC
) -> CgroupFiles | None:
    """The cgroup files of the container whose PID 1 is `pid`; None if they are not ours to read
    (the PID is not that container here: another namespace, a remote engine, a gone process)."""
    if pid <= 0:
        return None
    try:
        lines = (proc / str(pid) / "cgroup").read_text().splitlines()
    except OSError:
        return None
    v1: dict[str, str] = {}
    unified = None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            unified = path
        for name in controllers.split(","):
            v1[name] = path
    if "cpuacct" in v1 and "memory" in v1 and container_id in v1["memory"]:
        cpu_dir = root / "cpuacct" / v1["cpuacct"].lstrip("/")
        mem_dir = root / "memory" / v1["memory"].lstrip("/")
        files = CgroupFiles(
            cpu_dir / "cpuacct.usage",
            mem_dir / "memory.usage_in_bytes",
            mem_dir / "memory.stat",
            mem_dir / "memory.limit_in_bytes",
            v2=False,
        )
    elif unified is not None and container_id in unified:
        d = root / unified.lstrip("/")
        files = CgroupFiles(
            d / "cpu.stat", d / "memory.current", d / "memory.stat", d / "memory.max", v2=True
        )
    else:
        return None
    return files if files.cpu.exists() and files.memory.exists() else None


def _read(path: Path) -> str:
    # os.open/read: a third of pathlib's cost, and this runs for every container every poll.
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536).decode("ascii", "replace")
    finally:
        os.close(fd)


def _cpu_ns(files: CgroupFiles) -> int:
    text = _read(files.cpu)
    if not files.v2:
        return int(text)
    for line in text.splitlines():
        if line.startswith("usage_usec "):
            return int(line.split()[1]) * 1000
    raise ValueError("no usage_usec")


def _inactive_file(files: CgroupFiles) -> int:
    key = "inactive_file " if files.v2 else "total_inactive_file "
    for line in _read(files.memory_stat).splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def _limit(files: CgroupFiles) -> int | None:
    raw = _read(files.memory_max).strip()
    return None if raw == "max" or int(raw) >= UNLIMITED else int(raw)


class CgroupStats:
    """Reads the cgroup files of containers the source told it about (`watch`).

    Each poll reads two one-line files per container (CPU time, memory in use). The page cache
    to subtract (in the longer memory.stat) moves slowly: it is read every `STAT_EVERY` polls;
    the memory limit only when a container is first watched.
    """

    STAT_EVERY = 5

    def __init__(self, root: Path = CGROUP_ROOT, proc: Path = PROC) -> None:
        self.root = root
        self.proc = proc
        self.monotonic = time.monotonic  # the CPU % clock (tests give their own)
        self._files: dict[str, CgroupFiles] = {}
        self._limit: dict[str, int | None] = {}
        self._inactive: dict[str, int] = {}
        self._previous: dict[str, tuple[int, float]] = {}
        self._polls = 0

    def watch(self, container_id: str, pid: int) -> bool:
        """Start reading this container's files; False if they are not readable from here."""
        files = cgroup_files(pid, container_id, self.root, self.proc)
        if files is None:
            self.forget(container_id)
            return False
        try:
            self._limit[container_id] = _limit(files)
            self._inactive[container_id] = _inactive_file(files)
        except (OSError, ValueError):
            self.forget(container_id)
            return False
        self._files[container_id] = files
        return True

    def watching(self, container_id: str) -> bool:
        return container_id in self._files

    def forget(self, container_id: str) -> None:
        for table in (self._files, self._limit, self._inactive, self._previous):
            table.pop(container_id, None)

    def sample(self, container_ids: Iterable[str]) -> dict[str, Usage]:
        out: dict[str, Usage] = {}
        self._polls += 1
        fresh_stat = self._polls % self.STAT_EVERY == 0
        for cid in container_ids:
            files = self._files.get(cid)
            if files is None:
                continue
            try:
                now = self.monotonic()
                used_ns = _cpu_ns(files)
                usage = int(_read(files.memory))
                if fresh_stat:
                    self._inactive[cid] = _inactive_file(files)
            except (OSError, ValueError):
                self.forget(cid)  # the container stopped (its cgroup is gone)
                continue
            cpu = None
            before = self._previous.get(cid)
            if before is not None and now > before[1]:
                cpu = max(0.0, (used_ns - before[0]) / ((now - before[1]) * 1e9) * 100.0)
            self._previous[cid] = (used_ns, now)
            mem = max(0, usage - self._inactive.get(cid, 0))
            out[cid] = Usage(cpu, mem, self._limit.get(cid))
        return out


# --- the engine's stats, when the cgroup files are not ours to read ---------------------------


class StreamStats:
    """CPU and memory from the engine, with bounded threads and engine calls per second.

    - The containers that matter most (`priority`: the configured services) each get a stats
      stream of their own (a sample a second), up to `max_streams - ROTATION_THREADS`.
    - Every other running container is sampled in turn with the engine's one-shot stats (API
      1.41+: no wait for a second sample; the engine answers at its collector's next tick, so
      about a second a call) by `rotation_threads` threads, `rate` samples a second at most.
      Its CPU % is the average since its previous turn, so one sample a turn is enough (its
      memory shows from the first turn, its CPU from the second). At 200 containers and the
      defaults a turn comes about every minute.
    - A sample older than `FRESH` (a stream) or than its rotation allows (`FRESH_ROTATING`, or
      2.5 turns when the rotation is longer) is not shown.
    """

    def __init__(
        self,
        api: Callable[[], Any],
        max_streams: int = MAX_STREAMS,
        rate: float = ROTATION_RATE,
        rotation_threads: int = ROTATION_THREADS,
    ) -> None:
        self._api = api  # returns the docker APIClient (rebuilt by the source after failures)
        self.max_streams = max_streams
        self.rate = rate
        self.rotation_threads = min(rotation_threads, max_streams - 1)
        self._latest: dict[str, tuple[float, Usage]] = {}
        self._cpu: dict[str, tuple[int, int]] = {}
        self._dedicated: dict[str, threading.Thread] = {}
        self._rotating: list[threading.Thread] = []
        self._turns: deque[str] = deque()  # containers waiting for their one-shot sample
        self._rotation: set[str] = set()  # ... and those being sampled: each is in it once
        self._wanted: set[str] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.one_shot = True  # False once the engine has said it is older than API 1.41
        self.samples = 0  # engine samples taken (tests, the benchmark)

    def follow(self, running: list[str], priority: Sequence[str]) -> None:
        """The running containers now; `priority` ones (most important first) get a stream of
        their own while one is free."""
        with self._lock:
            if self._closed.is_set():
                return
            self._wanted = set(running)
            for gone in set(self._latest) - self._wanted:
                self._latest.pop(gone, None)
                self._cpu.pop(gone, None)
            dedicated_room = max(1, self.max_streams - self.rotation_threads)
            for cid in priority:
                if cid in self._wanted and cid not in self._dedicated:
                    if len(self._dedicated) >= dedicated_room:
                        break
                    thread = threading.Thread(
                        target=self._follow_one, args=(cid,), daemon=True, name="stats-dedicated"
                    )
                    self._dedicated[cid] = thread
                    thread.start()
            for cid in running:
                if cid not in self._dedicated and cid not in self._rotation:
                    self._rotation.add(cid)
                    self._turns.append(cid)
            room = min(self.rotation_threads, self.max_streams - len(self._dedicated))
            for _ in range(min(room - len(self._rotating), len(self._turns))):
                thread = threading.Thread(target=self._take_turns, daemon=True, name="stats-turns")
                self._rotating.append(thread)
                thread.start()

    def _record(self, cid: str, sample: dict[str, Any]) -> None:
        """A sample, turned into what is shown at once (CPU needs the one before it)."""
        cpu, self._cpu[cid] = cpu_percent(sample, self._cpu.get(cid))
        if cpu is None and cid in self._latest:  # no time passed by the engine's counter
            cpu = self._latest[cid][1].cpu_pct
        mem, limit = memory_used(sample)
        self._latest[cid] = (time.monotonic(), Usage(cpu, mem, limit))
        self.samples += 1

    def _follow_one(self, cid: str) -> None:
        try:
            stream = self._api().stats(cid, stream=True, decode=True)
            try:
                for sample in stream:
                    if self._closed.is_set() or cid not in self._wanted:
                        break
                    self._record(cid, sample)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        except Exception:  # the container or the engine went away: the next poll restarts it
            pass
        finally:
            with self._lock:
                self._dedicated.pop(cid, None)

    def _one_sample(self, cid: str) -> dict[str, Any]:
        from docker.errors import InvalidVersion

        api = self._api()
        if self.one_shot:
            try:
                return api.stats(cid, stream=False, one_shot=True)
            except InvalidVersion:  # an engine older than API 1.41: two samples, ~2 s
                self.one_shot = False
        return api.stats(cid, stream=False)

    def _take_turns(self) -> None:
        me = threading.current_thread()
        pace = self.rotation_threads / self.rate  # seconds per sample, per thread
        try:
            while not self._closed.is_set():
                started = time.monotonic()
                with self._lock:
                    if not self._turns:
                        return
                    cid = self._turns.popleft()
                    if cid not in self._wanted or cid in self._dedicated:
                        self._rotation.discard(cid)
                        continue
                # Gone, or the engine failed: the turn moves on either way.
                with contextlib.suppress(Exception):
                    self._record(cid, self._one_sample(cid))
                with self._lock:
                    if cid not in self._wanted or cid in self._dedicated:
                        self._rotation.discard(cid)
                    else:
                        self._turns.append(cid)
                self._closed.wait(max(0.0, pace - (time.monotonic() - started)))
        finally:
            with self._lock:
                if me in self._rotating:
                    self._rotating.remove(me)

    def threads(self) -> int:
        return len(self._dedicated) + len(self._rotating)

    def turn_seconds(self) -> float:
        """How long one round of the rotation takes now."""
        return len(self._turns) / self.rate

    def sample(self, container_ids: Iterable[str]) -> dict[str, Usage]:
        out: dict[str, Usage] = {}
        now = time.monotonic()
        rotating_fresh = max(FRESH_ROTATING, 2.5 * self.turn_seconds())
        for cid in container_ids:
            found = self._latest.get(cid)
            if found is None:
                continue
            fresh = FRESH if cid in self._dedicated else rotating_fresh
            if now - found[0] <= fresh:
                out[cid] = found[1]
        return out

    def close(self) -> None:
        self._closed.set()
