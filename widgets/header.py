"""The top line: what this console is watching, and in which mode."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from console.text import clean


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, name: str, mode: str, detail: str, read_only: bool) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("launch-console", style="bold")
        text.append(f"  {clean(name)}  ")
        text.append(
            f" {mode} ", style="bold black on yellow" if mode == "DEMO" else "bold white on blue"
        )
        if detail:
            text.append(f" {clean(detail)}", style="dim")
        if read_only:
            text.append("  ")
            text.append(" READ-ONLY ", style="bold white on red")
        super().__init__(text, id="status-bar")
