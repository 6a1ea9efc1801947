"""The bordered pane every metric lives in: border coloured by the pane's worst level."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text

from console.kinds.kind import Row as KindRow
from console.rules import Level
from console.text import clean, plain
from widgets.diffstatic import DiffStatic

LEVEL_STYLE = {
    Level.OK: "green",
    Level.WARN: "yellow",
    Level.CRIT: "bold red",
    Level.UNKNOWN: "magenta",
}
LEVEL_CLASSES = tuple(f"level-{level.word}" for level in Level)

# A row of a metric pane (label, value, the value's level): what a source kind's rows give.
Row = KindRow


class RowsView:
    """Label / value / level rows laid out at render time, when the pane's width is known.

    Values are never cut while they fit the pane: labels give way first (with an ellipsis),
    and values line up on the right edge.
    Colour is never the only signal: every levelled value carries its symbol.
    """

    def __init__(self, rows: list[Row], dim: bool = False) -> None:
        self.rows = rows
        self.dim = dim

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for label, value, level in self.rows:
            # Each row gives its label what its own value leaves: short values keep long labels.
            # Labels and values can come from outside (a state name, a path, an error).
            label, value = clean(label), clean(value)
            value_width = min(cell_len(value), max(1, width - 3))
            label_width = max(0, width - value_width - 3)
            style = "dim" if self.dim else (LEVEL_STYLE[level] if level is not None else "")
            line = Text(no_wrap=True, overflow="ellipsis")
            shown = Text(label, style="dim italic" if self.dim else "dim")
            shown.truncate(label_width, overflow="ellipsis", pad=True)
            line.append_text(shown)
            line.append(" ")
            cell = Text(value, style=style)
            cell.truncate(value_width, overflow="ellipsis")
            line.append_text(cell)
            line.append(" ")
            line.append(level.symbol if level is not None else " ", style=style)
            yield line


class Pane(DiffStatic):
    """A pane that redraws only when what it shows has changed, and then only the cells that
    changed.

    Subclasses compute a plain, hashable `key` (the rows) before building any Rich object;
    `show` compares it to the last one and skips the update if nothing moved. When it did
    move, `DiffStatic` sends the terminal only the changed cells (one value of a pane, the
    seconds of a countdown), not the whole box.
    """

    DEFAULT_CSS = """
    Pane {
        border: round $secondary;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 1;
        height: auto;
    }
    Pane.level-ok { border: round $success; }
    Pane.level-warn { border: heavy $warning; }
    Pane.level-crit { border: heavy $error; }
    Pane.level-unknown { border: round $secondary; border-subtitle-color: $text-muted; }
    """

    # Whether the title carries the level's symbol (not for the clock, which has no level).
    SHOW_LEVEL = True

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.border_title = plain(title)
        self._title = title
        self._key: Hashable = None
        self._lines: int | None = None
        self._shown_title: str | None = None
        self._shown_subtitle = ""
        self.level = Level.UNKNOWN

    def show(
        self,
        key: Hashable,
        level: Level,
        build: Callable[[], RenderableType],
        subtitle: str = "",
        lines: int | None = None,
    ) -> bool:
        """Show new content if `key` differs from what is shown; returns True if it redrew."""
        full_key = (key, level, subtitle)
        if full_key == self._key:
            return False
        self._key = full_key
        self.level = level
        self.set_class(True, f"level-{level.word}")
        for cls in LEVEL_CLASSES:
            if cls != f"level-{level.word}":
                self.set_class(False, cls)
        title = f"{self._title} {level.symbol}" if self.SHOW_LEVEL else self._title
        # Setting a border title repaints the whole widget even when it is the same text.
        if title != self._shown_title:
            self._shown_title = title
            self.border_title = plain(title)
        if subtitle != self._shown_subtitle:
            self._shown_subtitle = subtitle
            # The subtitle carries a source's error text: plain, never markup.
            self.border_subtitle = plain(subtitle)
        # A new layout only when the pane's height may change (DiffStatic checks that it did):
        # relayout of the whole screen was most of the console's idle CPU.
        relayout = lines is None or lines != self._lines
        self._lines = lines
        self.update(build(), layout=relayout)
        return True


class MetricsPane(Pane):
    """Rows of label / value / level: the pool, PostgreSQL, Redis, host, traffic, smoke panes."""

    def show_rows(
        self, rows: list[Row], level: Level, subtitle: str = "", dim: bool = False
    ) -> bool:
        key = (tuple(rows), dim)
        return self.show(key, level, lambda: RowsView(rows, dim), subtitle, lines=len(rows))
