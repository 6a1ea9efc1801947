"""A yes/no question before something that cannot be taken back (quit during a run, stop a run).

The less destructive answer has the focus: Enter, `n` and Escape keep things as they are; `y`
(or the button) says yes.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.text import plain
from widgets.help import HELP_BINDING


class QuestionModal(ModalScreen[bool]):
    DEFAULT_CSS = """
    QuestionModal { align: center middle; }
    QuestionModal #question {
        width: 80; max-width: 95%; height: auto; border: heavy $warning;
        background: $surface; padding: 0 1;
    }
    QuestionModal #buttons { height: auto; align-horizontal: right; }
    QuestionModal Button { margin-left: 2; }
    """
    HELP_TITLE = "question"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes", show=False, tooltip="yes"),
        HELP_BINDING,
    ]

    def __init__(self, title: str, text: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="question"):
            yield Static(plain(self.title_text, "bold"), id="title")
            # The text quotes outside text (an operator's name, a step's title): never markup.
            yield Static(plain(self.text, newlines=True), id="text")
            with Horizontal(id="buttons"):
                yield Button(f"{self.no} (n)", id="no", variant="primary")
                yield Button(f"{self.yes} (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")
