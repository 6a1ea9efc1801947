"""Live progress of a run: each step's state and what it found, and how the run ended.

It shows a run as every console sees it (console.actions.runs.RunView), whichever console or
process runs it. Closing it never stops the run; `x` asks to stop it after the step running,
`d` tells the guided restore that the restore by hand is done. Both are posted to the app as a
`Signal` (the app tells the runner).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from console.actions.runs import RunView, clock_time
from console.text import clean, plain
from widgets.help import HELP_BINDING
from widgets.question import QuestionModal

MARKS = {
    "pending": ("·", "dim"),
    "started": ("▶", "bold cyan"),
    "ok": ("✔", "green"),
    "skipped": ("↷", "yellow"),
    "failed": ("✖", "bold red"),
    "aborted": ("■", "bold yellow"),
    "interrupted": ("✖", "bold red"),
    "not run": ("–", "dim"),
}


def progress_text(view: RunView, zone: str, local: bool = False) -> Text:
    text = Text()
    for i, step in enumerate(view.steps, 1):
        mark, style = MARKS.get(step.status, ("?", ""))
        text.append(f"{mark} {i}. {clean(step.title)}", style=style)
        text.append(f"  [{step.status}]\n", style=style)
        if step.detail:
            # Errors, file names, command output: outside text, one line per step.
            text.append(f"     {clean(step.detail)}\n", style="dim")
        if step.status == "started" and step.id == "restore_by_hand" and not view.finished:
            text.append(
                "     waiting for the person restoring: press d when it is done\n",
                style="bold yellow",
            )
    if view.finished:
        ended = f" at {clock_time(view.ended, zone)}" if view.ended else ""
        if view.ok:
            text.append(f"\nDone{ended}: every step verified.\n", style="bold green")
            for line in view.result:
                text.append("\n" + clean(line, newlines=True) + "\n", style="bold")
        elif view.outcome == "interrupted":
            text.append(
                f"\nINTERRUPTED{ended}: the runner died (pid {view.pid}). A step marked "
                "interrupted may or may not have taken effect: check the stack before acting "
                "again.\n",
                style="bold red",
            )
        elif view.outcome == "aborted":
            text.append(
                f"\nABORTED{ended} on purpose: the steps above say what was done and what was "
                "not.\n",
                style="bold yellow",
            )
        else:
            text.append(
                f"\nStopped{ended} at the first failure: the steps above say what was done "
                "and what was not.\n",
                style="bold red",
            )
        if view.error:
            text.append(f"runner error: {clean(view.error)}\n", style="red")
    if view.note:
        text.append(f"\n{clean(view.note)}\n", style="bold red")
    if view.finished:
        keys = "Escape closes" + (", c copies the post" if view.result and view.ok else "")
    else:
        where = "in this console (the demo)" if local else f"in its runner (pid {view.pid})"
        keys = f"Escape closes this view: the run goes on {where}; a reopens it · x stops it"
    text.append(f"\n{keys}", style="dim")
    return text


class ProgressScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ProgressScreen { align: center middle; }
    ProgressScreen #box {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: heavy $accent; background: $surface; padding: 0 1;
    }
    ProgressScreen #scroll { height: auto; }
    """
    HELP_TITLE = "action progress"
    BINDINGS: ClassVar[list[BindingType]] = [
        HELP_BINDING,
        Binding("escape", "close", "Close", tooltip="close this view (the run goes on)"),
        # The app's q does not reach through a dialog: here too it asks first during a run.
        Binding("q", "app.quit", "Quit", show=False, tooltip="quit the console (asks first)"),
        Binding(
            "x",
            "abort",
            "Stop the run",
            tooltip="stop the run after the step running now (asks first; recorded aborted)",
        ),
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

    class Signal(Message):
        """Tell the run's runner something: kind `abort` or `done`."""

        def __init__(self, run: str, kind: str) -> None:
            super().__init__()
            self.run = run
            self.kind = kind

    def __init__(self, view: RunView, zone: str, read_only: bool = False, local: bool = False):
        super().__init__()
        self.view = view
        self.run = view.run
        self.zone = zone
        self.read_only = read_only
        self.local = local

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(self._title(), id="title")
            with VerticalScroll(id="scroll"):
                yield Static(progress_text(self.view, self.zone, self.local), id="steps")

    def _title(self) -> Text:
        view = self.view
        state = "finished" if view.finished else "running"
        since = clock_time(view.since, self.zone) if view.since else "?"
        return plain(f"{view.title}: {state} · by {view.operator} since {since}", "bold")

    def on_mount(self) -> None:
        self.show(self.view)  # what changed while it was being composed

    @property
    def finished(self) -> bool:
        return self.view.finished

    def show(self, view: RunView) -> None:
        self.view = view
        try:
            title, steps = self.query_one("#title", Static), self.query_one("#steps", Static)
        except NoMatches:
            return  # not composed yet: compose draws it
        title.update(self._title())
        steps.update(progress_text(view, self.zone, self.local))

    def action_close(self) -> None:
        if not self.view.finished:
            self.notify("The run goes on; a shows it again.")
        self.dismiss(None)

    def action_abort(self) -> None:
        if self.view.finished:
            return
        if self.read_only:
            self.notify("READ-ONLY console (--read-only): it cannot stop a run.", severity="error")
            return
        i, step = self.view.position()
        current = f"step {i} ({step.title})" if step is not None else "the step running"
        question = QuestionModal(
            f"Stop {self.view.title}?",
            f"The run stops after {current} ends; the steps after it are not run. "
            "This is recorded as aborted, with your name.",
            yes="Stop after this step",
            no="Keep running",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.post_message(self.Signal(self.run, "abort"))

        self.app.push_screen(question, answered)

    def action_done_by_hand(self) -> None:
        waiting = any(s.status == "started" and s.id == "restore_by_hand" for s in self.view.steps)
        if waiting and not self.view.finished:
            self.post_message(self.Signal(self.run, "done"))

    def action_copy_post(self) -> None:
        if self.view.finished and self.view.result and self.view.ok:
            # OSC 52: reaches the operator's own clipboard, over SSH too.
            self.app.copy_to_clipboard("\n".join(self.view.result))
            self.notify("Post copied to the clipboard.")
