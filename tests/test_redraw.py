"""Redraw cost: a pane whose one value changed repaints that value, not its box; the clock's
tick repaints the glyphs that moved; charts draw on their cadence, not on every refresh."""

from dataclasses import replace

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.strip import Strip

from console.config import Band
from console.readings import RedisReading
from tests.helpers import demo_app
from tests.screen import screen_text
from widgets.chart import TrendChart
from widgets.clock import BigClock, BigDigits
from widgets.diffstatic import DiffStatic, changed_span
from widgets.pane import MetricsPane


def strip(*parts: tuple[str, str]) -> Strip:
    return Strip([Segment(text, Style.parse(style) if style else None) for text, style in parts])


def test_changed_span_is_the_cells_that_differ():
    a = strip(("next in 14m59s", ""))
    assert changed_span(a, strip(("next in 14m59s", ""))) is None
    assert changed_span(a, strip(("next in 14m58s", ""))) == (12, 13)
    assert changed_span(a, strip(("next in 13m00s", ""))) == (9, 13)
    # The same characters in another style are a change (a value turning red).
    green, red = strip(("ping ", ""), ("0.4", "green")), strip(("ping ", ""), ("0.4", "red"))
    assert changed_span(green, red) == (5, 8)
    # Segments cut differently but drawing the same cells are no change.
    assert changed_span(strip(("ab", ""), ("cd", "")), strip(("abcd", ""))) is None
    # A wide character is repainted whole, both its cells.
    assert changed_span(strip(("a界b", "")), strip(("a界c", ""))) == (3, 4)
    assert changed_span(strip(("a界b", "")), strip(("a世b", ""))) == (1, 3)


class OneWidget(App[None]):
    def compose(self) -> ComposeResult:
        yield DiffStatic("first line\nsecond line", id="w")


async def test_diffstatic_repaints_changed_cells_and_lays_out_on_new_height():
    app = OneWidget()
    async with app.run_test(size=(40, 6)) as pilot:
        w = app.query_one(DiffStatic)
        await pilot.pause()
        full = w.full_repaints
        w.update(Text("first line\nsecond LINE"))
        await pilot.pause()
        assert w.full_repaints == full and w.cells_repainted == 4
        assert "second LINE" in screen_text(app)
        # Same text: nothing to repaint.
        w.update(Text("first line\nsecond LINE"))
        assert w.cells_repainted == 4
        # A third line: the height changed, a layout and a whole repaint.
        w.update(Text("first line\nsecond LINE\nthird"))
        await pilot.pause()
        assert w.full_repaints == full + 1 and w.size.height == 3
        assert "third" in screen_text(app)
        # Strings are text, never markup.
        w.update("[b]not bold[/b] [/x]")
        await pilot.pause()
        assert "[b]not bold[/b] [/x]" in screen_text(app)


def redis(ping: float) -> RedisReading:
    return RedisReading(
        source="redis",
        at=0.0,
        ping_ms=ping,
        used_memory=1 << 29,
        max_memory=1 << 31,
        clients=13,
        ops_per_sec=23,
        evicted_keys=0,
    )


async def test_a_metric_pane_repaints_only_the_value_that_moved():
    app, clock, _ = demo_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        await pilot.pause()
        pane = app.query_one("#redis", MetricsPane)
        app.store.record(replace(redis(0.4), at=clock.now()))
        app.refresh_panes()
        await pilot.pause()
        full, cells = pane.full_repaints, pane.cells_repainted
        app.store.record(replace(redis(2.7), at=clock.now()))
        app.refresh_panes()
        await pilot.pause()
        assert "2.7ms" in screen_text(app)
        # One value of one row: a few cells, never the box (a box is ~50 x 7 cells).
        assert pane.full_repaints == full
        assert 0 < pane.cells_repainted - cells <= 12


async def test_the_clock_tick_repaints_the_glyphs_that_moved():
    app, clock, _ = demo_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        await pilot.pause()
        digits = app.query_one(BigDigits)
        line = app.query_one("#big-line", DiffStatic)
        assert digits.value == "-00:15:00"
        clock.advance(1.0, wall=1.0)
        app._show_clock(clock.now())
        await pilot.pause()
        assert digits.value == "-00:14:59"
        assert "next T+0 Launch (Rex) in 14m59s" in screen_text(app)
        full = digits.full_repaints + line.full_repaints
        cells = digits.cells_repainted
        clock.advance(1.0, wall=1.0)
        app._show_clock(clock.now())
        await pilot.pause()
        # 59 -> 58: one glyph of three cells on at most three rows; the line: one cell.
        assert digits.value == "-00:14:58"
        assert 0 < digits.cells_repainted - cells <= 2 * 3 * 3 + 2 * 3
        assert digits.full_repaints + line.full_repaints == full


async def test_the_big_clock_line_changes_with_the_phase_and_the_milestone():
    app, clock, _ = demo_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await app.sweep()
        await pilot.pause()
        clock.advance(15 * 60 + 1, wall=1.0)  # just past T-0
        app._show_clock(clock.now())
        await pilot.pause()
        big = app.query_one(BigClock)
        text = "\n".join(big.query_one("#big-line", DiffStatic).text_lines())
        assert text.startswith("LAUNCH "), text
        assert "Launch (Rex)" not in text  # the passed milestone is gone from the line
        assert app.query_one(BigDigits).value == "+00:00:01"


def samples(n: int, start: float, step: float = 2.0) -> list[tuple[float, float | None]]:
    return [(start + i * step, 1.0 + (i % 3)) for i in range(n)]


async def test_a_chart_draws_first_then_a_column_at_a_time_or_once_a_minute_idle():
    app, clock, _ = demo_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        chart = app.query_one("#chart-error_rate_5xx", TrendChart)
        wall = [1000.0]
        chart.monotonic = lambda: wall[0]
        band = Band(warn=2.0, crit=5.0)
        window = 15 * 60.0
        now = clock.now()
        column = window / max(1, chart.content_size.width - 6)
        assert chart.show(samples(10, now - 20), now, window, band, now + 900)  # first draw
        draws = chart.draws
        # New data within the same column: not drawn.
        assert not chart.show(samples(11, now - 20), now + column / 2, window, band, now + 900)
        # A column's worth of console time with new data: drawn.
        assert chart.show(samples(12, now - 20), now + column, window, band, now + 900)
        assert chart.draws == draws + 1
        # Nothing new: not drawn, until a minute of wall time has passed (the time axis moves).
        same = samples(12, now - 20)
        assert not chart.show(same, now + 2 * column, window, band, now + 900)
        wall[0] += 61
        assert chart.show(same, now + 3 * column, window, band, now + 900)
        # A change of window draws at once.
        assert chart.show(same, now + 3 * column, 60 * 60.0, band, now + 900)
        assert chart.draws == draws + 3
