"""The console's runbook screen: checklist ticks, Go/Hold, incidents, numbers entered by hand,
status posts, and the alerts the runbook adds (P0 gates, P1 > 30 min, milestones)."""

from __future__ import annotations

import contextlib
import os

from console.check import evaluate as evaluate_checks
from console.durations import format_duration, format_offset
from console.launchday import (
    Gate,
    Incident,
    LaunchState,
    Verdict,
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
from console.rules import Alert, Level
from console.slack import NoWebhook
from console.slack import post as slack_post
from console.sources import SOURCE_NAMES
from console.timeline import wall
from widgets.runbook import PostModal, RunbookScreen, RunbookView, TextModal


class RunbookMixin:
    """Mixed into LaunchConsole; uses its config, clock, store, audit, assessment, read_only."""

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

    def _board(self, now: float) -> tuple[list[Gate], Verdict]:
        """The P0 gates and Rex's GO / HOLD as the go/no-go board shows them now."""
        gates = p0_gates(self.checks, self.launch_state)
        return gates, go_no_go(gates, self.launch_state, self.config, now)

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
            all_clear(self.config, incident, self.clock.now()),
            title="All-clear ready (g, s)",
            markup=False,  # quotes the incident's summary and root cause
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
            self.notify(str(exc), title="Not posted", severity="error", markup=False)
            return
        state.last_status_post = now
        self._save_launch_state()
        self.notify(done, title="Status update")
