"""Two names before a guided database restore: who does it, and who authorised it (4.5)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from widgets.help import HELP_BINDING


class NamesModal(ModalScreen[tuple[str, str] | None]):
    DEFAULT_CSS = """
    NamesModal { align: center middle; }
    NamesModal #box { width: 70; height: auto; border: heavy $error; background: $surface;
                      padding: 0 1; }
    """
    HELP_TITLE = "database restore: names"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        HELP_BINDING,
    ]

    def __init__(self, operator: str) -> None:
        super().__init__()
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(
                Text(
                    "Database restore (runbook 4.5): data corruption only.\n"
                    "Only Bolt executes it; Rex must authorise.",
                    style="bold",
                )
            )
            yield Input(value=self.operator, placeholder="operator (who restores)", id="operator")
            yield Input(placeholder="authorised by (e.g. Rex)", id="authoriser")
            yield Static(Text("Enter in the last field continues; Escape cancels.", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#authoriser", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        operator = self.query_one("#operator", Input).value.strip()
        authoriser = self.query_one("#authoriser", Input).value.strip()
        if not operator or not authoriser:
            self.notify("Both names are needed.", severity="warning")
        elif operator.lower() == authoriser.lower():
            self.notify(
                "The authoriser must be someone other than the operator.", severity="warning"
            )
        else:
            self.dismiss((operator, authoriser))
