"""`?`: every key of the screen it was opened over, and what it does; and the war-room display's
high-contrast theme.

The list comes from the screen's live bindings (`Screen.active_bindings`), so it is always the
keys that work there: the main screen's, the runbook screen's, a dialog's. Keys with one action
share a line ("q ^q"), Textual's scrolling keys are one line, and an action the console refuses
here says so.

Why the box is sized in code: Textual 8.2 lays out the children of a `width: auto` container at
width 0 (`Widget.shrink` is on by default), so the old help (a `width: auto` Vertical holding
Statics) drew an empty 4x2 box. Here the box's width is computed from its text.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen, Screen
from textual.theme import Theme
from textual.widgets import Input, Static

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

# Textual's own actions, said in the console's words; the scrolling ones share one line.
SCROLL_ACTIONS = {
    "scroll_up",
    "scroll_down",
    "scroll_left",
    "scroll_right",
    "scroll_home",
    "scroll_end",
    "page_up",
    "page_down",
    "page_left",
    "page_right",
}
BUILT_IN = {
    "press": "press the focused button (Cancel, first)",
    "command_palette": "command palette: every action, same refusals as the keys",
    "copy_text": "copy the text selected with the mouse",
    "focus_next": "next box",
    "focus_previous": "previous box",
    "quit": "quit",
}
# Keys that say the same as another key on the line, or that no terminal here sends.
SKIP_KEYS = {"super+c", "ctrl+pageup", "ctrl+pagedown"}

# The help key on every dialog: ? where no text field takes it, F1 everywhere.
HELP_BINDING = Binding("question_mark,f1", "app.help", "Keys", show=False)


def _action_name(action: str) -> str:
    """'app.focus_next' -> 'focus_next'; "remediate('rollback')" -> "remediate('rollback')"."""
    return action.split(".", 1)[1] if action.startswith(("app.", "screen.")) else action


def key_rows(screen: Screen, read_only: bool = False) -> list[tuple[str, str]]:
    """(keys, what they do) for every key that works on `screen`: its own keys, the app's, then
    Textual's (focus, copy, palette, scrolling)."""
    app = screen.app
    lines: dict[str, tuple[list[str], str]] = {}
    built_in: dict[str, tuple[list[str], str]] = {}
    scroll: list[str] = []
    typing = False
    for key, active in screen.active_bindings.items():
        binding = active.binding
        action = _action_name(binding.action)
        if isinstance(active.node, Input):
            typing = True  # a text field's editing keys are the usual ones: one line for all
            continue
        if key in SKIP_KEYS or action == "help":
            continue
        shown = app.get_key_display(binding)
        if action in SCROLL_ACTIONS:
            if shown not in scroll:
                scroll.append(shown)
            continue
        what = BUILT_IN.get(action) or binding.tooltip or binding.description
        if not what:
            continue
        if action.startswith("remediate") and read_only:
            what += " (refused: read-only)"
        group = built_in if action in BUILT_IN and action != "quit" else lines
        slot = group.setdefault(action, ([], what))
        if shown not in slot[0]:
            slot[0].append(shown)
    rows = [
        (" ".join(sorted(keys, key=len)), what)
        for keys, what in (*lines.values(), *built_in.values())
    ]
    if typing:
        rows.append(("enter", "submit the text field (typing goes to the field)"))
    if scroll:
        rows.append((" ".join(scroll), "scroll"))
    rows.append(("? F1", "this list (escape closes it)"))
    return rows


def keys_text(rows: list[tuple[str, str]], width: int) -> Content:
    """The rows as two columns; a long description wraps under itself, never under the keys."""
    key_width = min(max((cell_len(k) for k, _ in rows), default=1), 9)
    indent = " " * (key_width + 2)
    parts: list[str | tuple[str, str]] = []
    for i, (keys, what) in enumerate(rows):
        if i:
            parts.append("\n")
        if cell_len(keys) > key_width:  # a long key list gets a line of its own
            parts += [(keys, "bold $accent"), "\n" + indent]
        else:
            parts += [(keys.ljust(key_width), "bold $accent"), "  "]
        room = max(10, width - key_width - 2)
        line = ""
        for word in what.split(" "):
            if line and cell_len(line) + 1 + cell_len(word) > room:
                parts.append(line + "\n" + indent)
                line = word
            else:
                line = f"{line} {word}" if line else word
        parts.append(line)
    return Content.assemble(*parts)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help { height: auto; max-height: 100%; border: heavy $accent;
                       background: $surface; padding: 0 1; scrollbar-size-vertical: 1; }
    HelpScreen #keys { width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark,f1", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]
    MAX_WIDTH = 96

    def __init__(self, rows: list[tuple[str, str]], title: str) -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = f"Keys: {self.title_text}"
            box.border_subtitle = "escape closes"
            yield Static(id="keys")

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.query_one("#help").focus()  # the arrows and PgUp/PgDn scroll a long list

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, screen_width: int) -> None:
        # Border 2 + padding 2 + scrollbar 1: the text gets the rest.
        room = max(20, min(self.MAX_WIDTH, screen_width) - 5)
        text = keys_text(self.rows, room)
        natural = max((cell_len(line) for line in text.plain.split("\n")), default=10)
        box = self.query_one("#help")
        box.styles.width = min(screen_width, max(natural, cell_len(box.border_title or "") + 2) + 5)
        self.query_one("#keys", Static).update(text)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
