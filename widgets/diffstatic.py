"""A Static that repaints only the cells that changed.

Textual writes to the terminal every line of a widget that is refreshed, border and padding
included: a pane whose one value changed (the Redis ping, a countdown's seconds) costs its
whole box. This widget keeps the lines it last drew; on `update` it renders the new content at
the same width, compares line by line and marks dirty only the span of cells that differs on
each changed line. Textual then sends each changed line from the widget's left edge to the
end of its span (not the whole box, not the lines that did not change). A change of height
(or of width, for an auto-width widget) still lays out and redraws the whole widget.

It draws through the Line API (`render_line`), and `render()` returns the content so that
Textual sizes it (auto height, auto width) exactly as it sizes a Static.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import RenderableType
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

Cell = tuple[str, object]  # (character, style); a wide character's second cell is ("", style)


def _cells(strip: Strip) -> list[Cell]:
    cells: list[Cell] = []
    for segment in strip:
        text, style = segment.text, segment.style
        if text.isascii():
            cells.extend((ch, style) for ch in text)
            continue
        for ch in text:
            width = cell_len(ch)
            if width:
                cells.append((ch, style))
                cells.extend(("", style) for _ in range(width - 1))
    return cells


def changed_span(old: Strip, new: Strip) -> tuple[int, int] | None:
    """The cells [start, end) of `new` that differ from `old`, or None if the line is the same.

    Whole cells are compared (character and style), from the left and from the right: a
    countdown whose last digit moved yields a one-cell span."""
    if old == new:
        return None
    a, b = _cells(old), _cells(new)
    if a == b:
        return None
    n = min(len(a), len(b))
    start = 0
    while start < n and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    end = max(end_a, end_b)
    # A wide character half-changed: repaint it whole.
    while start > 0 and start < len(b) and b[start][0] == "":
        start -= 1
    while end < len(b) and b[end][0] == "":
        end += 1
    return start, max(end, start + 1)


class DiffStatic(Widget):
    """Shows one renderable (Text, or any Rich renderable); `update` repaints only what moved."""

    DEFAULT_CSS = """
    DiffStatic { height: auto; }
    """

    def __init__(
        self,
        content: RenderableType = "",
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: RenderableType = Text(content) if isinstance(content, str) else content
        self._drawn: list[Strip] = []
        self._drawn_width = 0
        self._drawn_for: tuple | None = None  # (width, style) the strips were rendered for
        self.cells_repainted = 0  # cells marked dirty by partial updates (the benchmark, tests)
        self.full_repaints = 0

    @property
    def content(self) -> RenderableType:
        """What the widget shows (as Static's `content`)."""
        return self._shown

    def render(self) -> RenderableType:
        # Textual sizes the widget from this (auto height and width), as it does a Static.
        return self._shown

    def update(self, content: RenderableType = "", *, layout: bool = True) -> None:
        """Show `content`. `layout`: the size may have changed; it is checked here, so a new
        layout is done only when the line count (or an auto width's text width) did change."""
        # Text from outside the code is never markup: a string is shown as it is.
        self._shown = Text(content) if isinstance(content, str) else content
        key = self._draw_key()
        if not self.is_mounted or key is None or key != self._drawn_for or not self._drawn:
            self._drawn_for = None
            self.full_repaints += 1
            self.refresh(layout=True)
            return
        old, old_width = self._drawn, self._drawn_width
        new, new_width = self._render_strips(key[0])
        auto_width = self.styles.width is None or self.styles.width.is_auto
        if len(new) != len(old) or (auto_width and new_width != old_width):
            self._drawn, self._drawn_width = new, new_width
            self.full_repaints += 1
            self.refresh(layout=True)
            return
        regions = []
        for y, (before, after) in enumerate(zip(old, new, strict=True)):
            span = changed_span(before, after)
            if span is not None:
                start, end = span
                regions.append(Region(start, y, end - start, 1))
                self.cells_repainted += end - start
        self._drawn, self._drawn_width = new, new_width
        if regions:  # none: the same picture, nothing to send
            self.refresh(*regions)

    def _draw_key(self) -> tuple | None:
        width = self.content_size.width
        if width <= 0:
            return None
        return (width, self.visual_style)

    def _render_strips(self, width: int) -> tuple[list[Strip], int]:
        visual: Visual = visualize(self, self._shown, markup=False)
        strips = Visual.to_strips(self, visual, width, None, self.visual_style)
        natural = max((s.cell_length for s in strips), default=0)
        style = self.visual_style.rich_style
        return [s.extend_cell_length(width, style).crop(0, width) for s in strips], natural

    def render_line(self, y: int) -> Strip:
        key = self._draw_key()
        if key is None:
            return Strip.blank(0)
        if key != self._drawn_for:
            self._drawn, self._drawn_width = self._render_strips(key[0])
            self._drawn_for = key
        if y < len(self._drawn):
            return self._drawn[y]
        return Strip.blank(key[0], self.visual_style.rich_style)

    def text_lines(self) -> list[str]:
        """The lines as drawn, as plain text (tests)."""
        return [strip.text for strip in self._drawn]
