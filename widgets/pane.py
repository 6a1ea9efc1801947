"""The bordered pane every metric lives in: border coloured by the pane's worst level."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from console.rules import Level

LEVEL_STYLE = {
    Level.OK: "green",
    Level.WARN: "yellow",
    Level.CRIT: "bold red",
    Level.UNKNOWN: "magenta",
}
LEVEL_CLASSES = tuple(f"level-{level.word}" for level in Level)

# A row of a metric pane: label, value, and the value's level (None: information only).
Row = tuple[str, str, Level | None]


def level_text(level: Level) -> Text:
    return Text(f"{level.symbol} {level.word}", style=LEVEL_STYLE[level])


def rows_table(rows: list[Row], dim: bool = False) -> Table:
    """Label / value / level columns; colour is never the only signal (symbols too)."""
    table = Table.grid(padding=(0, 1), expand=True)
    # Values are never cut: their column is as wide as the widest; labels give way instead.
    value_width = max((len(value) for _, value, _ in rows), default=1)
    table.add_column(
        "label", style="dim italic" if dim else "dim", no_wrap=True, overflow="ellipsis"
    )
    table.add_column("value", justify="right", no_wrap=True, min_width=value_width)
    table.add_column("level", width=1, no_wrap=True)
    for label, value, level in rows:
        style = "dim" if dim else (LEVEL_STYLE[level] if level is not None else "")
        symbol = Text(level.symbol, style=style) if level is not None else Text("")
        table.add_row(label, Text(value, style=style), symbol)
    return table


class Pane(Static):
    """A pane that redraws only when what it shows has changed.

    Subclasses compute a plain, hashable `key` (the rows) before building any Rich object;
    `show` compares it to the last one and skips the update if nothing moved. That keeps idle
    terminal output near zero: the compositor redraws a widget only when it is refreshed.
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
        self.border_title = title
        self._title = title
        self._key: Hashable = None
        self.level = Level.UNKNOWN

    def show(
        self,
        key: Hashable,
        level: Level,
        build: Callable[[], RenderableType],
        subtitle: str = "",
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
        self.border_title = f"{self._title} {level.symbol}" if self.SHOW_LEVEL else self._title
        self.border_subtitle = subtitle
        self.update(build())
        return True


class MetricsPane(Pane):
    """Rows of label / value / level: the pool, PostgreSQL, Redis, host, traffic, smoke panes."""

    def show_rows(
        self, rows: list[Row], level: Level, subtitle: str = "", dim: bool = False
    ) -> bool:
        key = (tuple(rows), dim)
        return self.show(key, level, lambda: rows_table(rows, dim), subtitle)
