"""The Containers pane: the runbook's `docker ps` and `docker stats` in one table."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from console.durations import format_duration
from console.readings import ContainersReading
from console.rules import Finding, Level, size
from console.text import clean
from widgets.pane import LEVEL_STYLE, Pane


def container_rows(
    r: ContainersReading, findings: list[Finding], now: float
) -> list[tuple[str, str, str, str, str, str, Level]]:
    levels = {f.id: f.level for f in findings}
    rows = []
    for c in r.containers:
        level = levels.get(f"container:{c.name}", Level.UNKNOWN)
        if c.name == r.api and "api_cpu" in levels:
            level = max(level, levels["api_cpu"])
        state = (
            c.state if c.exit_code is None or c.state == "running" else f"{c.state}({c.exit_code})"
        )
        cpu = "—" if c.cpu_pct is None else f"{c.cpu_pct:.0f}%"
        mem = "—" if c.mem_bytes is None else size(c.mem_bytes)
        up = "—"
        if c.state == "running" and c.started_at is not None:
            up = format_duration(max(0.0, now - c.started_at))
        # Names and states come from the engine: shown as characters, never as markup.
        rows.append((clean(c.name), clean(state), clean(c.health or "—"), cpu, mem, up, level))
    return rows


class ContainersPane(Pane):
    def show_containers(
        self,
        r: ContainersReading,
        findings: list[Finding],
        now: float,
        level: Level,
        subtitle: str = "",
        dim: bool = False,
    ) -> bool:
        rows = container_rows(r, findings, now)
        return self.show(
            (tuple(rows), dim), level, lambda: self._table(rows, dim), subtitle, lines=len(rows)
        )

    @staticmethod
    def _table(rows: list[tuple[str, str, str, str, str, str, Level]], dim: bool) -> Table:
        table = Table(box=None, padding=(0, 1), expand=True, show_edge=False, header_style="dim")
        table.add_column("name", no_wrap=True, ratio=3, overflow="ellipsis")
        table.add_column("state", no_wrap=True)
        table.add_column("health", no_wrap=True)
        table.add_column("cpu", justify="right", no_wrap=True)
        table.add_column("mem", justify="right", no_wrap=True)
        table.add_column("up", justify="right", no_wrap=True)
        for name, state, health, cpu, mem, up, level in rows:
            style = "dim" if dim else LEVEL_STYLE[level]
            table.add_row(
                Text(f"{level.symbol} {name}", style=style),
                Text(state, style=style),
                Text(health, style=style),
                cpu,
                mem,
                up,
            )
        return table
