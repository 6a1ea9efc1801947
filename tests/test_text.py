"""The plain-text helper: outside text is never markup and never terminal control."""

from console.text import REPLACEMENT, clean, plain


def test_markup_is_kept_as_characters():
    assert plain("[/api/search] [bold]x").plain == "[/api/search] [bold]x"


def test_escape_sequences_are_made_visible():
    shown = clean("a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc\x00")
    assert "\x1b" not in shown and "\x07" not in shown and "\x00" not in shown
    assert shown.count(REPLACEMENT) == 4


def test_line_breaks_do_not_split_a_line_unless_allowed():
    assert clean("old\nfile\r.json") == "old file .json"
    assert clean("line 1\r\nline 2", newlines=True) == "line 1\nline 2"


def test_bidi_overrides_are_replaced():
    assert "\u202e" not in clean("invoice\u202efdp.exe")
