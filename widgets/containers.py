"""The Containers pane: the runbook's `docker ps` and `docker stats` in one table, at any count.

- Rows sort with the problems first (unhealthy, exited, missing), then the configured services
  in their order, then the rest by name; `s` cycles the sort (problems, name, cpu, mem).
- A long list scrolls inside the pane; `/` filters it by name (Escape clears the filter).
- Only rows whose shown text changed are redrawn (a Line API widget): an idle table writes
  nothing to the terminal. Uptime has minute resolution past a minute and CPU/memory move only
  by a visible step, so steady containers do not flicker from poll to poll.
- Columns take the width their text needs; a name is cut only when even without the optional
  columns it cannot fit, and the level symbol before it never is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input

from console.readings import Container, ContainersReading
from console.rules import Finding, Level
from console.text import clean, plain
from widgets.pane import LEVEL_CLASSES, LEVEL_STYLE

SORTS = ("problems", "name", "cpu", "mem")
# The order columns give way when the pane is narrow (last first); name and status never go.
OPTIONAL = ("restarts", "up", "mem", "cpu")
HEADERS = {
    "name": "name",
    "status": "status",
    "cpu": "cpu",
    "mem": "mem",
    "up": "up",
    "restarts": "restarts",
}
RIGHT = {"cpu", "mem", "up", "restarts"}
MAX_GAP = 4  # columns between columns at most: more room stays at the right, not in gaps


@dataclass(frozen=True, slots=True)
class Row:
    """One container as shown: every cell already text, so rows compare cheaply."""

    name: str
    status: str
    cpu: str
    mem: str
    up: str
    restarts: str
    level: Level
    order: int  # the configured services' order; others after
    cpu_value: float
    mem_value: float
    host: str = ""  # the engine's name when there are several: rows group by it

    def cell(self, column: str) -> str:
        return getattr(self, column)


def status_text(c: Container) -> str:
    if c.state == "running":
        return c.health or "running"
    if c.exit_code is not None and c.state in ("exited", "restarting", "dead"):
        return f"{c.state}({c.exit_code})"
    return c.state


def uptime_text(seconds: float) -> str:
    """Seconds under a minute, minutes past it: 42s, 5m, 1h05m, 2d03h."""
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def mem_text(n: float) -> str:
    for unit in ("B", "K", "M", "G"):
        if n < 1000:
            return f"{n:.0f}{unit}" if unit == "B" or n >= 100 else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}T"


class Steady:
    """A number shown with hysteresis: it changes only when the reading has moved by a visible
    step from what is shown (CPU jitters by a point or two every sample). With `hold`, what is
    compared is the peak of the last `hold` readings: memory that jumps with every health
    check (a process started in the container) shows its peak instead of flickering."""

    def __init__(self, absolute: float, relative: float, hold: int = 1) -> None:
        self.absolute = absolute
        self.relative = relative
        self.hold = hold
        self._shown: dict[str, float] = {}
        self._recent: dict[str, deque[float]] = {}

    def __call__(self, key: str, value: float | None) -> float | None:
        if value is None:
            self._shown.pop(key, None)
            self._recent.pop(key, None)
            return None
        if self.hold > 1:
            recent = self._recent.setdefault(key, deque(maxlen=self.hold))
            recent.append(value)
            value = max(recent)
        shown = self._shown.get(key)
        if shown is None or abs(value - shown) >= max(self.absolute, self.relative * shown):
            self._shown[key] = shown = value
        return shown

    def keep(self, keys: Iterable[str]) -> None:
        wanted = set(keys)
        for gone in set(self._shown) - wanted:
            del self._shown[gone]
        for gone in set(self._recent) - wanted:
            del self._recent[gone]


def container_rows(
    r: ContainersReading,
    findings: list[Finding],
    now: float,
    order: dict[str, int] | None = None,
    cpu: Steady | None = None,
    mem: Steady | None = None,
) -> list[Row]:
    levels = {f.id: f.level for f in findings}
    if order is None:  # the reading lists the configured services first, in their order
        order = {c.name: i for i, c in enumerate(r.containers) if c.expected}
    rows = []
    for engine in r.engines:
        if engine.error is None:
            continue
        # A dead engine is one row; the alert strip carries its whole error.
        rows.append(
            Row(
                name=clean(f"{engine.name}/ (engine)"),
                status=clean(engine.error.split(":", 1)[0]),
                cpu="—",
                mem="—",
                up="—",
                restarts="—",
                level=levels.get(f"engine:{engine.name}", Level.UNKNOWN),
                order=-1,
                cpu_value=-1.0,
                mem_value=-1.0,
                host=engine.name,
            )
        )
    for c in r.containers:
        where = c.where
        level = levels.get(f"container:{where}", Level.UNKNOWN)
        if c.name == r.api and "api_cpu" in levels:
            level = max(level, levels["api_cpu"])
        cpu_pct = cpu(where, c.cpu_pct) if cpu else c.cpu_pct
        mem_bytes = mem(where, c.mem_bytes) if mem else c.mem_bytes
        up = "—"
        if c.state == "running" and c.started_at is not None:
            up = uptime_text(now - c.started_at)
        rows.append(
            Row(
                # Names and states come from the engine: characters, never markup or control.
                name=clean(where),
                status=clean(status_text(c)),
                cpu="—" if cpu_pct is None else f"{cpu_pct:.0f}%",
                mem="—" if mem_bytes is None else mem_text(mem_bytes),
                up=up,
                restarts=str(c.restarts) if c.state != "missing" else "—",
                level=level,
                order=order.get(c.name, len(order)),
                cpu_value=-1.0 if cpu_pct is None else cpu_pct,
                mem_value=-1.0 if mem_bytes is None else float(mem_bytes),
                host=c.host,
            )
        )
    return rows


def sort_rows(rows: list[Row], by: str) -> list[Row]:
    if by == "name":
        return sorted(rows, key=lambda r: r.name)
    if by == "cpu":
        return sorted(rows, key=lambda r: (-r.cpu_value, r.name))
    if by == "mem":
        return sorted(rows, key=lambda r: (-r.mem_value, r.name))
    # Problems first: critical, warning, unknown, then ok; the configured services in their
    # order within a level, then the rest by name; with several engines, grouped by host.
    rank = {Level.CRIT: 0, Level.WARN: 1, Level.UNKNOWN: 2, Level.OK: 3}
    return sorted(rows, key=lambda r: (rank[r.level], r.host, r.order, r.name))


@dataclass(frozen=True, slots=True)
class Layout:
    columns: tuple[tuple[str, int], ...]  # (column, width); "name" includes the symbol
    gap: int


def layout(rows: list[Row], width: int) -> Layout:
    """Column widths from the text they hold. Names stay whole while any optional column can
    give way; spare room widens the gaps up to `MAX_GAP` and the rest stays at the right."""

    def need(column: str) -> int:
        cells = [cell_len(r.cell(column)) for r in rows]
        return max([cell_len(HEADERS[column]), *cells])

    name = max([cell_len("name"), *(cell_len(r.name) for r in rows)]) + 2  # "✖ " before it
    columns = ["name", "status", "cpu", "mem", "up", "restarts"]
    widths = {c: (name if c == "name" else need(c)) for c in columns}

    def total(cols: list[str], gap: int) -> int:
        return sum(widths[c] for c in cols) + gap * (len(cols) - 1)

    gap = 2
    for dropped in range(len(OPTIONAL) + 1):
        kept = [c for c in columns if c not in OPTIONAL[:dropped]]
        if total(kept, 1) <= width:
            break
    if total(kept, 2) > width:
        gap = 1
    spare = width - total(kept, gap)
    if spare > 0 and len(kept) > 1:
        gap = min(MAX_GAP, gap + spare // (len(kept) - 1))
    if total(kept, gap) > width:  # even alone the name is too long: it gives way, with "…"
        widths["name"] = max(3, widths["name"] - (total(kept, gap) - width))
    return Layout(tuple((c, widths[c]) for c in kept), gap)


def _fit(text: str, width: int, right: bool) -> str:
    if cell_len(text) > width:
        return text[: max(0, width - 1)] + "…"
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


class ContainersTable(ScrollView, can_focus=True):
    """The rows, drawn line by line: a header that stays, the rows below it scrolling."""

    DEFAULT_CSS = """
    ContainersTable { height: auto; max-height: 14; scrollbar-size-vertical: 1; }
    ContainersTable:focus { background-tint: $foreground 4%; }
    Screen.wall ContainersTable { max-height: 16; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "cycle_sort", "Sort containers", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.dim = False
        self.empty = "no data yet"  # shown when there are no rows
        self.sort = SORTS[0]
        self._layout: Layout | None = None
        self._layout_width = -1

    # --- updates ------------------------------------------------------------------------------

    def set_rows(self, rows: list[Row], dim: bool) -> int:
        """Show these rows; redraws only the lines that changed. Returns how many it redrew."""
        rows = sort_rows(rows, self.sort)
        old, old_dim = self.rows, self.dim
        self.rows, self.dim = rows, dim
        width = self.scrollable_content_region.width or self.size.width
        new_layout = layout(rows, width) if width > 0 else None
        if len(rows) != len(old):
            self.virtual_size = Size(width, self._height())
        if new_layout != self._layout or dim != old_dim or len(rows) != len(old):
            self._layout = new_layout
            self.refresh()
            return len(rows) + 1
        changed = 0
        for i, (before, after) in enumerate(zip(old, rows, strict=True)):
            if before != after:
                self.refresh_lines(i + 1)
                changed += 1
        return changed

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.set_rows(self.rows, self.dim)
        self.refresh()

    def on_resize(self, event: Resize) -> None:
        width = self.scrollable_content_region.width
        self._layout = layout(self.rows, width) if width > 0 else None
        self.virtual_size = Size(width, self._height())
        self.refresh()

    def _height(self) -> int:
        return len(self.rows) + 1 if self.rows else 1

    # --- drawing ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._layout is None or width <= 0:
            self._layout = layout(self.rows, max(1, width))
        if not self.rows:
            if y > 0:
                return Strip.blank(width, self.rich_style)
            text = _fit(self.empty, width, False)
            return Strip([Segment(text, self.rich_style + Style(dim=True))])
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        return self._row(self.rows[index], width)

    def _header(self, width: int) -> Strip:
        assert self._layout is not None
        style = self.rich_style + Style(dim=True)
        segments = []
        for i, (column, w) in enumerate(self._layout.columns):
            if i:
                segments.append(Segment(" " * self._layout.gap, style))
            title = HEADERS[column] + ("▾" if self._sorted_by(column) else "")
            if column == "name":
                title = "  " + title
            segments.append(Segment(_fit(title, w, column in RIGHT), style))
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def _sorted_by(self, column: str) -> bool:
        return (self.sort, column) in (("name", "name"), ("cpu", "cpu"), ("mem", "mem")) or (
            self.sort == "problems" and column == "status"
        )

    def _row(self, row: Row, width: int) -> Strip:
        assert self._layout is not None
        base = self.rich_style
        level_style = base + Style.parse("dim" if self.dim else LEVEL_STYLE[row.level])
        plain = base + (Style(dim=True) if self.dim else Style())
        segments = []
        for i, (column, w) in enumerate(self._layout.columns):
            if i:
                segments.append(Segment(" " * self._layout.gap, plain))
            if column == "name":
                # The symbol is its own cell: a cut name never takes it (colour is not the only
                # signal of a level).
                segments.append(Segment(f"{row.level.symbol} ", level_style))
                segments.append(Segment(_fit(row.name, w - 2, False), level_style))
            elif column == "status":
                segments.append(Segment(_fit(row.status, w, False), level_style))
            else:
                segments.append(Segment(_fit(row.cell(column), w, True), plain))
        return Strip(segments).adjust_cell_length(width, base)

    def text_lines(self) -> list[str]:
        """Every line as plain text (all rows, not only the visible ones): for tests and dumps."""
        width = self.scrollable_content_region.width or 80
        self._layout = layout(self.rows, width)
        lines = [self._header(width).text]
        lines += [self._row(r, width).text for r in self.rows]
        return lines


class ContainersPane(Vertical):
    """The bordered pane: its level colours the border, the table and the name filter inside."""

    DEFAULT_CSS = """
    ContainersPane {
        border: round $secondary;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 1;
        height: auto;
    }
    ContainersPane.level-ok { border: round $success; }
    ContainersPane.level-warn { border: heavy $warning; }
    ContainersPane.level-crit { border: heavy $error; }
    ContainersPane.level-unknown { border: round $secondary; border-subtitle-color: $text-muted; }
    ContainersPane #containers-filter { display: none; height: 1; border: none; padding: 0; }
    ContainersPane.filtering #containers-filter { display: block; }
    ContainersPane #containers-empty { height: 1; }
    Screen.wall ContainersPane { padding: 0 2; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title
        self.level = Level.UNKNOWN
        self.filter = ""
        self._all: list[Row] = []
        self._dim = False
        self._empty = "no data yet"
        self._subtitle: str | None = None
        self._shown_title: str | None = None
        self._header_key: tuple | None = None
        self.cpu = Steady(absolute=1.0, relative=0.1)
        # Memory: the peak of the last 15 readings (half a minute at the default cadence).
        self.mem = Steady(absolute=0.0, relative=0.1, hold=15)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter by name (Esc clears)", id="containers-filter")
        yield ContainersTable(id="containers-table")

    def on_mount(self) -> None:
        self._set_title()

    @property
    def table(self) -> ContainersTable:
        return self.query_one(ContainersTable)

    # --- what the app hands down --------------------------------------------------------------

    def _set_level(self, level: Level, subtitle: str) -> None:
        if level is not self.level or not self.has_class(f"level-{level.word}"):
            for cls in LEVEL_CLASSES:
                self.set_class(cls == f"level-{level.word}", cls)
        self.level = level
        if self._subtitle != subtitle:
            self._subtitle = subtitle
            self.border_subtitle = plain(subtitle)  # a source's error text: never markup
        self._set_title()

    def _set_title(self) -> None:
        shown = len(self._visible())
        count = (
            f" ({shown} of {len(self._all)} · /{self.filter})"
            if self.filter
            else f" ({len(self._all)})"
            if self._all
            else ""
        )
        title = f"{self._title}{count} {self.level.symbol}"
        if self._shown_title != title:
            self._shown_title = title
            self.border_title = plain(title)  # the filter is typed by the operator

    def _visible(self) -> list[Row]:
        if not self.filter:
            return self._all
        needle = self.filter.lower()
        return [r for r in self._all if needle in r.name.lower()]

    def show_containers(
        self,
        r: ContainersReading,
        findings: list[Finding],
        now: float,
        level: Level,
        subtitle: str = "",
        dim: bool = False,
        order: dict[str, int] | None = None,
    ) -> int:
        """Shows the reading; returns how many lines were redrawn."""
        self._all = container_rows(r, findings, now, order, self.cpu, self.mem)
        self.cpu.keep(c.where for c in r.containers)
        self.mem.keep(c.where for c in r.containers)
        self._dim = dim
        self._set_level(level, subtitle)
        return self.table.set_rows(self._visible(), dim)

    def show_empty(self, level: Level, subtitle: str, text: str = "no data yet") -> None:
        self._all = []
        self._empty = text
        self._set_level(level, subtitle)
        table = self.table
        if table.empty != text:
            table.empty = text
            table.refresh()
        table.set_rows([], False)

    def rendered_text(self) -> str:
        """The pane's table as plain text, every row (for tests: what the user can scroll to)."""
        if not self._all:
            return self._empty
        return "\n".join(self.table.text_lines())

    # --- the name filter ----------------------------------------------------------------------

    def start_filter(self) -> None:
        self.add_class("filtering")
        field = self.query_one("#containers-filter", Input)
        field.value = self.filter
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter = event.value.strip()
        self._set_title()
        self.table.set_rows(self._visible(), self._dim)
        self.table.scroll_to(y=0, animate=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.filter:
            self.remove_class("filtering")
        self.table.focus()

    def key_escape(self) -> None:
        self.filter = ""
        self.query_one("#containers-filter", Input).value = ""
        self.remove_class("filtering")
        self._set_title()
        self.table.set_rows(self._visible(), self._dim)
        self.table.focus()
