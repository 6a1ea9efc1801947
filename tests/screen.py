"""What the user sees: the running app's screen as plain text lines, exactly as composited."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_lines(app: App) -> list[str]:
    """Every row of the terminal as the compositor draws it (dialogs over their background)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        color_system=None,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    lines = console.export_text().split("\n")
    return lines[:height]


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))
