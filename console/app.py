"""The Textual app: layout, bindings, and wiring store updates to the panes.

Data flows one way: the poller records readings in the store and marks their pane dirty; a
one-second UI tick asks the rules for an assessment and hands each pane what it must show.
Panes skip redraws when their content did not change, so an idle console writes little to the
terminal. With `live=False` (tests, snapshots) nothing polls or ticks on its own: the test
calls `sweep()` and `refresh_panes()` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Iterable, Sequence
from functools import partial
from typing import ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from console.actions.plan import cancelled, execute
from console.actions.runbook import ACTIONS, build_plan, db_restore
from console.alerting import AlertTracker, Tracked, needs_banner
from console.audit import AuditLog
from console.check import evaluate as evaluate_checks
from console.clock import Clock
from console.config import Config
from console.control import Control
from console.durations import format_duration, format_offset
from console.launchday import (
    Incident,
    LaunchState,
    all_clear,
    first_hour,
    go_no_go,
    incident_update,
    launch_verdict,
    load_state,
    p0_gates,
    p1_too_long,
    record_due_milestones,
    save_state,
    status_post_due,
    t1h_milestone,
    t15_status,
)
from console.lock import ActionBusy, ActionLock
from console.poller import Poller
from console.readings import (
    ContainersReading,
    HostReading,
    PoolReading,
    PostgresReading,
    RedisReading,
    SmokeReading,
    TrafficReading,
)
from console.rules import Alert, Assessment, Level, assess
from console.slack import NoWebhook
from console.slack import post as slack_post
from console.sources import SOURCE_NAMES, Source
from console.store import Store
from console.timeline import countdown, wall
from widgets.alerts import AlertStrip
from widgets.chart import TrendChart
from widgets.clock import BigClock, CountdownPane
from widgets.confirm import ConfirmModal
from widgets.containers import ContainersPane
from widgets.header import StatusBar
from widgets.help import HIGH_CONTRAST, HelpScreen
from widgets.names import NamesModal
from widgets.pane import MetricsPane
from widgets.panes import host_rows, pool_rows, postgres_rows, redis_rows, smoke_rows, traffic_rows
from widgets.progress import ProgressScreen
from widgets.runbook import PostModal, RunbookScreen, RunbookView, TextModal

# pane id -> (title, reading type, rows function); the containers pane is its own widget.
METRIC_PANES = {
    "traffic": ("Traffic", TrafficReading, traffic_rows),
    "smoke": ("Smoke checks", SmokeReading, smoke_rows),
    "pgbouncer": ("DB pool (PgBouncer)", PoolReading, pool_rows),
    "postgres": ("PostgreSQL", PostgresReading, postgres_rows),
    "redis": ("Redis", RedisReading, redis_rows),
    "host": ("Host", HostReading, host_rows),
}

# metric -> (chart title, unit, thresholds band name or None)
CHARTS = {
    "error_rate_5xx": ("5xx error rate", "%", "error_rate_5xx"),
    "p99_latency": ("P99 latency", "s", "p99_latency"),
    "pool_usage": ("DB pool usage", "%", "pool_usage"),
    "redis_memory": ("Redis memory", "%", "redis_memory"),
    "requests_per_s": ("Requests /s", "", None),
}
CHART_WINDOWS = (15 * 60.0, 60 * 60.0)

COMPACT_BELOW = 120  # columns
WALL_FROM = (200, 50)  # columns, rows


def stale_after(config: Config) -> dict[str, float]:
    """A value is stale when its source missed about three polls (wall seconds)."""
    poll = config.poll
    return {
        n: max(
            3 * poll.for_source(n).interval,
            poll.for_source(n).interval + poll.for_source(n).timeout,
        )
        for n in SOURCE_NAMES
    }


class LaunchConsole(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "launch-console"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("w", "chart_window", "15/60 min", show=False),
        Binding("g", "runbook", "Runbook"),
        Binding("r", "refresh_now", "Poll now", show=False),
        Binding("R", "remediate('rollback')", "Rollback"),
        Binding("D", "remediate('disk_cleanup')", "Disk clean-up"),
        Binding("A", "remediate('restart_api')", "Restart API"),
        Binding("P", "remediate('ingestion')", "Pause/resume ingestion"),
        Binding("B", "remediate('db_restore')", "DB restore"),
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
        tick: float = 1.0,
        control: Control | None = None,
        display: bool = False,
    ) -> None:
        super().__init__()
        # The war-room profile: watch only, no action keys, big clock and charts, high contrast.
        self.display_profile = display
        read_only = read_only or display
        self.config = config
        self.clock = clock
        self.mode = mode
        self.detail = detail
        self.read_only = read_only
        self.live = live
        self.tick = tick
        self.store = Store(clock, config.poll.history, stale_after(config))
        self.poller = Poller(sources, self.store, clock, config.poll)
        self.assessment = Assessment()
        self.control = control
        self.audit = AuditLog(config.audit.path)
        self.lock = ActionLock(config.actions.lock_path)
        self.running_action: str | None = None
        self.alert_tracker = AlertTracker()
        self.launch_state = self._load_launch_state()
        self.checks: list = []
        self._status_reminded: float | None = None
        self.chart_window = CHART_WINDOWS[0]

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(self.config.launch.name, self.mode, self.detail, self.read_only)
        yield Static("", id="banner")
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
                    yield TrendChart(title, metric, unit, id=f"chart-{metric}")
        yield Footer()

    def on_mount(self) -> None:
        problem = getattr(self, "_state_problem", None)
        if problem:
            self.notify(problem, title="Runbook state", severity="error", timeout=30)
        if self.display_profile:
            self.register_theme(HIGH_CONTRAST)
            self.theme = HIGH_CONTRAST.name
            self.screen.add_class("display")
        self._apply_size(self.size.width, self.size.height)
        self.refresh_panes()
        if self.live:
            # Readings land in the store; the one-second tick redraws what changed. Assessing
            # on every reading as well cost more CPU than the screen gained.
            self.poller.start()
            self.set_interval(self.tick, self.refresh_panes)
            self._watch_terminal_loss()

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        self.screen.set_class(width < COMPACT_BELOW, "compact")
        self.screen.set_class(width >= WALL_FROM[0] and height >= WALL_FROM[1], "wall")

    # --- terminal loss ------------------------------------------------------------------------

    def _watch_terminal_loss(self) -> None:
        """SIGHUP (closed SSH, closed terminal) ends the console instead of leaving it spinning."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._lost_terminal)

    def _lost_terminal(self) -> None:
        self.exit(return_code=129)
        # If the way out is blocked (a dead terminal that never drains), do not linger.
        fallback = threading.Timer(3.0, os._exit, args=(129,))
        fallback.daemon = True
        fallback.start()

    async def on_unmount(self) -> None:
        await self.poller.stop()
        if self.control is not None:
            await self.control.close()

    # --- remediation --------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, title in ACTIONS.items():
            # Through run_action, so the palette meets exactly the same refusals as the keys.
            yield SystemCommand(
                title,
                "remediation: shows its plan first",
                partial(self.run_action, f"remediate({name!r})"),
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # App bindings stay live under a modal: keep the action keys from firing there (typing
        # ROLLBACK must not also press A for "restart API").
        if action == "remediate" and self.display_profile:
            return False  # the war-room screen has no action keys at all
        return not (action == "remediate" and isinstance(self.screen, ModalScreen))

    def refusal(self, name: str) -> str | None:
        """Why the action cannot start now, or None. The single gate for keys and palette."""
        if self.read_only:
            return "READ-ONLY console (--read-only): remediation is disabled on this screen."
        if self.control is None:
            return "No control of the stack in this console."
        if self.running_action is not None:
            return f"{self.running_action} is already running in this console."
        holder = self.lock.holder()
        if holder is not None:
            return f"Another console holds the action lock: {holder.describe()}."
        return None

    def action_remediate(self, name: str) -> None:
        reason = self.refusal(name)
        if reason is not None:
            self.notify(reason, title=f"{ACTIONS.get(name, name)} refused", severity="error")
            return
        self.running_action = name  # set now: a second key press before the plan shows is refused
        self.run_worker(self._remediate(name), group="remediation", exclusive=True)

    async def _remediate(self, name: str) -> None:
        assert self.control is not None
        try:
            try:
                if name == "db_restore":
                    names = await self.push_screen_wait(NamesModal(self.audit.operator))
                    if names is None:
                        self.notify("Cancelled: nothing was done.", title=ACTIONS[name])
                        return
                    plan = await db_restore(self.config, self.control, *names)
                else:
                    plan = await build_plan(name, self.config, self.control, self.clock.now())
            except Exception as exc:  # the preview could not be made: say so, do nothing
                self.notify(
                    f"Could not prepare the plan: {type(exc).__name__}: {exc}",
                    title=ACTIONS[name],
                    severity="error",
                )
                return
            confirmed = await self.push_screen_wait(ConfirmModal(plan, self.audit.operator))
            if not confirmed:
                cancelled(plan, self.audit)
                self.notify("Cancelled: nothing was done.", title=plan.title)
                return
            screen = ProgressScreen(plan)
            await self.push_screen(screen)
            try:
                ok = await execute(plan, self.audit, self.lock, lambda p, s: screen.update_plan())
            except ActionBusy as exc:
                screen.dismiss(None)
                self.notify(f"Refused: {exc}", title=plan.title, severity="error")
                return
            except OSError as exc:  # the audit log cannot be written: stop, and say why
                screen.update_plan(finished=True)
                self.notify(
                    f"Stopped: audit log {self.audit.path}: {exc.strerror}",
                    title=plan.title,
                    severity="error",
                )
                return
            screen.update_plan(finished=True)
            self.notify(
                "Every step verified." if ok else "Stopped at a failed step.",
                title=plan.title,
                severity="information" if ok else "error",
            )
        finally:
            self.running_action = None

    # --- data to panes ------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Poll every source once and redraw: for tests and the 'poll now' key."""
        await self.poller.sweep()
        self.refresh_panes()

    async def action_refresh_now(self) -> None:
        await self.sweep()

    def refresh_panes(self) -> None:
        now = self.clock.now()
        self.assessment = assess(self.store, self.config, now)
        clock = countdown(self.config, now)
        now_text = wall(now, self.config.launch.zone)
        self.query_one(CountdownPane).show_countdown(clock, now_text)
        self.query_one(BigClock).show_countdown(clock, now_text)
        # Rollback triggers first (fired, then pending), then the rest by level.
        self.assessment.alerts = sorted(
            self._runbook_alerts(now) + self.assessment.alerts,
            key=lambda a: (
                0 if a.rollback and a.level is Level.CRIT else 1 if a.rollback else 2,
                -a.level,
            ),
        )
        tracked, new = self.alert_tracker.update(self.assessment.alerts, now)
        self.query_one(AlertStrip).show_alerts(tracked)
        self._show_banner([t for t in tracked if needs_banner(t.alert)], new)
        for source in ("containers", *METRIC_PANES):
            self._show_source(source, now)
        self.refresh_charts(now, force=not self.live)
        self.refresh_runbook()

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
        text = "  ·  ".join(t.text for t in banner)
        widget.display = bool(banner)
        if str(widget.content) != text:
            widget.update(text)
        if any(needs_banner(a) for a in new):
            self.bell()  # once per new alert, never per refresh

    # --- the runbook: checklist, go/no-go, milestones, incidents (Sections 1, 2, 5, 6) -----------

    def _load_launch_state(self) -> LaunchState:
        path = self.config.launchday.state_path
        try:
            return load_state(path)
        except (ValueError, TypeError, OSError) as exc:
            # Never silently lose ticks: keep the unreadable file aside and say so.
            aside = f"{path}.unreadable"
            with contextlib.suppress(OSError):
                os.replace(path, aside)
            self._state_problem = f"{path}: unreadable ({exc}); kept as {aside}"
            return LaunchState()

    def _save_launch_state(self) -> None:
        try:
            save_state(self.launch_state, self.config.launchday.state_path)
        except OSError as exc:
            self.notify(
                f"Could not save {self.config.launchday.state_path}: {exc.strerror}",
                severity="error",
            )

    def _runbook_alerts(self, now: float) -> list[Alert]:
        """P0 gates, the P1-for-30-min rollback trigger, milestones, status reminders."""
        readings = [r for r in (self.store.good(s) for s in SOURCE_NAMES) if r is not None]
        self.checks = evaluate_checks(readings, self.config)
        state = self.launch_state
        alerts: list[Alert] = []
        long_p1 = p1_too_long(state, now)
        if long_p1 is not None:
            alerts.append(
                Alert(
                    "rollback:p1",
                    Level.CRIT,
                    f"ROLLBACK TRIGGER: P1 #{long_p1.id} active > 30 min ({long_p1.summary})",
                    rollback=True,
                )
            )
        for gate in p0_gates(self.checks, state):
            if gate.ok is False:
                alerts.append(Alert(gate.id, Level.CRIT, f"P0 gate: {gate.title}: {gate.value}"))
        changed = record_due_milestones(self.store, self.checks, state, self.config, now)
        error_trigger = next(
            (t for t in self.assessment.triggers if t.metric == "error_rate_5xx"), None
        )
        if (
            error_trigger is not None
            and error_trigger.state.fired
            and state.error_trigger_at is None
        ):
            state.error_trigger_at = now  # Section 6: a failed launch, remembered
            changed = True
        if changed:
            self._save_launch_state()
        for mid, result in state.milestones.items():
            if result["passed"] is False:
                failed = ", ".join(w for w, ok, _ in result["values"] if ok is False)
                alerts.append(
                    Alert(f"milestone:{mid}", Level.WARN, f"milestone {mid} failed: {failed}")
                )
        if (
            status_post_due(state, self.config, now)
            and self._status_reminded != state.last_status_post
        ):
            self._status_reminded = state.last_status_post
            self.notify(
                "An incident is open: post a status update (runbook 5.4, every 30 min). g then s.",
                title="Status update due",
                timeout=30,
            )
        return alerts

    def runbook_view(self) -> RunbookView:
        now = self.clock.now()
        state, cfg = self.launch_state, self.config
        as_ok = {"ok": True, "warn": "warn", "crit": False, "unknown": None}
        checklist = [(c.id, c.title, c.owner, as_ok[c.level], c.value) for c in self.checks]
        for item in cfg.launchday.checklist:
            tick = state.ticks.get(item.id)
            value = (
                f"ticked by {tick['by']} {format_duration(now - tick['at'])} ago"
                if tick
                else "to do"
            )
            checklist.append((item.id, item.title, item.owner, bool(tick), value))
        gates = p0_gates(self.checks, state)
        verdict = go_no_go(gates, state, cfg, now)
        launch_at = verdict.new_launch or cfg.launch.epoch
        zone_time = wall(launch_at, cfg.launch.zone).split(" · ")[1]
        milestones = []
        for m in cfg.milestones:
            result = state.milestones.get(m.id)
            at = cfg.launch.epoch + m.at
            if result is not None:
                detail = "; ".join(f"{w}: {v}" for w, _, v in result["values"])
                milestones.append((m.id, format_offset(m.at), m.title, result["passed"], detail))
            elif now < at:
                milestones.append(
                    (
                        m.id,
                        format_offset(m.at),
                        m.title,
                        None,
                        f"in {format_duration(at - now)}" if at - now < 4 * 3600 else "upcoming",
                    )
                )
            else:
                milestones.append((m.id, format_offset(m.at), m.title, None, "passed (no checks)"))
        criteria = first_hour(self.store, cfg, now, state)
        return RunbookView(
            verdict_line=launch_verdict(state, criteria, gates, cfg, now),
            checklist=checklist,
            manual_ids=[i.id for i in cfg.launchday.checklist],
            gates=gates,
            owners=[(o, state.owners.get(o, "—")) for o in cfg.launchday.go_owners],
            verdict=verdict,
            milestones=milestones,
            incidents=state.incidents,
            first_hour=criteria,
            now=now,
            launch_zone_time=zone_time,
        )

    def refresh_runbook(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, RunbookScreen):
                screen.show(self.runbook_view())

    def action_runbook(self) -> None:
        if not any(isinstance(s, RunbookScreen) for s in self.screen_stack):
            self.push_screen(RunbookScreen())

    def _editable(self) -> bool:
        if self.read_only:
            self.notify(
                "READ-ONLY console: the runbook state is edited from the on-call console.",
                severity="error",
            )
            return False
        return True

    def tick_item(self, item_id: str) -> None:
        manual = {i.id for i in self.config.launchday.checklist}
        if item_id not in manual:
            self.notify("That item is checked live from the stack; it cannot be ticked by hand.")
            return
        if not self._editable():
            return
        ticks = self.launch_state.ticks
        if item_id in ticks:
            del ticks[item_id]
        else:
            ticks[item_id] = {"by": self.audit.operator, "at": self.clock.now()}
        self._save_launch_state()
        self.refresh_runbook()

    def toggle_owner(self, owner: str) -> None:
        if not self._editable():
            return
        owners = self.launch_state.owners
        owners[owner] = {"go": "hold", "hold": "go"}.get(owners.get(owner, ""), "go")
        self._save_launch_state()
        self.refresh_runbook()

    def open_incident(self) -> None:
        if self._editable():
            self.run_worker(self._open_incident(), group="runbook", exclusive=True)

    async def _open_incident(self) -> None:
        text = await self.push_screen_wait(
            TextModal(
                "Open an incident: start with P1 or P2, then one line (runbook 5.2)",
                "P1 API returning 503 on search",
            )
        )
        if text is None:
            return
        severity, _, summary = text.partition(" ")
        if severity.upper() not in ("P1", "P2") or not summary.strip():
            self.notify(
                "Start with P1 or P2 and a summary, e.g. 'P1 search returns 503'.",
                severity="warning",
            )
            return
        state = self.launch_state
        state.incidents.append(
            Incident(
                id=len(state.incidents) + 1,
                severity=severity.upper(),
                summary=summary.strip(),
                opened_at=self.clock.now(),
                opened_by=self.audit.operator,
            )
        )
        self._save_launch_state()
        self.refresh_panes()

    def resolve_incident(self) -> None:
        if self._editable():
            self.run_worker(self._resolve_incident(), group="runbook", exclusive=True)

    async def _resolve_incident(self) -> None:
        active = self.launch_state.active_incidents()
        if not active:
            self.notify("No open incident.")
            return
        incident = min(active, key=lambda i: (i.severity, i.opened_at))
        cause = await self.push_screen_wait(
            TextModal(
                f"Resolve {incident.severity} #{incident.id} {incident.summary}: root cause",
                "connection leak in the search handler",
            )
        )
        if cause is None:
            return
        incident.resolved_at = self.clock.now()
        incident.root_cause = cause
        self._save_launch_state()
        self.refresh_panes()
        self.notify(
            all_clear(self.config, incident, self.clock.now()), title="All-clear ready (g, s)"
        )

    def enter_numbers(self) -> None:
        if self._editable():
            self.run_worker(self._enter_numbers(), group="runbook", exclusive=True)

    async def _enter_numbers(self) -> None:
        text = await self.push_screen_wait(
            TextModal(
                "What the console cannot measure: 'users N' (GA4) or 'votes N' (Product Hunt)",
                "users 140",
            )
        )
        if text is None:
            return
        what, _, number = text.partition(" ")
        key = {"users": "ga4_users", "votes": "ph_votes"}.get(what.lower())
        if key is None or not number.strip().isdigit():
            self.notify("Write 'users 140' or 'votes 62'.", severity="warning")
            return
        self.launch_state.manual[key] = number.strip()
        self._save_launch_state()
        self.refresh_runbook()

    def status_post(self) -> None:
        self.run_worker(self._status_post(), group="runbook", exclusive=True)

    async def _status_post(self) -> None:
        now, state = self.clock.now(), self.launch_state
        posts = [
            ("Status update (5.4)", incident_update(self.store, self.config, state, now)),
            ("T+15 status", t15_status(self.store, self.config)),
            ("T+1h milestone", t1h_milestone(self.store, self.config, state)),
        ]
        resolved = [i for i in state.incidents if not i.active]
        if resolved:
            posts.append(("All-clear", all_clear(self.config, resolved[-1], now)))
        text = await self.push_screen_wait(PostModal(posts))
        if text is None:
            return
        if self.read_only:
            self.notify("READ-ONLY console: copy the text instead (c).", severity="error")
            return
        try:
            done = await slack_post(text, self.config.launchday.slack_webhook_env)
        except (NoWebhook, RuntimeError) as exc:
            self.notify(str(exc), title="Not posted", severity="error")
            return
        state.last_status_post = now
        self._save_launch_state()
        self.notify(done, title="Status update")

    def action_chart_window(self) -> None:
        i = CHART_WINDOWS.index(self.chart_window)
        self.chart_window = CHART_WINDOWS[(i + 1) % len(CHART_WINDOWS)]
        self.refresh_charts(self.clock.now(), force=True)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS, read_only=self.read_only))

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
        findings = self.assessment.panes.get(source, [])
        level = self.assessment.pane_level(source)
        subtitle, old = self._subtitle(source)
        good = self.store.good(source)
        if source == "containers":
            pane = self.query_one("#containers", ContainersPane)
            if isinstance(good, ContainersReading):
                pane.show_containers(good, findings, now, level, subtitle, dim=old)
            else:
                pane.show(("empty", subtitle), level, lambda: "no data yet", subtitle)
            return
        _, reading_type, rows_for = METRIC_PANES[source]
        metrics = self.query_one(f"#{source}", MetricsPane)
        if isinstance(good, reading_type):
            metrics.show_rows(rows_for(good, findings), level, subtitle, dim=old)
        else:
            metrics.show_rows([("", "no data yet", None)], level, subtitle)
