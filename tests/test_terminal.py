"""Every terminal: ASCII when the locale is not UTF-8 (or on a vt100), no colour with NO_COLOR,
no mouse tracking with --no-mouse, a slower refresh for a slow link."""

import os
import pty
import re
import select
import signal
import sys
import time

import pytest
from rich.cells import cell_len

from console.terminal import Terminal, detect, utf8_locale
from tests.helpers import demo_app, replay
from tests.screen import screen_lines
from tests.test_cli import CLI, ROOT, read_until, reap
from widgets.filters import to_ascii

ASCII = Terminal(ascii=True, colour=False)


@pytest.mark.parametrize(
    ("env", "utf8"),
    [
        ({"LANG": "en_US.UTF-8"}, True),
        ({"LANG": "C.utf8"}, True),
        ({"LANG": "de_DE.UTF-8@euro"}, True),
        ({"LANG": "C"}, False),
        ({"LANG": "POSIX"}, False),
        ({"LANG": "en_US.ISO-8859-1"}, False),
        ({}, False),  # nothing set: the POSIX locale
        ({"LANG": "en_US.UTF-8", "LC_ALL": "C"}, False),  # LC_ALL decides
        ({"LANG": "C", "LC_CTYPE": "en_GB.UTF-8"}, True),
        ({"LANG": "C", "LC_ALL": ""}, False),  # empty is unset
    ],
)
def test_the_locale_decides_utf8(env, utf8):
    assert utf8_locale(env) is utf8


def test_what_the_terminal_gets():
    utf8 = {"LANG": "en_US.UTF-8", "TERM": "xterm-256color"}
    assert detect(utf8) == Terminal()
    assert detect({**utf8, "LANG": "C"}).ascii
    assert detect({**utf8, "LANG": "C"}, ascii=False) == Terminal()  # --unicode
    assert detect(utf8, ascii=True).ascii  # --ascii
    # A vt100 shows neither UTF-8 nor colour, whatever the locale says.
    vt = detect({**utf8, "TERM": "vt100"})
    assert vt.ascii and not vt.colour
    assert detect({**utf8, "TERM": "vt220-8bit"}).ascii
    # NO_COLOR: any non-empty value (no-color.org).
    assert not detect({**utf8, "NO_COLOR": "1"}).colour
    assert detect({**utf8, "NO_COLOR": ""}).colour
    assert detect(utf8, mouse=False, refresh=5.0) == Terminal(mouse=False, refresh=5.0)


def test_to_ascii_keeps_every_cell():
    text = "╭─ Host ▲ ─╮ ✔ ok · ✖ crit … 5m ≥ 10m ×2 ⣀⠉ █▆ é 界"
    out = to_ascii(text)
    assert out.isascii() and len(out) == cell_len(text)
    assert out.startswith(".- Host ! -. + ok - X crit ~ 5m > 10m x2 .' ## e ??")
    assert to_ascii("plain") == "plain"


async def shown(app, pilot, *keys: str) -> list[str]:
    for key in keys:
        await pilot.press(key)
        await pilot.pause()
    return screen_lines(app)


def not_ascii(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, line) for i, line in enumerate(lines) if not line.isascii()]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50), (300, 80)])
@pytest.mark.parametrize("offset", [-15 * 60, 17 * 60])
async def test_ascii_mode_sends_nothing_but_ascii_on_every_screen(size, offset):
    app, clock, _ = demo_app(terminal=ASCII)
    async with app.run_test(size=size) as pilot:
        await replay(app, clock, until_offset=offset)
        await pilot.pause()
        app.refresh_panes()
        await pilot.pause()
        screens = {"main": screen_lines(app)}
        screens["help"] = await shown(app, pilot, "question_mark")
        screens["runbook"] = await shown(app, pilot, "escape", "g")
        screens["runbook help"] = await shown(app, pilot, "question_mark")
        screens["status post"] = await shown(app, pilot, "escape", "s")
        screens["incident"] = await shown(app, pilot, "escape", "escape", "i")
        screens["rollback plan"] = await shown(app, pilot, "escape", "escape", "R")
        screens["disk clean-up"] = await shown(app, pilot, "escape", "D")
        screens["palette"] = await shown(app, pilot, "escape", "ctrl+p")
        screens["filter"] = await shown(app, pilot, "escape", "slash", *"api")
        for name, lines in screens.items():
            assert not_ascii(lines) == [], name
        # It still says what it says: the level symbols in ASCII, the same words.
        main = "\n".join(screens["main"])
        assert "Containers (6)" in main and ("+ api-mcp-1" in main or size[1] < 30)


async def test_a_replay_in_ascii_mode(recorded_demo):
    from tests.test_replay import REPLAY_SIZE, replay_app

    app = replay_app(recorded_demo.path, terminal=ASCII)
    async with app.run_test(size=REPLAY_SIZE) as pilot:
        app.seek_to(recorded_demo.rollback_at)
        await pilot.pause()
        assert not_ascii(screen_lines(app)) == []
        assert not_ascii(await shown(app, pilot, "question_mark")) == []


def colours(app) -> set:
    """Every colour a segment on the screen would be drawn in."""
    out = set()
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            if style is not None:
                out |= {c for c in (style.color, style.bgcolor) if c is not None}
    return out


async def test_no_color_draws_no_colour_and_reads_by_symbol_and_word():
    app, clock, _ = demo_app(terminal=Terminal(colour=False))
    async with app.run_test(size=(200, 50)) as pilot:
        await replay(app, clock, until_offset=17 * 60)
        await pilot.pause()
        app.refresh_panes()
        await pilot.pause()
        assert colours(app) == set()
        text = "\n".join(screen_lines(app))
        # Levels by symbol and word; chart lines by their marks and the legend.
        assert "✖ ROLLBACK TRIGGER: 5xx error rate > 5%" in text
        assert "✖ api-api-1" in text and "unhealthy" in text
        assert "Host ▲" in text and "P50" in text and "978ms ▲" in text
        assert "┄ warn 0.5%  ━ crit 1%" in text
        # Emphasis without colour: the rollback trigger is drawn in reverse, crit in bold.
        styles = {
            segment.text.strip(): segment.style
            for strip in app.screen._compositor.render_strips()
            for segment in strip
            if segment.text.strip()
        }
        trigger = next(s for t, s in styles.items() if t.startswith("✖ ROLLBACK TRIGGER"))
        assert trigger.reverse
        assert styles["11.6%"].bold  # the 5xx rate's value, critical
    # And with colour (the default) the same screen has its colours.
    app, clock, _ = demo_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        await pilot.pause()
        assert colours(app)


def run_on_pty(args: list[str], env: dict[str, str], until: bytes, seconds: float) -> bytes:
    """The real command on a pseudo-terminal: every byte it sent until `until` showed, and a
    few seconds of its idle after."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ.update(TERM="xterm-256color", COLUMNS="120", LINES="40", **env)
        os.execv(sys.executable, [*CLI, *args])
    try:
        out = read_until(fd, until, time.monotonic() + 30)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if select.select([fd], [], [], left)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
        return out
    finally:
        os.kill(pid, signal.SIGTERM)
        reap(pid)
        os.close(fd)


MOUSE_ON = b"\x1b[?1000h"
ANY_MOTION = b"\x1b[?1003h"


def test_the_real_console_in_ascii_with_no_colour_and_no_mouse():
    out = run_on_pty(
        ["--demo", "--no-record", "--no-mouse"],
        {"LANG": "C", "LC_ALL": "", "LC_CTYPE": "", "NO_COLOR": "1"},
        b"Countdown",
        3.0,
    )
    assert b"Containers (6)" in out
    # Every byte ASCII (the escape sequences are ASCII too); no colour in any of them.
    assert max(out) < 0x80
    sgr = re.findall(rb"\x1b\[([0-9;]*)m", out)
    colour = re.compile(rb"(^|;)(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;|$)")
    assert sgr and not [s for s in sgr if colour.search(s)]
    assert MOUSE_ON not in out and ANY_MOTION not in out


def test_the_real_console_by_default_tracks_the_mouse_in_utf8_colour():
    out = run_on_pty(["--demo", "--no-record"], {"LANG": "C.UTF-8"}, b"Countdown", 1.0)
    assert MOUSE_ON in out and "╭".encode() in out and b"\x1b[38;" in out


def test_terminal_options_are_checked():
    import subprocess

    both = subprocess.run(
        [*CLI, "--demo", "--ascii", "--unicode"], capture_output=True, text=True, cwd=ROOT
    )
    assert both.returncode == 2 and "--ascii or --unicode, not both" in both.stderr
    zero = subprocess.run(
        [*CLI, "--demo", "--refresh", "0"], capture_output=True, text=True, cwd=ROOT
    )
    assert zero.returncode == 2 and "must be above zero" in zero.stderr


async def test_a_slow_refresh_ticks_the_clock_and_lands_readings_that_often():
    app, _, _ = demo_app(terminal=Terminal(refresh=5.0))
    assert app.tick == 5.0 and app._coalesce == 5.0
    app, _, _ = demo_app()
    assert app.tick == 1.0 and app._coalesce < 1.0
