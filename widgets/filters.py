"""Line filters for terminals that cannot show everything: ASCII only, and no colour.

Textual passes every line it draws through the app's line filters, so these cover every
screen, dialog, toast and Textual's own widgets (footer, scrollbars) at once. Both keep each
line's cell width (one ASCII character per cell), and both cache per text or style: a filter
runs only for the lines that are repainted.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter

from console.terminal import Terminal

# One ASCII character for each cell of what the console draws. Rounded corners become the
# classic ASCII-art box (.-. and '-'), so that the big clock's digits still read as digits.
_BOX = {
    "─": "-", "━": "=", "│": "|", "┃": "|", "┄": "-", "┅": "=", "┆": "|", "┇": "|",
    "┈": "-", "┉": "=", "┊": "|", "┋": "|", "╌": "-", "╍": "=", "╎": "|", "╏": "|",
    "═": "=", "║": "|", "╭": ".", "╮": ".", "╰": "'", "╯": "'",
    "╴": "-", "╶": "-", "╸": "=", "╺": "=", "╵": "'", "╷": ".", "╹": "'", "╻": ".",
    "▏": "|", "▕": "|", "▎": "|", "▍": "|", "▌": "|", "▐": "|", "▋": "|", "▊": "|",
    "▉": "|", "▔": "-", "▁": "_",  # Textual's "tall" borders (buttons, inputs)
}  # fmt: skip
_SYMBOLS = {
    "✔": "+", "✓": "+", "▲": "!", "✖": "X", "✗": "X", "…": "~", "·": "-", "•": "*",
    "—": "-", "–": "-", "×": "x", "▾": "*", "▴": "^", "▸": ">", "◂": "<", "→": ">",
    "←": "<", "↑": "^", "↓": "v", "≥": ">", "≤": "<", "≠": "#", "±": "+", "°": "o",
    "‘": "'", "’": "'", "“": '"', "”": '"', "⏵": ">", "⏸": "=", "⏹": "#", "↻": "@",
    "🔎": "?",
}  # fmt: skip


def _fallback(ch: str) -> str:
    code = ord(ch)
    width = cell_len(ch)
    if width == 0:
        return ""  # a combining mark: its base letter is already there
    if 0x2500 <= code <= 0x257F:  # the rest of the box drawing block: a junction
        return "+"
    if 0x2580 <= code <= 0x259F:  # blocks and shades (scrollbar thumbs, bars)
        return "#" if ch not in "░" else ":"
    if 0x2800 <= code <= 0x28FF:  # braille: where the dots are
        dots = code - 0x2800
        top, bottom = dots & 0b00011011, dots & 0b11100100
        return ":" if top and bottom else "'" if top else "." if bottom else " "
    # Accented and full-width letters: the letter itself (é -> e, Ａ -> "A "), else a "?" a cell.
    decomposed = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    if 0 < len(decomposed) <= width:
        return decomposed.ljust(width)
    return "?" * width


_TABLE = {ord(k): v for k, v in (_BOX | _SYMBOLS).items()}


@lru_cache(maxsize=4096)
def to_ascii(text: str) -> str:
    """`text` in ASCII, cell for cell."""
    if text.isascii():
        return text
    out = text.translate(_TABLE)
    if out.isascii():
        return out
    return "".join(ch if ch.isascii() else _fallback(ch) for ch in out)


class AsciiOnly(LineFilter):
    """Every character sent is ASCII."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(s.text.isascii() for s in segments):
            return segments
        return [
            s if s.text.isascii() else Segment(to_ascii(s.text), s.style, s.control)
            for s in segments
        ]


@lru_cache(maxsize=1024)
def _uncoloured(style: Style) -> Style:
    # Attributes stay (bold, dim, italic, underline, reverse, strike) and so do links and the
    # mouse's metadata; the colours go.
    return style.without_color


class Uncoloured(LineFilter):
    """No colour at all (NO_COLOR): the terminal's own foreground and background, with bold,
    reverse and underline for emphasis. Unlike Textual's grey-scale filter it adds nothing."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(text, None if style is None else _uncoloured(style), control)
            for text, style, control in segments
        ]


def terminal_filters(terminal: Terminal) -> list[LineFilter]:
    """The filters this terminal needs (none for a UTF-8 terminal in colour)."""
    filters: list[LineFilter] = []
    if not terminal.colour:
        filters.append(Uncoloured())
    if terminal.ascii:
        filters.append(AsciiOnly())
    return filters
