"""The confirmation modal: the whole plan first, Cancel focused, nothing runs on cancel.

`y` confirms and `n` / Escape / Enter-on-Cancel cancel. A plan with a confirm word (the
rollback) confirms only when that word is typed into the field and Enter pressed there: `y`
does nothing then, and the Confirm button stays disabled until the word is typed.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key, Resize
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from console.actions.plan import Plan
from console.text import clean, plain
from widgets.help import HELP_BINDING


def plan_text(plan: Plan) -> Text:
    # File names, paths, names typed by the operator and config strings are all in here: each
    # line is cleaned, so a name with a newline or an escape sequence stays on its own line.
    text = Text()
    for line in plan.preview:
        text.append(clean(line) + "\n", style="dim" if line.startswith("  ") else "")
    if plan.preview:
        text.append("\n")
    for i, step in enumerate(plan.steps, 1):
        text.append(f"{i}. {clean(step.title)}\n", style="bold")
        text.append(f"   target  {clean(step.target)}\n")
        text.append(f"   call    {clean(step.call)}\n", style="cyan")
        text.append(f"   expect  {clean(step.expect)}\n", style="dim")
    return text


class ConfirmModal(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal #dialog {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: heavy $error; background: $surface; padding: 0 1;
    }
    ConfirmModal #plan { height: auto; }
    ConfirmModal #buttons { height: auto; align-horizontal: right; }
    ConfirmModal Button { margin-left: 2; }
    """
    HELP_TITLE = "confirmation"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding(
            "n",
            "cancel",
            "Cancel",
            show=False,
            tooltip="cancel (so do escape, and enter on Cancel)",
        ),
        Binding(
            "y",
            "confirm",
            "Confirm",
            show=False,
            tooltip="confirm (for the rollback and the restore: type the word, then enter)",
        ),
        Binding("pageup", "scroll_plan(-1)", "Plan up", show=False, tooltip="scroll the plan up"),
        Binding(
            "pagedown", "scroll_plan(1)", "Plan down", show=False, tooltip="scroll the plan down"
        ),
        HELP_BINDING,
    ]

    def __init__(self, plan: Plan, operator: str) -> None:
        super().__init__()
        self.plan = plan
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(plain(f"{self.plan.title}: what will be done", "bold"), id="title")
            with VerticalScroll(id="plan"):
                yield Static(plan_text(self.plan))
            yield Static(
                plain(f"as {self.operator}; every step is written to the audit log", "dim")
            )
            word = self.plan.confirm_word
            if word:
                yield Input(
                    placeholder=f"type {word} and press Enter to arm",
                    id="word",
                    select_on_focus=False,
                )
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Confirm", id="confirm", variant="error", disabled=bool(word))

    def on_mount(self) -> None:
        # The less destructive choice wins: Cancel has the focus, Enter cancels.
        self.query_one("#cancel", Button).focus()
        self._fit(self.app.size.height)

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        # The plan scrolls; the buttons and the field stay on screen (at 80x24 too).
        others = 2 + 1 + 1 + 3 + (3 if self.plan.confirm_word else 0)
        self.query_one("#plan").styles.max_height = max(3, height - 2 - others)

    def on_key(self, event: Key) -> None:
        # Typing the confirm word goes to its field even while Cancel has the focus (which it
        # keeps for Enter): ROLLBACK typed straight away just works; y and n keep their meaning.
        # A printable key that reaches the dialog was not taken by the field (the field stops
        # what it types): it goes in now, whatever has the focus by the time it got here. (A
        # burst — fast typing over SSH, a paste — is routed to Cancel key by key while the focus
        # moves to the field; deciding by the focus at this point dropped all but the first.)
        word_input = self.query("#word")
        typed = event.is_printable and event.character and event.key not in ("y", "n")
        if self.plan.confirm_word and word_input and typed:
            field = word_input.first(Input)
            if not field.has_focus:
                field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()

    def action_scroll_plan(self, pages: int) -> None:
        plan = self.query_one("#plan", VerticalScroll)
        if pages < 0:
            plan.scroll_page_up(animate=False)
        else:
            plan.scroll_page_down(animate=False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        if self.plan.confirm_word:
            self.notify(
                f"Type {self.plan.confirm_word} in the field and press Enter.", severity="warning"
            )
            return
        self.dismiss(True)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.plan.confirm_word

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self.plan.confirm_word:
            self.dismiss(True)
        else:
            self.notify(
                f"Not confirmed: type {self.plan.confirm_word} exactly.", severity="warning"
            )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm" and not event.button.disabled)
