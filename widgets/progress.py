"""Live progress of a running remediation: each step's state and what it found."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from console.actions.plan import Plan
from widgets.help import HELP_BINDING

MARKS = {
    "pending": ("·", "dim"),
    "started": ("▶", "bold cyan"),
    "ok": ("✔", "green"),
    "skipped": ("↷", "yellow"),
    "failed": ("✖", "bold red"),
    "not run": ("–", "dim"),
}


def progress_text(plan: Plan, finished: bool) -> Text:
    text = Text()
    for i, step in enumerate(plan.steps, 1):
        mark, style = MARKS.get(step.status, ("?", ""))
        text.append(f"{mark} {i}. {step.title}", style=style)
        text.append(f"  [{step.status}]\n", style=style)
        if step.detail:
            text.append(f"     {step.detail}\n", style="dim")
        if step.status == "started" and step.id == "restore_by_hand":
            text.append(
                "     waiting for the person restoring: press d when it is done\n",
                style="bold yellow",
            )
    if finished:
        if plan.ok:
            text.append("\nDone: every step verified.\n", style="bold green")
            for line in plan.result:
                text.append("\n" + line + "\n", style="bold")
        else:
            text.append(
                "\nStopped at the first failure: the steps above say what was done "
                "and what was not.\n",
                style="bold red",
            )
        text.append(
            "\nEscape closes" + (", c copies the post" if plan.result and plan.ok else ""),
            style="dim",
        )
    return text


class ProgressScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ProgressScreen { align: center middle; }
    ProgressScreen #box {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: heavy $accent; background: $surface; padding: 0 1;
    }
    """
    HELP_TITLE = "action progress"
    BINDINGS: ClassVar[list[BindingType]] = [
        HELP_BINDING,
        Binding("escape", "close", "Close", tooltip="close (once every step has finished)"),
        Binding(
            "c", "copy_post", "Copy post", show=False, tooltip="copy the post to the clipboard"
        ),
        Binding(
            "d",
            "done_by_hand",
            "Restore done",
            show=False,
            tooltip="the restore by hand is done: verify",
        ),
    ]

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(Text(f"{self.plan.title}: running", style="bold"), id="title")
            yield Static(progress_text(self.plan, False), id="steps")

    def update_plan(self, finished: bool = False) -> None:
        self.finished = finished
        state = "finished" if finished else "running"
        self.query_one("#title", Static).update(Text(f"{self.plan.title}: {state}", style="bold"))
        self.query_one("#steps", Static).update(progress_text(self.plan, finished))

    def action_close(self) -> None:
        if not self.finished:
            self.notify("Steps are still running; they cannot be interrupted half-way.")
            return
        self.dismiss(None)

    def action_done_by_hand(self) -> None:
        event = self.plan.done_by_hand
        waiting = any(s.status == "started" and s.id == "restore_by_hand" for s in self.plan.steps)
        if event is not None and waiting:
            event.set()

    def action_copy_post(self) -> None:
        if self.finished and self.plan.result:
            # OSC 52: reaches the operator's own clipboard, over SSH too.
            self.app.copy_to_clipboard("\n".join(self.plan.result))
            self.notify("Post copied to the clipboard.")
