"""`?` draws every key of the screen it is opened over, readable at 80x24 (main, runbook, a dialog).

The old help passed a test that only read its bindings list while it drew an empty 4x2 box: these
tests read what is drawn.
"""

from textual.widgets import Button

from tests.helpers import demo_app
from tests.screen import screen_lines, screen_text
from widgets.confirm import ConfirmModal
from widgets.help import HelpScreen, key_rows


def drawn_rows(app) -> str:
    """What is drawn inside the help box (title line included), border and padding cut off."""
    box = app.screen.query_one("#help").region
    lines = screen_lines(app)[box.y : box.bottom]
    return "\n".join(line[box.x + 1 : box.right - 1].strip() for line in lines)


async def open_help(app, pilot, key="question_mark"):
    under = app.screen
    rows = key_rows(under, app.read_only)
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    return rows


def assert_every_row_drawn(rows, text):
    for keys, what in rows:
        first_words = " ".join(what.split()[:3])
        line = next((ln for ln in text.splitlines() if ln.startswith(keys.split()[0])), None)
        assert line is not None, f"key {keys!r} not drawn"
        assert first_words in text, f"{keys!r}: {what!r} not drawn"


async def test_help_draws_every_key_of_the_main_screen_at_80x24():
    app, _, _ = demo_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.sweep()
        rows = await open_help(app, pilot)
        text = drawn_rows(app)
        assert "Keys: main screen" in text
        # Every key on one 80x24 screen, without scrolling.
        assert_every_row_drawn(rows, text)
        for keys in ("q", "g", "w", "r", "R", "D", "A", "P", "B", "^p"):
            assert any(k == keys for k, _ in rows for k in k.split()), keys
        assert "rollback (runbook 4.3)" in text and "(refused: read-only)" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_on_the_runbook_screen_lists_its_keys_then_the_apps():
    app, _, _ = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.sweep()
        await pilot.press("g")
        await pilot.pause()
        rows = await open_help(app, pilot)
        seen = drawn_rows(app)
        await pilot.press("end")  # a long list scrolls inside its box
        await pilot.pause()
        seen += "\n" + drawn_rows(app)
        assert "Keys: runbook screen" in seen
        assert_every_row_drawn(rows, seen)
        keys = " ".join(k for k, _ in rows).split()
        for key in ("space", "1-5", "i", "x", "s", "u", "q", "R"):
            assert key in keys, key


async def test_f1_opens_the_keys_of_a_dialog():
    app, _, _ = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.sweep()
        await pilot.press("D")  # the disk clean-up's confirmation
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        rows = await open_help(app, pilot, key="f1")
        text = drawn_rows(app)
        assert "Keys: confirmation" in text
        assert_every_row_drawn(rows, text)
        assert "R" not in " ".join(k for k, _ in rows).split()  # no action keys in a dialog
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert isinstance(app.focused, Button) and app.focused.id == "cancel"
        assert "Disk clean-up" in screen_text(app)
