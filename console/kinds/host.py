"""The host: disk, swap and the newest backup (1.1, 1.3 "Backup completed within 24h", 3.4)."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.durations import format_duration
from console.kinds.kind import CheckSpec, Kind, Row
from console.readings import HostReading
from console.rules import Finding, Level, backup_level, below, level_for, pct, size
from console.sources import Source


def _on(r: HostReading) -> str:
    return f" {r.machine}" if r.machine else ""  # a remote engine: say whose disk this is


def findings(r: HostReading, config: Config) -> list[Finding]:
    t = config.thresholds
    on = _on(r)
    out = [
        Finding("host.disk", "disk", level_for(r.disk_pct, t.disk), pct(r.disk_pct) + on),
        Finding("host.swap", "swap", level_for(r.swap_pct, t.swap), pct(r.swap_pct) + on),
    ]
    if r.newest_backup_age_s is not None or r.ok:
        age = r.newest_backup_age_s
        out.append(
            Finding(
                "db.backup_age",
                "backup age",
                backup_level(age, config),
                "none found" if age is None else format_duration(age),
            )
        )
    return out


def rows(r: HostReading, found: list[Finding]) -> list[Row]:
    f = {x.id: x for x in found}

    def level(fid: str) -> Level | None:
        return f[fid].level if fid in f else None

    out: list[Row] = [
        (f"disk {r.disk_path}", f"{pct(r.disk_pct)} of {size(r.disk_total)}", level("host.disk")),
        ("swap", f"{pct(r.swap_pct)} of {size(r.swap_total)}", level("host.swap")),
    ]
    if "db.backup_age" in f:
        out.append(("newest backup", f["db.backup_age"].value, level("db.backup_age")))
    if r.machine:  # a remote Docker engine: these are not its host's disk, swap and backups
        out.insert(0, ("read", r.machine, None))
    return out


def disk(r: HostReading, config: Config) -> tuple[Level, str]:
    # 1.1: "Disk usage < 85% on host. If > 85%, trigger emergency cleanup".
    return below(r.disk_pct, config.prelaunch.disk, Level.CRIT), pct(r.disk_pct) + _on(r)


def swap(r: HostReading, config: Config) -> tuple[Level, str]:
    # 1.1: "Swap < 70% used (monitor for memory pressure)": a warning, not a blocker.
    return below(r.swap_pct, config.prelaunch.swap, Level.WARN), pct(r.swap_pct) + _on(r)


def backup(r: HostReading, config: Config) -> tuple[Level, str]:
    age = r.newest_backup_age_s
    shown = "no backup found" if age is None else f"{format_duration(age)} old"
    return backup_level(age, config), shown + _on(r)


def live(config: Config, clock: Clock, one_shot: bool) -> Source:
    from console.sources.host import HostSource

    return HostSource(config, clock)


def sim(stack, clock: Clock) -> Source:
    from console.sim.sources import SimHost

    return SimHost(stack, clock)


KIND = Kind(
    name="host",
    title="Host",
    reading_type=HostReading,
    findings=findings,
    live=live,
    sim=sim,
    rows=rows,
    place=6,
    checks=(
        CheckSpec("host.disk", "Disk usage < {disk}% on host", "Bolt", (1, 1, 5), disk),
        CheckSpec("host.swap", "Swap < {swap}% used", "Bolt", (1, 1, 6), swap),
        CheckSpec("db.backup_age", "Backup completed within {backup}", "Bolt", (1, 3, 2), backup),
    ),
    units={"disk": "%", "swap": "%"},
)
