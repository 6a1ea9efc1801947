"""`?`: every key and what it does; and the war-room display's high-contrast theme."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.theme import Theme
from textual.widgets import Static

# Pure colours on black: survives a washed-out projector. Levels also carry words and symbols.
HIGH_CONTRAST = Theme(
    name="launch-high-contrast",
    primary="#00D7FF",
    secondary="#FFFFFF",
    accent="#FFFF00",
    warning="#FFD700",
    error="#FF3030",
    success="#00FF5F",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#202020",
    dark=True,
)

EXTRA_KEYS = [
    ("ctrl+p", "command palette: every action, with the same refusals as the keys"),
    ("escape", "close a dialog; Cancel is the default in every confirmation"),
]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help { width: auto; max-width: 100; height: auto; border: heavy $accent;
                       background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, bindings: list[BindingType], read_only: bool) -> None:
        super().__init__()
        self.bindings = [b for b in bindings if isinstance(b, Binding)]
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for b in self.bindings:
            key = {"question_mark": "?"}.get(b.key, b.key)
            what = b.description
            if b.action.startswith("remediate") and self.read_only:
                what += "  (refused: read-only)"
            table.add_row(key, what)
        for key, what in EXTRA_KEYS:
            table.add_row(key, what)
        with Vertical(id="help"):
            yield Static("Keys", classes="title")
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
