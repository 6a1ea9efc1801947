"""The countdown clock: T-/T+ to launch, the phase, and the next milestone."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.renderables.digits import Digits as DigitsRenderable

from console.durations import format_countdown
from console.rules import Level
from console.text import clean
from console.timeline import PRE_LAUNCH, Countdown, next_milestone_text
from widgets.diffstatic import DiffStatic
from widgets.pane import Pane


class CountdownPane(Pane):
    SHOW_LEVEL = False

    def show_countdown(self, c: Countdown, wall: str) -> bool:
        upcoming = next_milestone_text(c)
        key = (format_countdown(c.offset), c.phase, upcoming, wall, c.launch_utc, c.launch_local)

        def build() -> Text:
            text = Text()
            style = "bold yellow" if c.phase == PRE_LAUNCH else "bold cyan"
            text.append(format_countdown(c.offset), style=f"{style} reverse")
            text.append(f"  {c.phase}\n", style=style)
            text.append(f"launch {c.launch_utc} · {c.launch_local}\n", style="dim")
            text.append(f"now    {wall}\n", style="dim")
            text.append(clean(upcoming))  # a milestone's title and owner, from the config
            return text

        return self.show(key, Level.OK, build, lines=len(upcoming))


class BigDigits(DiffStatic):
    """Textual's 3x3 digits, repainting only the glyphs that changed (the seconds, each second)."""

    DEFAULT_CSS = """
    BigDigits { width: auto; height: 3; }
    """

    def __init__(self, value: str = "", *, id: str | None = None) -> None:
        super().__init__(DigitsRenderable(value), id=id)
        self.value = value

    def show(self, value: str) -> bool:
        if value == self.value:
            return False
        self.value = value
        self.update(DigitsRenderable(value))
        return True

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return DigitsRenderable.get_width(self.value)


class BigClock(Vertical):
    """The countdown for the room: big digits, the phase, and the next milestone."""

    DEFAULT_CSS = """
    BigClock { height: auto; border: round $secondary; padding: 0 1; width: 1fr; }
    BigClock #big-line { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Countdown to launch"
        self._key: tuple | None = None
        self._line_length = -1

    def compose(self) -> ComposeResult:
        yield BigDigits("", id="big-digits")
        yield DiffStatic("", id="big-line")

    def show_countdown(self, c: Countdown, wall: str) -> bool:
        # Digits has no T: the sign says which side of T-0 we are on, the line says the rest.
        digits = format_countdown(c.offset)[1:]
        upcoming = next_milestone_text(c)
        key = (digits, c.phase, upcoming, c.launch_utc, c.launch_local)
        if key == self._key:
            return False
        line_changed = self._key is None or key[1:] != self._key[1:]
        self._key = key
        self.query_one(BigDigits).show(digits)
        if not line_changed:
            return True  # the digits tick each second; the line under them rarely changes
        style = "bold yellow" if c.phase == PRE_LAUNCH else "bold cyan"
        line = Text()
        line.append(f"{c.phase}", style=f"{style} reverse")
        line.append(f"  launch {c.launch_utc} · {c.launch_local}\n", style="dim")
        line.append(clean(upcoming))
        relayout = len(upcoming) != self._line_length
        self._line_length = len(upcoming)
        self.query_one("#big-line", DiffStatic).update(line, layout=relayout)
        return True
