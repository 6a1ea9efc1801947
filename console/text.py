"""Text from outside the code, made safe to draw: the one helper every renderer uses.

Anything a source, a file, a config, an operator or a lock/state file gave us is data, never
markup and never terminal control: Textual parses `[...]` in plain strings (`[/x]` raises
MarkupError and kills the app) and a raw ESC/OSC sequence reaches the terminal (screen clear,
window title, OSC 52 clipboard). So such text goes in as `rich.text.Text` built from `clean()`.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 control characters (ESC, CSI, OSC, BEL, CR, NUL, DEL ...) and the Unicode
# bidirectional overrides that can make a line read differently from what it holds.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\u2028\u2029]")
REPLACEMENT = "\ufffd"  # shown where a control character was: visible, never acted on


def clean(text: object, *, newlines: bool = False) -> str:
    """`text` as a string with every control character replaced by a visible mark.

    Line breaks become a space (a file name with a newline must not split a preview line),
    or stay as `\\n` when `newlines` is true (multi-line texts such as a status post). Tabs
    become a space.
    """
    s = str(text)
    s = _LINE_BREAKS.sub("\n" if newlines else " ", s)
    s = s.replace("\t", " ")
    if newlines:
        return "\n".join(_CONTROL.sub(REPLACEMENT, part) for part in s.split("\n"))
    return _CONTROL.sub(REPLACEMENT, s)


def plain(text: object, style: str = "", *, newlines: bool = False) -> Text:
    """A `Text` of outside text: never parsed as markup, control characters made visible."""
    return Text(clean(text, newlines=newlines), style=style)
