"""The console's runbook screen: checklist ticks, Go/Hold, incidents, numbers entered by hand,
status posts, and the alerts the runbook adds (P0 gates, P1 > 30 min, milestones)."""

from __future__ import annotations

import contextlib
import os

from console.config import Config
from console.durations import format_duration, format_offset
from console.judge import Judgement
from console.launchday import (
    Incident,
    LaunchState,
    load_state,
    save_state,
    status_post_due,
)
from console.posts import all_clear, posts
from console.slack import NoWebhook
from console.slack import post as slack_post
from console.timeline import both_times, runbook_zone_note, zone_time
from widgets.runbook import PostModal, RunbookScreen, RunbookView, TextModal

# What `u` takes: the numbers the console cannot measure (GA4, Product Hunt), by word.
MANUAL = {"users": "ga4_users", "sessions": "ga4_sessions", "votes": "ph_votes"}


def build_runbook_view(j: Judgement, state: LaunchState, config: Config) -> RunbookView:
    """Everything the runbook screen shows, from the Judgement and the runbook state."""
    now = j.now
    as_ok = {"ok": True, "warn": "warn", "crit": False, "unknown": None}
    checklist = [(c.id, c.title, c.owner, as_ok[c.level], c.value) for c in j.prelaunch]
    for item in config.launchday.checklist:
        tick = state.ticks.get(item.id)
        value = (
            f"ticked by {tick['by']} {format_duration(now - tick['at'])} ago" if tick else "to do"
        )
        checklist.append((item.id, item.title, item.owner, bool(tick), value))
    milestones = [
        (
            m.id,
            format_offset(m.offset),
            both_times(m.due, config.launch.zone),
            m.title,
            m.state,
            m.detail,
        )
        for m in j.milestones
    ]
    verdict = j.board
    launch_at = verdict.new_launch or config.launch.epoch
    return RunbookView(
        verdict_line=j.verdict,
        checklist=checklist,
        manual_ids=[i.id for i in config.launchday.checklist],
        gates=j.gates,
        owners=[(o, state.owners.get(o, "—")) for o in config.launchday.go_owners],
        verdict=verdict,
        milestones=milestones,
        incidents=state.incidents,
        first_hour=j.first_hour,
        now=now,
        launch_zone_time=zone_time(launch_at, config.launch.zone),
        zone_note=runbook_zone_note(config),
        milestones_line=j.milestones_line,
    )


class RunbookMixin:
    """Mixed into LaunchConsole; uses its config, clock, store, audit, judgement, read_only."""

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
        self._record_state()
        try:
            save_state(self.launch_state, self.config.launchday.state_path)
        except OSError as exc:
            self.notify(
                f"Could not save {self.config.launchday.state_path}: {exc.strerror}",
                severity="error",
                markup=False,
            )

    def _status_reminder(self, now: float) -> None:
        """While an incident is open, a reminder every 30 min to post (runbook 5.4)."""
        state = self.launch_state
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

    def runbook_view(self) -> RunbookView:
        return build_runbook_view(self.judgement, self.launch_state, self.config)

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
        self.refresh_panes()  # judged again: the all-clear says what is still wrong, if anything
        self.notify(
            all_clear(self.judgement, self.config, incident),
            title="All-clear ready (g, s)",
            markup=False,  # quotes the incident's summary and root cause
        )

    def enter_numbers(self) -> None:
        if self._editable():
            self.run_worker(self._enter_numbers(), group="runbook", exclusive=True)

    async def _enter_numbers(self) -> None:
        text = await self.push_screen_wait(
            TextModal(
                "What the console cannot measure: 'users N' or 'sessions N' (GA4), "
                "'votes N' (Product Hunt)",
                "users 140",
            )
        )
        if text is None:
            return
        what, _, number = text.partition(" ")
        key = MANUAL.get(what.lower())
        if key is None or not number.strip().isdigit():
            self.notify("Write 'users 140', 'sessions 310' or 'votes 62'.", severity="warning")
            return
        self.launch_state.manual[key] = number.strip()
        self._save_launch_state()
        self.refresh_panes()

    def status_post(self) -> None:
        self.run_worker(self._status_post(), group="runbook", exclusive=True)

    async def _status_post(self) -> None:
        self.refresh_panes()  # the posts quote the judgement of this instant
        now, state = self.clock.now(), self.launch_state
        text = await self.push_screen_wait(PostModal(posts(self.judgement, state, self.config)))
        if text is None:
            return
        if self.read_only:
            self.notify("READ-ONLY console: copy the text instead (c).", severity="error")
            return
        try:
            done = await slack_post(text, self.config.launchday.slack_webhook_env)
        except (NoWebhook, RuntimeError) as exc:
            self.notify(str(exc), title="Not posted", severity="error", markup=False)
            return
        state.last_status_post = now
        self._save_launch_state()
        self.notify(done, title="Status update")
