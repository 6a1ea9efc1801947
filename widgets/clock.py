"""The countdown clock: T-/T+ to launch, the phase, and the next milestone."""

from __future__ import annotations

from rich.text import Text

from console.durations import format_countdown, format_duration, format_offset
from console.rules import Level
from console.timeline import PRE_LAUNCH, Countdown
from widgets.pane import Pane


class CountdownPane(Pane):
    SHOW_LEVEL = False

    def show_countdown(self, c: Countdown, wall: str) -> bool:
        nxt = c.next_milestone
        if nxt is not None and c.to_next is not None:
            owner = f" ({nxt.owner})" if nxt.owner else ""
            upcoming = (
                f"next {format_offset(nxt.at)} {nxt.title}{owner} in {format_duration(c.to_next)}"
            )
        else:
            upcoming = "all milestones passed"
        key = (format_countdown(c.offset), c.phase, upcoming, wall, c.launch_utc, c.launch_local)

        def build() -> Text:
            text = Text()
            style = "bold yellow" if c.phase == PRE_LAUNCH else "bold cyan"
            text.append(format_countdown(c.offset), style=f"{style} reverse")
            text.append(f"  {c.phase}\n", style=style)
            text.append(f"launch {c.launch_utc} · {c.launch_local}\n", style="dim")
            text.append(f"now    {wall}\n", style="dim")
            text.append(upcoming)
            return text

        return self.show(key, Level.OK, build)
