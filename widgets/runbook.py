"""The runbook screen (`g`): pre-launch checklist, go/no-go board, milestones, incidents,
first-hour criteria and status posts. It renders what the app gives it; keys call back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.geometry import Region
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Static

from console.durations import format_duration
from console.judge.board import Gate, Verdict
from console.launchday import Incident, ladder
from console.text import clean, plain
from widgets.help import HELP_BINDING

OK, BAD, UNKNOWN = ("✔", "green"), ("✖", "bold red"), ("?", "magenta")
MILESTONE_MARKS = {
    "passed": OK,
    "failed": BAD,
    "not judged": UNKNOWN,
    "in progress": ("▶", "yellow"),
    "upcoming": ("·", "dim"),
}


def mark(ok: bool | str | None) -> tuple[str, str]:
    if ok == "warn":
        return "▲", "yellow"  # a checklist item in its warning band: not a failure
    return UNKNOWN if ok is None else (OK if ok else BAD)


@dataclass
class RunbookView:
    """Everything the runbook screen shows, computed by the app from live values."""

    # id, title, owner, ok (True / False / "warn" / None), value or who ticked it
    checklist: list[tuple[str, str, str, bool | str | None, str]]
    manual_ids: list[str]
    gates: list[Gate]
    owners: list[tuple[str, str]]  # owner, go|hold|—
    verdict: Verdict
    # id, T-offset, "10:15 EDT · 14:15 UTC", title, state (upcoming, in progress, passed,
    # failed, not judged), detail
    milestones: list[tuple[str, str, str, str, str, str]]
    incidents: list[Incident]
    first_hour: list[tuple[str, str, str, bool | None]]
    now: float
    launch_zone_time: str  # the (delayed) launch time, for a HOLD
    verdict_line: tuple[str, str] = ("PENDING", "")
    zone_note: str = ""  # the runbook's EST labels, an hour off in April: said once
    milestones_line: str = ""  # how the milestones went, once none is ahead


class RunbookScreen(Screen[None]):
    DEFAULT_CSS = """
    RunbookScreen #page { height: 1fr; }
    RunbookScreen Grid { grid-size: 2; grid-rows: 1fr 1fr; height: 100%; }
    RunbookScreen .box { border: round $secondary; padding: 0 1; height: 100%; overflow-y: auto; }
    /* under 120 columns: one column, each box as tall as it needs, the screen scrolls */
    RunbookScreen.compact Grid { grid-size: 1; grid-rows: auto; height: auto; }
    RunbookScreen.compact .box { height: auto; }
    RunbookScreen #checklist { height: auto; }
    """
    HELP_TITLE = "runbook screen"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,g", "app.pop_screen", "Back"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("space", "tick", "Tick item"),
        Binding("1,2,3,4,5", "noop", "Go/Hold owner 1-5", key_display="1-5"),
        Binding("i", "open_incident", "Incident"),
        Binding("x", "resolve_incident", "Resolve"),
        Binding("s", "status_post", "Status post"),
        Binding("u", "enter_numbers", "GA4 users / PH votes"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cursor = 0
        self.view: RunbookView | None = None

    def compose(self) -> ComposeResult:
        # The page must not take the focus: up/down move the checklist cursor, and the page
        # follows it.
        with VerticalScroll(id="page", can_focus=False), Grid():
            # The checklist outgrows its box: it scrolls inside it, following the cursor.
            with VerticalScroll(id="checklist-box", classes="box", can_focus=False):
                yield Static(id="checklist")
            yield Static(id="gonogo", classes="box")
            yield Static(id="milestones", classes="box")
            yield Static(id="incidents", classes="box")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "checklist": "Pre-launch checklist (T-2h)",
            "gonogo": "Go / No-Go (T-15)",
            "milestones": "Milestones",
            "incidents": "Incidents · first hour",
        }
        for wid, title in titles.items():
            self.query_one(f"#{wid}").border_title = title
        self.set_class(self.app.size.width < 120, "compact")
        self.app.refresh_runbook()  # type: ignore[attr-defined]

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < 120, "compact")

    # keys -> the app, which owns the state and the refusals
    def action_move(self, delta: int) -> None:
        if self.view:
            self.cursor = max(0, min(len(self.view.checklist) - 1, self.cursor + delta))
            self.show(self.view)
            # Keep the selected item in sight: inside its box, and on a scrolling page.
            box = self.query_one("#checklist-box", VerticalScroll)
            box.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False)
            row = box.region.y + 1 + self.cursor - int(box.scroll_y)
            page = self.query_one("#page", VerticalScroll)
            page.scroll_to_region(Region(0, row, 1, 1).translate(page.scroll_offset), animate=False)

    def action_tick(self) -> None:
        if self.view:
            self.app.tick_item(self.view.checklist[self.cursor][0])  # type: ignore[attr-defined]

    def action_noop(self) -> None:
        pass

    def on_key(self, event) -> None:
        if event.key in "12345" and len(event.key) == 1 and self.view:
            i = int(event.key) - 1
            if i < len(self.view.owners):
                self.app.toggle_owner(self.view.owners[i][0])  # type: ignore[attr-defined]
                event.stop()

    def action_open_incident(self) -> None:
        self.app.open_incident()  # type: ignore[attr-defined]

    def action_resolve_incident(self) -> None:
        self.app.resolve_incident()  # type: ignore[attr-defined]

    def action_enter_numbers(self) -> None:
        self.app.enter_numbers()  # type: ignore[attr-defined]

    def action_status_post(self) -> None:
        self.app.status_post()  # type: ignore[attr-defined]

    # rendering
    def show(self, view: RunbookView) -> None:
        self.view = view
        self.cursor = min(self.cursor, max(0, len(view.checklist) - 1))
        self.query_one("#checklist", Static).update(self._checklist(view))
        self.query_one("#gonogo", Static).update(self._gonogo(view))
        self.query_one("#milestones", Static).update(self._milestones(view))
        self.query_one("#incidents", Static).update(self._incidents(view))

    def _checklist(self, view: RunbookView) -> Table:
        t = Table(box=None, show_header=False, padding=(0, 1), expand=True)
        t.add_column(width=1)
        t.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
        t.add_column(no_wrap=True)
        t.add_column(no_wrap=True, overflow="ellipsis", max_width=34)
        for i, (item_id, title, owner, ok, value) in enumerate(view.checklist):
            symbol, style = mark(ok)
            manual = item_id in view.manual_ids
            cursor = "›" if i == self.cursor else " "
            # Titles and owners come from the config, values from the stack or the state file:
            # every cell is a Text (a str cell would be parsed as markup).
            title_text = plain(
                ("☐ " if manual and not ok else "") + title,
                "reverse" if i == self.cursor else "",
            )
            t.add_row(cursor, title_text, plain(owner), plain(f"{symbol} {value}", style))
        return t

    def _gonogo(self, view: RunbookView) -> Text:
        text = Text()
        text.append("P0 gates\n", style="bold")
        for g in view.gates:
            symbol, style = mark(g.ok)
            text.append(f" {symbol} {clean(g.title)}: {clean(g.value)}\n", style=style)
        text.append("\nOwners (keys 1-5 toggle Go / Hold)\n", style="bold")
        for i, (owner, call) in enumerate(view.owners, 1):
            style = {"go": "green", "hold": "bold red"}.get(call, "dim")
            shown = clean(str(call).upper() if call != "—" else "—")
            text.append(f" {i}. {clean(owner):<6} {shown}\n", style=style)
        v = view.verdict
        text.append("\nRex calls: ", style="bold")
        text.append(f" {v.call} ", style="bold black on green" if v.ok else "bold white on red")
        text.append(f"  {clean(v.reason)}\n")
        if v.new_launch is not None:
            text.append(f"new launch time: {view.launch_zone_time}\n", style="bold yellow")
        return text

    def _milestones(self, view: RunbookView) -> Text:
        text = Text()
        if view.zone_note:
            text.append(f"{clean(view.zone_note)}\n", style="yellow")
        for _mid, at, when, title, state, detail in view.milestones:
            # Only a milestone whose conditions held is ✔; a failed one ✖; one without a verdict
            # (nothing to judge, no reading, not watched) ?; one under way ▶; one to come ·.
            symbol, style = MILESTONE_MARKS.get(state, ("?", "magenta"))
            text.append(f"{symbol} {at:<7} {when}  {clean(title)}", style=style)
            text.append(f"  {clean(detail)}\n", style="dim")
        if view.milestones_line and all(m[4] != "upcoming" for m in view.milestones):
            text.append(f"{clean(view.milestones_line)}\n", style="bold")
        return text

    def _incidents(self, view: RunbookView) -> Text:
        text = Text()
        active = [i for i in view.incidents if i.active]
        if not active:
            text.append("no open incident (i opens one)\n", style="green")
        for inc in active:
            style = "bold red" if inc.severity == "P1" else "yellow"
            age = format_duration(view.now - inc.opened_at)
            head = f"{clean(inc.severity)} #{inc.id} {clean(inc.summary)}"
            text.append(f"{head}  open {age}\n", style=style)
            for at, what, due in ladder(inc, view.now):
                text.append(
                    f"   {'▶' if due else '·'} {at:<6} {clean(what)}\n",
                    style="bold" if due else "dim",
                )
        resolved = [i for i in view.incidents if not i.active][-3:]
        for inc in resolved:
            head = f"✔ {clean(inc.severity)} #{inc.id} {clean(inc.summary)}"
            text.append(f"{head}: {clean(inc.root_cause)}\n", style="dim")
        text.append("\nFirst hour (Section 6)\n", style="bold")
        for metric, target, value, ok in view.first_hour:
            symbol, style = mark(ok)
            text.append(f" {symbol} {metric:<22} {target:<8} {clean(value)}\n", style=style)
        word, why = view.verdict_line
        style = {"SUCCESS": "bold black on green", "FAILED": "bold white on red"}.get(
            word, "bold black on yellow"
        )
        text.append("\nLaunch: ", style="bold")
        text.append(f" {word} ", style=style)
        text.append(f"  {clean(why)}\n")
        return text


class TextModal(ModalScreen[str | None]):
    """One line of text (an incident summary, a root cause); Escape cancels."""

    DEFAULT_CSS = """
    TextModal { align: center middle; }
    TextModal Vertical { width: 80; height: auto; border: heavy $accent; background: $surface;
                         padding: 0 1; }
    """
    HELP_TITLE = "text entry"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel"), HELP_BINDING]

    def __init__(self, prompt: str, placeholder: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.prompt, "bold"))  # it quotes an incident's summary
            yield Input(placeholder=self.placeholder, id="text")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())


class PostModal(ModalScreen[str | None]):
    """A filled-in status text: c copies it (OSC 52), p posts it to Slack, Escape closes."""

    DEFAULT_CSS = """
    PostModal { align: center middle; }
    PostModal Vertical { width: 90; height: auto; border: heavy $accent; background: $surface;
                         padding: 0 1; }
    """
    HELP_TITLE = "status post"
    BINDINGS: ClassVar[list[BindingType]] = [
        HELP_BINDING,
        Binding("escape", "close", "Close"),
        Binding("c", "copy", "Copy"),
        Binding("p", "post", "Post to Slack"),
        Binding("tab", "next", "Next template"),
    ]

    def __init__(self, posts: list[tuple[str, str]]) -> None:
        super().__init__()
        self.posts = posts
        self.index = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="post")
            yield Static(
                Text("c copy · p post to Slack · tab next template · escape close", style="dim")
            )

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        title, body = self.posts[self.index]
        # Status texts quote summaries and values: several lines, each one cleaned.
        self.query_one("#post", Static).update(
            Text(f"{title}\n\n", style="bold") + plain(body, newlines=True)
        )

    @property
    def text(self) -> str:
        return self.posts[self.index][1]

    def action_next(self) -> None:
        self.index = (self.index + 1) % len(self.posts)
        self._show()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("Copied to the clipboard.")

    def action_post(self) -> None:
        self.dismiss(self.text)

    def action_close(self) -> None:
        self.dismiss(None)
