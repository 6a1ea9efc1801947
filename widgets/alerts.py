"""The alert strip: what is firing, rollback triggers first."""

from __future__ import annotations

from rich.text import Text

from console.alerting import Tracked
from console.rules import Level
from console.text import clean
from widgets.pane import LEVEL_STYLE, Pane


class AlertStrip(Pane):
    DEFAULT_CSS = """
    AlertStrip { height: auto; max-height: 8; }
    """

    def __init__(self, *, id: str | None = None, max_lines: int = 4) -> None:
        super().__init__("Alerts", id=id)
        self.max_lines = max_lines

    def show_alerts(self, tracked: list[Tracked]) -> bool:
        """Alerts as tracked over time: repeats carry their count instead of a new line."""
        shown = tracked[: self.max_lines]
        more = len(tracked) - len(shown)
        key = (tuple((t.alert.level, t.text) for t in shown), more)
        level = max((t.alert.level for t in tracked), default=Level.OK)
        alerts = [t.alert for t in tracked]

        def build() -> Text:
            if not alerts:
                return Text("✔ nothing firing", style="green")
            # Alerts wrap rather than lose their end: "for 14m (≥ 10m)" is the point.
            text = Text()
            for i, t in enumerate(shown):
                a = t.alert
                if i:
                    text.append("\n")
                loud = a.rollback and a.level == Level.CRIT
                style = LEVEL_STYLE[a.level] + (" reverse" if loud else "")
                text.append(f"{a.level.symbol} {clean(t.text)}", style=style)
            if more:
                text.append(f"\n  … and {more} more", style="dim")
            return text

        # Alerts wrap, so their height follows the texts: relayout when the texts change length.
        return self.show(key, level, build, lines=hash(tuple(len(t.text) for t in shown)) ^ more)
