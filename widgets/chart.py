"""A trend chart (plotext) with the warn and crit thresholds and the launch instant marked.

Drawing a chart costs far more than a metric pane, and a tall widget is what makes the
compositor write most to the terminal. So a chart draws as soon as it has data (the first
frame), then redraws only when the picture would gain a column: when new data has come and the
console clock has moved by one column's worth of the window (window / width: 25 s for 15
minutes on a 200-column screen), or, with no new data, at most once a minute (the time axis
still moves). Changing the window or the size redraws at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from console.config import Band


def draw(
    samples: Sequence[tuple[float, float | None]],
    width: int,
    height: int,
    now: float,
    window: float,
    band: Band | None,
    launch: float,
) -> str:
    """The chart as ANSI text: minutes relative to now on x, the metric on y."""
    import plotext as plt  # here, not at the top: 80 ms of import kept off the first frame

    plt.clf()
    plt.plotsize(max(20, width), max(5, height))
    plt.theme("clear")
    plt.frame(False)
    points = [((t - now) / 60, v) for t, v in samples if v is not None and t >= now - window]
    plt.xlim(-window / 60, 0)
    if points:
        xs, ys = zip(*points, strict=True)
        plt.plot(list(xs), list(ys), marker="braille", color="cyan")
    top = max([v for _, v in points] + ([band.crit * 1.1] if band else [1.0]))
    plt.ylim(0, top if top > 0 else 1)
    if band is not None:
        plt.hline(band.warn, "yellow")
        plt.hline(band.crit, "red")
    if now - window <= launch <= now:
        plt.vline((launch - now) / 60, "magenta")
    plt.xlabel("minutes ago (magenta: T-0)")
    return plt.build()


class TrendChart(Static):
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
    ) -> None:
        super().__init__("", id=id)
        self.border_title = title
        self.metric = metric
        self.unit = unit
        self.idle_interval = idle_interval
        self._drawn_key: tuple | None = None
        self._drawn_shape: tuple | None = None
        self._drawn_at = 0.0  # wall (monotonic)
        self._drawn_now = 0.0  # console time of the drawn picture
        self.draws = 0

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
        wall = time.monotonic()
        width, height = self.content_size.width, self.content_size.height
        if width < 10 or height < 3:
            return False  # not laid out yet: draw on a later call, not never
        if key == self._drawn_key:
            return False
        first = self._drawn_shape != shape or self._drawn_key is None
        column = window / max(1, width - 6)  # seconds of console time per plotted column
        new_column = now - self._drawn_now >= column
        idle_due = wall - self._drawn_at >= self.idle_interval
        if not (force or first or (newest != self._drawn_key[0] and new_column) or idle_due):
            return False
        self._drawn_key, self._drawn_shape = key, shape
        self._drawn_at, self._drawn_now = wall, now
        self.draws += 1
        ansi = draw(samples, width, height, now, window, band, launch)
        self.update(Text.from_ansi(ansi, no_wrap=True), layout=False)  # its size is the grid's
        last = next((v for _, v in reversed(samples) if v is not None), None)
        self.border_subtitle = (
            "" if last is None else f"{last:.2f}{self.unit} · {int(window / 60)} min"
        )
        return True
