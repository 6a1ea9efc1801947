"""Container CPU and memory from the cgroup files (v2 and v1), against a cgroup tree and a /proc
laid out as the kernel lays them out; which engine events concern the project."""

from pathlib import Path

from console.sources.docker_events import EngineEvents
from console.sources.docker_stats import CgroupStats, cgroup_files

CID = "4f3c" + "a" * 60  # a container id as the engine writes it into the cgroup path
MiB = 1 << 20


def v2_tree(tmp_path: Path, pid: int = 4242, cid: str = CID, limit: str = "max") -> Path:
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    scope = f"/system.slice/docker-{cid}.scope"
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "cgroup").write_text(f"0::{scope}\n")
    d = root / scope.lstrip("/")
    d.mkdir(parents=True)
    (d / "cpu.stat").write_text("usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\n")
    (d / "memory.current").write_text(f"{300 * MiB}\n")
    (d / "memory.stat").write_text(f"anon {200 * MiB}\ninactive_file {100 * MiB}\nactive_file 0\n")
    (d / "memory.max").write_text(f"{limit}\n")
    return d


def test_cgroup_v2_cpu_and_memory(tmp_path):
    d = v2_tree(tmp_path, limit=str(512 * MiB))
    stats = CgroupStats(root=tmp_path / "cgroup", proc=tmp_path / "proc")
    now = [100.0]
    stats.monotonic = lambda: now[0]
    assert stats.watch(CID, 4242)
    first = stats.sample([CID])[CID]
    # Memory is in use minus the page cache the kernel can drop; CPU needs two samples.
    assert first.mem_bytes == 200 * MiB and first.mem_limit == 512 * MiB
    assert first.cpu_pct is None
    (d / "cpu.stat").write_text("usage_usec 1500000\n")  # half a second of CPU ...
    now[0] += 2.0  # ... over two seconds
    assert stats.sample([CID])[CID].cpu_pct == 25.0


def test_cgroup_v2_without_a_limit_and_a_stopped_container(tmp_path):
    d = v2_tree(tmp_path)
    stats = CgroupStats(root=tmp_path / "cgroup", proc=tmp_path / "proc")
    assert stats.watch(CID, 4242)
    assert stats.sample([CID])[CID].mem_limit is None  # "max": no limit
    for f in d.iterdir():  # it stopped: its cgroup is gone
        f.unlink()
    assert stats.sample([CID]) == {}
    assert not stats.watching(CID)


def test_cgroup_v1(tmp_path):
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    path = f"/docker/{CID}"
    (proc / "77").mkdir(parents=True)
    (proc / "77" / "cgroup").write_text(
        f"12:memory:{path}\n4:cpu,cpuacct:{path}\n1:name=systemd:{path}\n"
    )
    cpu, mem = root / "cpuacct" / path.lstrip("/"), root / "memory" / path.lstrip("/")
    cpu.mkdir(parents=True)
    mem.mkdir(parents=True)
    (cpu / "cpuacct.usage").write_text("2000000000\n")  # ns
    (mem / "memory.usage_in_bytes").write_text(f"{64 * MiB}\n")
    (mem / "memory.stat").write_text(f"cache 0\ntotal_inactive_file {16 * MiB}\n")
    (mem / "memory.limit_in_bytes").write_text(f"{1 << 62}\n")  # v1's "no limit"
    files = cgroup_files(77, CID, root, proc)
    assert files is not None and not files.v2
    stats = CgroupStats(root=root, proc=proc)
    assert stats.watch(CID, 77)
    usage = stats.sample([CID])[CID]
    assert usage.mem_bytes == 48 * MiB and usage.mem_limit is None


def test_a_pid_that_is_not_that_container_here_is_refused(tmp_path):
    v2_tree(tmp_path)
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    # Another container's id (an engine in a VM reports PIDs of its own namespace), no PID,
    # a PID gone: never someone else's cgroup.
    assert cgroup_files(4242, "b" * 64, root, proc) is None
    assert cgroup_files(0, CID, root, proc) is None
    assert cgroup_files(999, CID, root, proc) is None
    assert not CgroupStats(root=root, proc=proc).watch("b" * 64, 4242)


def event(cid: str, **attributes: str) -> dict:
    return {"Type": "container", "Action": "die", "Actor": {"ID": cid, "Attributes": attributes}}


def test_engine_events_are_ours_by_project_label_or_configured_name():
    events = EngineEvents(lambda: None, "api", {"scraper-worker-fixed", "api-api-1"})
    assert events._ours(event("1", **{"com.docker.compose.project": "api", "name": "x"}))
    assert events._ours(event("2", name="scraper-worker-fixed"))  # no compose label
    assert not events._ours(event("3", **{"com.docker.compose.project": "other", "name": "y"}))
    assert not events._ours(event("4", name="someone-else"))
    assert not events._ours({"Type": "container"})


def test_changed_ids_are_taken_once_and_given_back_after_a_failed_poll():
    events = EngineEvents(lambda: None, "api", set())
    events.again({"a", "b"})
    assert events.take() == {"a", "b"}
    assert events.take() == set()
    events.again({"c"})  # a poll that failed hands its ids back for the next one
    assert events.take() == {"c"}
