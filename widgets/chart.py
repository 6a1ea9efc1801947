"""A trend chart (plotext) with the warn and crit thresholds and the launch instant marked.

Drawing a chart costs far more than a metric pane, and a tall widget is what makes the
compositor write most to the terminal. So a chart draws as soon as it has data (the first
frame), then redraws only when the picture would gain a column: when new data has come and the
console clock has moved by one column's worth of the window (window / width: 25 s for 15
minutes on a 200-column screen), or, with no new data, at most once a minute (the time axis
still moves). Changing the window or the size redraws at once.

Every line has a mark of its own, so the chart reads without colour (NO_COLOR, a monochrome
terminal): the data in braille (`*` in ASCII), the warn threshold dashed, crit heavy, T-0 a bar;
the legend under the axis says which is which.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from console.config import Band
from widgets.diffstatic import DiffStatic


@dataclass(frozen=True, slots=True)
class Marks:
    """The character each line of a chart is drawn with: the lines read without colour."""

    data: str
    warn: str
    crit: str
    launch: str


UNICODE_MARKS = Marks(data="braille", warn="┄", crit="━", launch="┃")
ASCII_MARKS = Marks(data="*", warn="-", crit="=", launch="|")
COLOURS = {"data": "cyan", "warn": "yellow", "crit": "red", "launch": "magenta"}


def legend(marks: Marks, band: Band | None, unit: str, launch: bool, width: int) -> str:
    """The line under the axis: what each mark means, in as many words as the width allows
    (the marks' meaning before "min ago": the axis says that much itself)."""

    def parts(values: bool, gap: str, time: bool) -> str:
        out = ["min ago"] if time else []
        if band is not None:
            warn = f" {band.warn:g}{unit}" if values else ""
            crit = f" {band.crit:g}{unit}" if values else ""
            out += [f"{marks.warn} warn{warn}", f"{marks.crit} crit{crit}"]
        if launch:
            out.append(f"{marks.launch} T-0")
        return gap.join(out)

    tries = [
        parts(True, "  ", True),
        parts(False, "  ", True),
        parts(True, "  ", False),
        parts(False, "  ", False),
        parts(False, " ", False),
    ]
    return next((t for t in tries if len(t) <= width), tries[-1][:width])


def draw(
    samples: Sequence[tuple[float, float | None]],
    width: int,
    height: int,
    now: float,
    window: float,
    band: Band | None,
    launch: float,
    unit: str = "",
    ascii: bool = False,
    colour: bool = True,
) -> str:
    """The chart as ANSI text: minutes relative to now on x, the metric on y. Each line has a
    mark of its own (dashed warn, heavy crit, a bar at T-0), coloured only when `colour`."""
    import plotext as plt  # here, not at the top: 80 ms of import kept off the first frame

    marks = ASCII_MARKS if ascii else UNICODE_MARKS

    def line(xs: list[float], ys: list[float], kind: str) -> None:
        extra = {"color": COLOURS[kind]} if colour else {}
        plt.plot(xs, ys, marker=getattr(marks, kind), **extra)

    plt.clf()
    plt.plotsize(max(20, width), max(5, height))
    plt.theme("clear")
    plt.frame(False)
    points = [((t - now) / 60, v) for t, v in samples if v is not None and t >= now - window]
    left = -window / 60
    plt.xlim(left, 0)
    top = max([v for _, v in points] + ([band.crit * 1.1] if band else [1.0]))
    top = top if top > 0 else 1
    plt.ylim(0, top)
    # Thresholds and T-0 first: the data is drawn over them.
    if band is not None:
        line([left, 0], [band.warn, band.warn], "warn")
        line([left, 0], [band.crit, band.crit], "crit")
    shows_launch = now - window <= launch <= now
    if shows_launch:
        at = (launch - now) / 60
        line([at, at], [0, top], "launch")
    if points:
        xs, ys = zip(*points, strict=True)
        line(list(xs), list(ys), "data")
    plt.xlabel(legend(marks, band, unit, shows_launch, max(20, width) - 4))
    return plt.build()


class TrendChart(DiffStatic):
    DEFAULT_CSS = """
    TrendChart { border: round $secondary; border-title-style: bold; }
    """

    def __init__(
        self,
        title: str,
        metric: str,
        unit: str,
        *,
        id: str | None = None,
        idle_interval: float = 60.0,
        ascii: bool = False,
        colour: bool = True,
    ) -> None:
        super().__init__("", id=id)
        self.ascii = ascii
        self.colour = colour
        self.border_title = title
        self.metric = metric
        self.unit = unit
        self.idle_interval = idle_interval
        self._drawn_key: tuple | None = None
        self._drawn_shape: tuple | None = None
        self._drawn_at = 0.0  # wall (monotonic)
        self._drawn_now = 0.0  # console time of the drawn picture
        self.draws = 0
        self.monotonic = time.monotonic  # the idle cadence's clock (tests give their own)

    def show(
        self,
        samples,
        now: float,
        window: float,
        band: Band | None,
        launch: float,
        force: bool = False,
    ) -> bool:
        newest = samples[-1][0] if samples else None
        shape = (window, self.size.width, self.size.height)
        key = (newest, len(samples), *shape)
        wall = self.monotonic()
        width, height = self.content_size.width, self.content_size.height
        if width < 10 or height < 3:
            return False  # not laid out yet: draw on a later call, not never
        idle_due = wall - self._drawn_at >= self.idle_interval
        if key == self._drawn_key and not idle_due:
            return False  # the same picture (only the time axis moves: once a minute)
        first = self._drawn_shape != shape or self._drawn_key is None
        column = window / max(1, width - 6)  # seconds of console time per plotted column
        new_column = now - self._drawn_now >= column
        new_data = self._drawn_key is None or key[:2] != self._drawn_key[:2]
        if not (force or first or (new_data and new_column) or idle_due):
            return False
        self._drawn_key, self._drawn_shape = key, shape
        self._drawn_at, self._drawn_now = wall, now
        self.draws += 1
        ansi = draw(
            samples, width, height, now, window, band, launch, self.unit, self.ascii, self.colour
        )
        # Its size is the grid's; only the cells that moved reach the terminal.
        self.update(Text.from_ansi(ansi, no_wrap=True), layout=False)
        last = next((v for _, v in reversed(samples) if v is not None), None)
        subtitle = "" if last is None else f"{last:.2f}{self.unit} · {int(window / 60)} min"
        if subtitle != self.border_subtitle:  # setting it repaints the whole box
            self.border_subtitle = subtitle
        return True
