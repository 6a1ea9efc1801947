"""The Textual app: layout, bindings, and wiring store updates to the panes.

Data flows one way: the poller records readings in the store and tells the app; the app asks
the judge (console.judge) for a judgement when readings land (coalesced: the readings of one
round of polls cost one judgement), keeps the facts it reached in the runbook state, and hands
each pane, the alert strip, the banner and the runbook screen what it must show. Panes skip
redraws when their content did not change, so an idle console writes little to the terminal.
Only the clock ticks each second, and only the clock widget on the screen is driven; a slow
fallback judges again when no reading has landed for a while (ages and sustained windows move
with time alone). The clock's tick also asks the shared runbook state whether another console
changed it (a stat and one SQLite pragma) and judges again at once when it did. With
`live=False` (tests, snapshots) nothing polls or ticks on its own: the test calls `sweep()` and
`refresh_panes()` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.driver import Driver
from textual.events import Resize
from textual.filter import LineFilter, Monochrome, NoColor
from textual.notifications import SeverityLevel
from textual.widgets import Footer, Static

from console import kinds
from console.actions.runner import InProcessRunner, Runner
from console.alerting import AlertTracker, Tracked, needs_banner
from console.app_actions import RemediationMixin
from console.app_recording import RecordingMixin
from console.app_runbook import RunbookMixin
from console.audit import AuditLog
from console.clock import Clock
from console.config import Config
from console.control import Control
from console.durations import format_duration
from console.exiting import end_within
from console.judge import Judgement, judge, remember
from console.kinds import stale_after
from console.lock import ActionLock
from console.poller import Poller
from console.readings import ContainersReading, Reading
from console.recording.recorder import Recorder
from console.redact import redact
from console.rules import Alert
from console.sources import Source
from console.store import Store
from console.terminal import Terminal
from console.terminal.watchdog import Watchdog
from console.text import clean
from console.timeline import countdown, wall
from widgets.alerts import AlertStrip
from widgets.chart import TrendChart
from widgets.clock import BigClock, CountdownPane
from widgets.containers import ContainersPane
from widgets.filters import terminal_filters
from widgets.header import StatusBar
from widgets.help import HIGH_CONTRAST, HelpScreen, key_rows
from widgets.pane import MetricsPane

# pane id -> (title, reading type, rows function), from the source kinds (console/kinds/);
# the containers pane is its own widget.
METRIC_PANES = {k.name: (k.title, k.reading_type, k.rows) for k in kinds.metric_kinds()}

# metric -> (chart title, unit, thresholds band name or None), left to right.
CHARTS = {c.metric: (c.title, c.unit, c.band) for c in kinds.charts()}
CHART_WINDOWS = (15 * 60.0, 60 * 60.0)

COMPACT_BELOW = 120  # columns
COALESCE = 0.15  # seconds: readings landing this close together cost one assessment
REASSESS_AFTER = 5.0  # seconds without a landed reading before the clock tick reassesses
WALL_FROM = (200, 50)  # columns, rows
SETTLE_MEMORY_AFTER = 5.0  # seconds after start: the first readings and charts are drawn


class LaunchConsole(RemediationMixin, RunbookMixin, RecordingMixin, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "launch-console"
    # The footer shows the short description; help (`?`) the tooltip.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="quit the console"),
        Binding("question_mark,f1", "help", "Help"),
        Binding("w", "chart_window", "15/60 min", show=False, tooltip="charts: last 15 or 60 min"),
        Binding(
            "g",
            "runbook",
            "Runbook",
            tooltip="the runbook: checklist, go/no-go, milestones, incidents, posts",
        ),
        Binding("r", "refresh_now", "Poll now", show=False, tooltip="poll every source now"),
        Binding(
            "a",
            "attach",
            "Watch action",
            show=False,
            tooltip="watch the running (or last) action: live progress, any console's",
        ),
        Binding(
            "slash",
            "filter_containers",
            "Filter containers",
            show=False,
            tooltip="containers: filter by name (Esc clears; s sorts the table)",
        ),
        Binding(
            "R",
            "remediate('rollback')",
            "Rollback",
            tooltip="rollback (runbook 4.3): plan first, type ROLLBACK to confirm",
        ),
        Binding(
            "D",
            "remediate('disk_cleanup')",
            "Disk clean-up",
            tooltip="disk clean-up (4.4): shows the exact files, deletes, re-measures",
        ),
        Binding(
            "A",
            "remediate('restart_api')",
            "Restart API",
            tooltip="restart the API container and wait for /health (Appendix A)",
        ),
        Binding(
            "P",
            "remediate('ingestion')",
            "Pause/resume ingestion",
            tooltip="pause ingestion (stop the scraper), or resume it when stopped",
        ),
        Binding(
            "B",
            "remediate('db_restore')",
            "DB restore",
            tooltip="guided DB restore (4.5): by hand, verified",
        ),
    ]

    def __init__(
        self,
        config: Config,
        sources: Sequence[Source],
        clock: Clock,
        *,
        mode: str = "LIVE",
        detail: str = "",
        read_only: bool = False,
        live: bool = True,
        tick: float | None = None,
        control: Control | None = None,
        display: bool = False,
        end_process: bool = False,
        recorder: Recorder | None = None,
        runner: Runner | None = None,
        log_file: str | None = None,
        terminal: Terminal | None = None,
    ) -> None:
        super().__init__()
        # What the terminal can show and how often it is sent a frame (console.terminal).
        self.terminal = terminal or Terminal()
        self._terminal_filters = terminal_filters(self.terminal)
        if not self.terminal.colour:
            self.no_color = True  # Textual's :nocolor (NO_COLOR sets it; vt100 has no colour)
        self.end_process = end_process
        # The war-room profile: watch only, no action keys, big clock and charts, high contrast.
        self.display_profile = display
        read_only = read_only or display
        self.config = config
        self.clock = clock
        self.mode = mode
        self.detail = detail
        self.read_only = read_only
        self.live = live
        # Run even on the hard way out (os._exit skips `finally` and atexit): the demo's state dir.
        self.at_hard_exit: list[Callable[[], object]] = []
        self.watchdog: Watchdog | None = None
        # The clock ticks every `tick` seconds; readings landing within one tick of a slow
        # refresh (a poor link) cost one frame.
        self.tick = tick or self.terminal.refresh
        self._coalesce = COALESCE if self.tick <= 1.0 else self.tick
        self.store = Store(clock, config.poll.history, stale_after(config))
        self.poller = Poller(sources, self.store, clock, config.poll, on_reading=self._landed)
        self.control = control
        self.audit = AuditLog(config.audit.path)
        self.lock = ActionLock(config.actions.lock_path)
        self.running_action: str | None = None  # being prepared here (or run here: the demo)
        # Who executes a confirmed plan: a runner process (live), or this console (the demo).
        self.runner = runner or InProcessRunner(clock.now, config.launch.zone)
        self.log_file = log_file  # the runner process logs where this console does
        self._run_local: set[str] = set()  # runs in this process (the demo)
        self._run_started: set[str] = set()  # runs this console handed to a runner
        self.alert_tracker = AlertTracker()
        self.launch_state = self._load_launch_state()
        # Nothing polled yet: the first judgement says so (waiting for the first readings).
        self.judgement: Judgement = judge(self.store, config, self.launch_state, clock.now())
        self._status_reminded: float | None = None
        self.chart_window = CHART_WINDOWS[0]
        self._refresh_pending = False
        self._refreshed_at = 0.0  # monotonic
        self.refreshes = 0  # judgements so far (the benchmark reports them)
        self._start_recording(recorder)
        if recorder is not None:  # the last batch committed, also on the hard way out
            self.at_hard_exit.append(lambda: recorder.close(timeout=1.0))

    @property
    def assessment(self) -> Judgement:
        """The judgement by its old name (panes, triggers, alerts, pane_level)."""
        return self.judgement

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is plain text, whoever asks (widgets' notify lands here too): this console
        never styles a toast with markup, and toasts often quote outside text (an error, the
        lock's holder, an incident summary). Control characters are made visible."""
        super().notify(
            redact(clean(message, newlines=True)),
            title=redact(clean(title)),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    async def run_async(self, **kwargs) -> None:  # type: ignore[override]
        """Run until the console exits, then make sure the process does too.

        After this, asyncio cancels every task left and waits for each: a task inside a hung
        driver's cancel held the process for 100 s, deaf to `q`, on a blank screen; and a thread
        stuck in a blocking client holds the interpreter's exit. By now the terminal is restored
        and any traceback printed, so the process ends within 2 s whatever still hangs (only
        when this process is the console's own: `end_process`, set by the command line).
        """
        try:
            return await super().run_async(**kwargs)
        finally:
            if self.end_process:
                end_within(2.0, self.return_code or 0, self._exit_now)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, but for its grey-scale NO_COLOR filter (it greyed the screen and
        cost 4x the CPU), and ours for ASCII and no colour (widgets.filters)."""
        if not self.terminal.colour:
            return self._terminal_filters  # no colour to convert either
        return [
            *(f for f in super().get_line_filters() if not isinstance(f, Monochrome | NoColor)),
            *self._terminal_filters,
        ]

    def _fatal_error(self) -> None:
        """A crash (Textual's hook): the traceback without its locals, which hold config values
        and once printed a Slack webhook URL seven times, and with every known secret taken
        out. The console then exits as Textual's own handler does."""
        error = sys.exc_info()[1] or self._exception
        lines = traceback.format_exception(error) if error is not None else ["unknown error"]
        self.bell()
        self._exit_renderables.append(Text(redact(clean("".join(lines), newlines=True))))
        self._close_messages_no_wait()

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(self.config.launch.name, self.mode, self.detail, self.read_only)
        yield Static("", id="banner")
        yield Static("", id="runbar")
        with Horizontal(id="top"):
            yield CountdownPane("Countdown", id="countdown")
            yield BigClock(id="bigclock")
            yield AlertStrip(id="alerts")
        with VerticalScroll(id="body-scroll"):
            with Grid(id="body"):
                yield ContainersPane("Containers", id="containers")
                for pane_id, (title, _, _) in METRIC_PANES.items():
                    yield MetricsPane(title, id=pane_id)
            with Grid(id="charts"):
                for metric, (title, unit, _) in CHARTS.items():
                    yield TrendChart(
                        title,
                        metric,
                        unit,
                        id=f"chart-{metric}",
                        ascii=self.terminal.ascii,
                        colour=self.terminal.colour,
                    )
        yield Footer()

    def on_mount(self) -> None:
        self._tell_state_notes()
        if self.display_profile:
            self.register_theme(HIGH_CONTRAST)
            self.theme = HIGH_CONTRAST.name
            self.screen.add_class("display")
        self._apply_size(self.size.width, self.size.height)
        # The first frame (countdown, empty panes) before the first poll ends.
        self.refresh_panes()
        self._start_following()  # a run going on (from any console): the bar, and attach
        if self.live:
            self.poller.start()
            self._tick_clock()
            self._watch_terminal_loss()
            self.set_timer(SETTLE_MEMORY_AFTER, self._settle_memory)

    def _settle_memory(self) -> None:
        """Once the console has started (imports, first frame, first charts): collect, then
        freeze what is left. The interpreter's full collections otherwise walk every object
        Textual, pydantic and plotext made at start-up, again and again for eleven hours:
        ~150 ms each, a third of the idle console's CPU."""
        gc.collect()
        gc.freeze()
        gc.enable()  # the command line turned it off for the start (console.cli)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        was_compact = self.screen.has_class("compact")
        self.screen.set_class(width < COMPACT_BELOW, "compact")
        if self.live and was_compact != self.screen.has_class("compact"):
            self._show_clock(self.clock.now())  # the other clock is on the screen now
        self.screen.set_class(width >= WALL_FROM[0] and height >= WALL_FROM[1], "wall")

    # --- the terminal -------------------------------------------------------------------------

    def get_driver_class(self) -> type[Driver]:
        """On a terminal, the driver whose writes never block the loop (console.terminal);
        a driver named in $TEXTUAL_DRIVER (textual-serve's web driver) wins."""
        from textual import constants

        if constants.DRIVER is None and sys.platform != "win32":
            from console.terminal.driver import TerminalDriver

            return TerminalDriver
        return super().get_driver_class()

    def _watch_terminal_loss(self) -> None:
        """SIGHUP, SIGTERM, a hung-up terminal or the parent gone end the console within a few
        seconds, even while the event loop is busy or blocked (console.terminal.watchdog)."""
        if self.is_headless or self.watchdog is not None:
            return
        loop = asyncio.get_running_loop()

        def request_exit(code: int) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the process is ending
                loop.call_soon_threadsafe(self.exit, None, code)

        self.watchdog = Watchdog(request_exit, self._exit_now)
        self.watchdog.start()

    def terminal_lost(self, reason: str) -> None:
        """The driver's report (any thread): the terminal hung up or failed."""
        if self.watchdog is not None:
            self.watchdog.lost(129, reason)
        else:
            with contextlib.suppress(RuntimeError):
                self.call_later(self.exit, None, 129)

    def _exit_now(self, code: int) -> None:
        for cleanup in self.at_hard_exit:
            with contextlib.suppress(Exception):
                cleanup()
        os._exit(code)

    async def on_unmount(self) -> None:
        # Both bounded: a hung driver or engine must not keep the console from ending.
        await self.poller.stop()
        self._stop_recording()
        if self.runbook_store is not None:
            self.runbook_store.close()
        if self.control is not None:
            closing = asyncio.create_task(self.control.close())
            _, hung = await asyncio.wait({closing}, timeout=2.0)
            for task in hung:
                task.cancel()

    # --- data to panes ------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Poll every source once and redraw: for tests and the 'poll now' key."""
        await self.poller.sweep()
        self.refresh_panes()

    async def action_refresh_now(self) -> None:
        await self.sweep()

    def action_filter_containers(self) -> None:
        self.query_one(ContainersPane).start_filter()

    def _landed(self, reading: Reading) -> None:
        """A reading is in the store: reassess soon, once for the readings landing together."""
        self._record_reading(reading)
        if not self.live or self._refresh_pending:
            return
        self._refresh_pending = True
        self.set_timer(self._coalesce, self._refresh_landed)

    def _refresh_landed(self) -> None:
        self._refresh_pending = False
        self.refresh_panes()

    def _tick_clock(self) -> None:
        """Once a second, on the second: the clock that is on the screen, nothing else (unless
        nothing has landed for a while, or another console changed the runbook state: then a
        reassessment, for ages and time windows)."""
        now = self.clock.now()
        # Another console's tick, Go/Hold or incident: on this screen within one refresh.
        stale = time.monotonic() - self._refreshed_at >= max(REASSESS_AFTER, self.tick)
        if self._poll_launch_state() or stale:
            self.refresh_panes()
        else:
            self._show_clock(now)
        # The next tick just after the next whole second of the console clock.
        self.set_timer(self.tick - (self.clock.now() % self.tick) + 0.01, self._tick_clock)

    def _show_clock(self, now: float) -> None:
        # Once no milestone is ahead, the clock says how they went (the last judgement's).
        clock = countdown(self.config, now, done=self.judgement.milestones_line)
        now_text = wall(now, self.config.launch.zone)
        # Only the one on the screen is driven: the other is hidden at this size.
        compact = self.screen.has_class("compact")
        if compact or not self.live:
            self.query_one(CountdownPane).show_countdown(clock, now_text)
        if not compact or not self.live:
            self.query_one(BigClock).show_countdown(clock, now_text)

    def judge_now(self) -> Judgement:
        """Judge this instant and keep what the judge found (saved when it changed); no redraw."""
        now = self.clock.now()
        self.judgement = judgement = judge(self.store, self.config, self.launch_state, now)
        if remember(self.launch_state, judgement):
            self._save_launch_state()
        return judgement

    def refresh_panes(self) -> None:
        self._poll_launch_state()
        now = self.clock.now()
        self._refreshed_at = time.monotonic()
        self.refreshes += 1
        judgement = self.judge_now()
        self._status_reminder(now)
        self._show_clock(now)
        tracked, new = self.alert_tracker.update(judgement.alerts, now)
        self.query_one(AlertStrip).show_alerts(tracked)
        self._show_banner([t for t in tracked if needs_banner(t.alert)], new)
        for source in ("containers", *METRIC_PANES):
            self._show_source(source, now)
        self.refresh_charts(now, force=not self.live)
        self.refresh_runbook()
        self._record_judgement(tracked, judgement.gates, judgement.board)

    def refresh_charts(self, now: float, force: bool = False) -> None:
        for metric, (_, _, band_name) in CHARTS.items():
            band = getattr(self.config.thresholds, band_name) if band_name else None
            self.query_one(f"#chart-{metric}", TrendChart).show(
                list(self.store.series(metric)),
                now,
                self.chart_window,
                band,
                self.config.launch.epoch,
                force=force,
            )

    def _show_banner(self, banner: list[Tracked], new: list[Alert]) -> None:
        widget = self.query_one("#banner", Static)
        # Alert texts carry outside text (an incident summary, a source's value): never markup.
        text = "  ·  ".join(clean(t.text) for t in banner)
        widget.display = bool(banner)
        if str(widget.content) != text:
            widget.update(Text(text))
        if any(needs_banner(a) for a in new):
            self.bell()  # once per new alert, never per refresh

    def action_chart_window(self) -> None:
        i = CHART_WINDOWS.index(self.chart_window)
        self.chart_window = CHART_WINDOWS[(i + 1) % len(CHART_WINDOWS)]
        self.refresh_charts(self.clock.now(), force=True)

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = getattr(screen, "HELP_TITLE", "main screen")
        self.push_screen(HelpScreen(key_rows(screen, self.read_only), title))

    def _subtitle(self, source: str) -> tuple[str, bool]:
        """The border's subtitle (error or staleness with the age) and whether values are old."""
        latest = self.store.latest(source)
        age = self.store.age(source)
        if latest is None:
            return "waiting…", True
        if latest.error:
            since = f" · last good {format_duration(age)} ago" if age is not None else ""
            return f"{latest.error}{since}", True
        if self.store.is_stale(source):
            return f"STALE {format_duration(age or 0)}", True
        return "", False

    def _show_source(self, source: str, now: float) -> None:
        findings = self.judgement.panes.get(source, [])
        level = self.judgement.pane_level(source)
        subtitle, old = self._subtitle(source)
        good = self.store.good(source)
        if source == "containers":
            pane = self.query_one("#containers", ContainersPane)
            if isinstance(good, ContainersReading):
                order = {n: i for i, n in enumerate(self.config.docker.services)}
                pane.show_containers(good, findings, now, level, subtitle, dim=old, order=order)
            else:
                pane.show_empty(level, subtitle)
            return
        _, reading_type, rows_for = METRIC_PANES[source]
        metrics = self.query_one(f"#{source}", MetricsPane)
        if isinstance(good, reading_type):
            metrics.show_rows(rows_for(good, findings), level, subtitle, dim=old)
        else:
            metrics.show_rows([("", "no data yet", None)], level, subtitle)
