"""The replay clock: where in the recording the screen stands, and the keys that move it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from console.durations import format_countdown, format_duration

KEYS = "space play/pause · ←/→ 1 min · PgUp/PgDn 10 min · n/p alert · m/M milestone · +/- speed"


@dataclass(frozen=True, slots=True)
class ReplayPosition:
    playing: bool
    speed: float
    offset: float  # seconds from launch
    wall: str  # the instant in UTC and the launch zone
    done: float  # seconds into the recording
    length: float  # the recording's length in seconds


class ReplayBar(Static):
    DEFAULT_CSS = """
    ReplayBar { height: 2; background: $boost; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__("", id="replay-bar")
        self._key: ReplayPosition | None = None

    def show_position(self, p: ReplayPosition) -> None:
        if p == self._key:
            return
        self._key = p
        text = Text(no_wrap=True, overflow="ellipsis")
        state = f" ▶ REPLAY ×{p.speed:g} " if p.playing else " ⏸ REPLAY paused "
        text.append(state, style="bold reverse")
        text.append(f" {format_countdown(p.offset)} ", style="bold")
        text.append(f" {p.wall} ")
        share = 0.0 if p.length <= 0 else min(1.0, max(0.0, p.done / p.length))
        width = 20
        filled = round(share * width)
        text.append(" [" + "█" * filled + "░" * (width - filled) + "] ", style="dim")
        text.append(f"{format_duration(p.done)} of {format_duration(p.length)}")
        text.append("\n")
        text.append(KEYS, style="dim")
        self.update(text)
