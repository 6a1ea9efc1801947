"""The alert strip: what is firing, rollback triggers first."""

from __future__ import annotations

from rich.text import Text

from console.rules import Alert, Level
from widgets.pane import LEVEL_STYLE, Pane


class AlertStrip(Pane):
    DEFAULT_CSS = """
    AlertStrip { height: auto; max-height: 8; }
    """

    def __init__(self, *, id: str | None = None, max_lines: int = 4) -> None:
        super().__init__("Alerts", id=id)
        self.max_lines = max_lines

    def show_alerts(self, alerts: list[Alert]) -> bool:
        shown = alerts[: self.max_lines]
        more = len(alerts) - len(shown)
        key = (tuple((a.level, a.text) for a in shown), more)
        level = max((a.level for a in alerts), default=Level.OK)

        def build() -> Text:
            if not alerts:
                return Text("✔ nothing firing", style="green")
            # Alerts wrap rather than lose their end: "for 14m (≥ 10m)" is the point.
            text = Text()
            for i, a in enumerate(shown):
                if i:
                    text.append("\n")
                style = LEVEL_STYLE[a.level] + (
                    " reverse" if a.rollback and a.level == Level.CRIT else ""
                )
                text.append(f"{a.level.symbol} {a.text}", style=style)
            if more:
                text.append(f"\n  … and {more} more", style="dim")
            return text

        return self.show(key, level, build)
