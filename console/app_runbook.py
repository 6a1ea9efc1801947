"""The console's runbook screen: checklist ticks, Go/Hold, incidents, numbers entered by hand,
status posts, and the alerts the runbook adds (P0 gates, P1 > 30 min, milestones).

The state is shared by every console on the host (console/runbook_store.py): each refresh (and
each clock tick) asks the store whether anyone changed it, and shows the change. Operator inputs
are refused in a read-only console, and a change someone else made first is said, not
overwritten; the facts the judge keeps (milestone results, the first hour's figures, trigger
onsets, the T-15 board) are written by the first console that can write and judges them, and
only shown by a read-only one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from textual.notifications import SeverityLevel

from console.config import Config
from console.durations import format_duration, format_offset
from console.judge import Judgement
from console.launchday import (
    Incident,
    LaunchState,
    status_post_due,
)
from console.posts import all_clear, posts
from console.runbook_store import Conflict, RunbookStore, StateUnusable
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

    runbook_store: RunbookStore | None = None

    def _load_launch_state(self) -> LaunchState:
        self.runbook_store = RunbookStore(
            self.config.launchday.state_path, self.audit.operator, writable=not self.read_only
        )
        return self.runbook_store.state

    def _tell_state_notes(self) -> None:
        """What the store found (a migration, a file kept aside, a row ignored), said once;
        a problem with the file itself, each time it changes."""
        store = self.runbook_store
        if store is None:
            return
        notes, store.notes[:] = list(store.notes), []
        problem = store.problem
        if problem and problem != getattr(self, "_state_problem_shown", ""):
            notes.append(problem)
        self._state_problem_shown = problem
        for note in notes:
            bad = bool(problem) or "unreadable" in note or "ignored" in note
            severity: SeverityLevel = "error" if bad else "information"
            self.notify(note, title="Runbook state", severity=severity, timeout=30, markup=False)

    def _poll_launch_state(self) -> bool:
        """Did anyone change the shared state? Then show it. Cheap when nothing changed."""
        store = self.runbook_store
        if store is None or not store.changed():
            return False
        self.launch_state = store.state
        self._tell_state_notes()
        return True

    def _save_launch_state(self) -> None:
        """The facts this console's judge kept (console.judge.remember): each written as a
        compare-and-set against the state last read, so a fact another console wrote first
        stays (the first console to judge wins; this one then shows theirs); never from a
        read-only console (it shows its own judgement until the store has one)."""
        store = self.runbook_store
        if store is None or self.read_only:
            return
        try:
            store.save(self.launch_state)
        except (StateUnusable, sqlite3.Error) as exc:
            self._not_saved(exc)
        self.launch_state = store.state
        self._record_state()

    def _change_state(self, change: Callable[[LaunchState], None], what: str) -> bool:
        """An operator's input: `change` applied to the state this console shows, written as
        compare-and-set per entry. False (and said) when refused or overtaken."""
        store = self.runbook_store
        if not self._editable() or store is None:
            return False
        try:
            conflicts = store.edit(change)
        except (StateUnusable, sqlite3.Error) as exc:
            self._not_saved(exc)
            return False
        finally:
            self.launch_state = store.state
            self._record_state()
        if conflicts:
            self._overtaken(what, conflicts)
            return False
        return True

    def _overtaken(self, what: str, conflicts: list[Conflict]) -> None:
        first = conflicts[0].now
        if first is None:
            who = "someone removed it meanwhile"
        else:
            ago = format_duration(max(0.0, time.time() - first.at))
            who = f"{first.by} changed it {ago} ago ({first.console})"
        self.notify(
            f"{what}: not changed — {who}. The screen now shows theirs; press again to change it.",
            title="Changed by another console",
            severity="warning",
            markup=False,
        )

    def _not_saved(self, exc: Exception) -> None:
        store = self.runbook_store
        path = store.path if store is not None else self.config.launchday.state_path
        reason = str(exc) if isinstance(exc, StateUnusable) else f"{path}: {exc}"
        self.notify(f"Not saved: {reason}", title="Runbook state", severity="error", markup=False)

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
        tick = {"by": self.audit.operator, "at": self.clock.now()}

        def toggle(state: LaunchState) -> None:
            if state.ticks.pop(item_id, None) is None:
                state.ticks[item_id] = tick

        self._change_state(toggle, f"checklist item {item_id}")
        self.refresh_runbook()

    def toggle_owner(self, owner: str) -> None:

        def toggle(state: LaunchState) -> None:
            call = state.owners.get(owner, "")
            state.owners[owner] = {"go": "hold", "hold": "go"}.get(call, "go")

        self._change_state(toggle, f"{owner}'s Go / Hold")
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
        store = self.runbook_store
        if not self._editable() or store is None:
            return
        opened_at = self.clock.now()
        try:
            # The number comes from the shared store: two consoles never open the same one.
            store.add_incident(
                lambda number: Incident(
                    id=number,
                    severity=severity.upper(),
                    summary=summary.strip(),
                    opened_at=opened_at,
                    opened_by=self.audit.operator,
                )
            )
        except (StateUnusable, sqlite3.Error) as exc:
            self._not_saved(exc)
        self.launch_state = store.state
        self._record_state()
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
        now = self.clock.now()

        def resolve(state: LaunchState) -> None:
            for mine in state.incidents:
                if mine.id == incident.id:
                    mine.resolved_at, mine.root_cause = now, cause

        done = self._change_state(resolve, f"{incident.severity} #{incident.id}")
        self.refresh_panes()  # judged again: the all-clear says what is still wrong, if anything
        if not done:
            return
        incident.resolved_at, incident.root_cause = now, cause
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
        self._change_state(
            lambda state: state.manual.__setitem__(key, number.strip()), f"the number {what}"
        )
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
        self._change_state(lambda s: setattr(s, "last_status_post", now), "the last status post")
        self.notify(done, title="Status update")
