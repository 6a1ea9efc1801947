"""The console's remediation keys: the gate every action passes, the plan -> confirm -> hand to
the runner flow (the actions themselves live in console.actions), and following a run.

A confirmed plan is handed to a runner (console.actions.runner): a process of its own for a
live console, so that the run never depends on this console, its terminal or its SSH session;
in the demo, the same session inside this console. Every console follows the current run from
the lock's record and the audit log (console.actions.runs): the run bar under the banner says
what runs, by whom, which step, since when, and how it ended; `a` opens its live progress, and a
console started while a run is going opens it by itself. A dead runner is noticed and recorded
`interrupted` by whichever console sees it first.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from rich.text import Text
from textual.app import SystemCommand
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from console.actions.plan import Plan, cancelled
from console.actions.runbook import ACTIONS, plan_from_request
from console.actions.runner import Order, Refused
from console.actions.runs import RunView, RunWatch, Signals, new_run_id
from console.text import clean
from widgets.confirm import ConfirmModal
from widgets.names import NamesModal
from widgets.progress import ProgressScreen
from widgets.question import QuestionModal

ACTIVE_POLL = 0.25  # seconds between looks at a run while one is going
IDLE_POLL = 1.0  # ... and while none is (to see one start, from any console)


class RemediationMixin:
    """Mixed into LaunchConsole; uses its config, clock, control, audit, lock, runner, read_only."""

    _run_watch: RunWatch | None = None
    _run_local: set[str]
    _run_started: set[str]
    _run_seen_active: str = ""

    # --- remediation --------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)  # type: ignore[misc]
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
        if action == "attach" and isinstance(self.screen, ModalScreen):
            return False
        return not (action == "remediate" and isinstance(self.screen, ModalScreen))

    def refusal(self, name: str) -> str | None:
        """Why the action cannot start now, or None. The single gate for keys and palette."""
        if self.read_only:
            return "READ-ONLY console (--read-only): remediation is disabled on this screen."
        if self.control is None:
            return "No control of the stack in this console."
        if self.running_action is not None:
            return f"{self.running_action} is already being prepared in this console."
        watch = self.run_watch
        watch.poll()
        if watch.active is not None:
            return f"{watch.active.summary(self.config.launch.zone)}: press a to watch it."
        holder = self.lock.holder()  # never raises: an unusable lock comes back as a problem
        if holder is not None and holder.problem:
            return f"The action lock cannot be used: {holder.describe()}."
        if holder is not None:
            return f"Another console holds the action lock: {holder.describe()}."
        return None

    def action_remediate(self, name: str) -> None:
        reason = self.refusal(name)
        if reason is not None:
            self.notify(
                reason, title=f"{ACTIONS.get(name, name)} refused", severity="error", markup=False
            )
            return
        self.running_action = name  # set now: a second key press before the plan shows is refused
        self.run_worker(self._remediate(name), group="remediation", exclusive=True)

    async def _request(self, name: str) -> dict[str, Any] | None:
        """What the plan is built from (None: the operator cancelled before a plan)."""
        if name == "db_restore":
            names = await self.push_screen_wait(NamesModal(self.audit.operator))
            if names is None:
                return None
            return {"action": "db_restore", "operator": names[0], "authoriser": names[1]}
        if name == "rollback":
            return {"action": "rollback", "now": self.clock.now(), "reason": ""}
        return {"action": name}

    async def _plan(self, request: dict[str, Any]) -> Plan | None:
        assert self.control is not None
        try:
            return await plan_from_request(request, self.config, self.control)
        except Exception as exc:  # the preview could not be made: say so, do nothing
            self.notify(
                f"Could not prepare the plan: {type(exc).__name__}: {exc}",
                title=ACTIONS.get(str(request.get("action")), "action"),
                severity="error",
                markup=False,
            )
            return None

    async def _remediate(self, name: str) -> None:
        try:
            request = await self._request(name)
            if request is None:
                self.notify("Cancelled: nothing was done.", title=ACTIONS[name])
                return
            # The generation before the preview: a run that happens while the operator reads
            # the plan makes this confirm stale (10.13).
            self._poll_run()
            generation = self.run_watch.generation
            plan = await self._plan(request)
            while plan is not None:
                confirmed = await self.push_screen_wait(ConfirmModal(plan, self.audit.operator))
                if not confirmed:
                    self._audit_quietly(cancelled, plan, self.audit)
                    self.notify("Cancelled: nothing was done.", title=plan.title)
                    return
                order = Order(
                    run=new_run_id(),
                    action=plan.action,
                    operator=self.audit.operator,
                    request=plan.request,
                    generation=generation,
                    signature=plan.signature,
                    lock_path=self.lock.path,
                    audit_path=self.audit.path,
                    log_file=self.log_file,
                )
                if not self.runner.local:  # a second or so: a Python process starting
                    self.notify("Handing the plan to its runner…", title=plan.title, timeout=3)
                try:
                    started = await self.runner.start(order, plan, self.audit, self._run_progress)
                except Refused as exc:
                    if exc.kind not in ("stale", "changed"):
                        self.notify(
                            f"Refused: {exc}", title=plan.title, severity="error", markup=False
                        )
                        return
                    # Bound to the state it previewed: the confirm is refused, the plan rebuilt
                    # from the state now and shown again.
                    self._audit_quietly(
                        self.audit.write,
                        plan.action,
                        "plan",
                        "refused",
                        f"{exc}; the plan was rebuilt and shown again",
                    )
                    self.notify(
                        f"Not run: {exc}. The plan has been rebuilt from the state now: "
                        "read it again.",
                        title=plan.title,
                        severity="warning",
                        markup=False,
                    )
                    generation = exc.generation if exc.generation is not None else generation
                    if request.get("action") == "rollback":
                        request = {**request, "now": self.clock.now()}
                    plan = await self._plan(request)
                    if plan is not None:  # why it is shown again, at the top of the plan
                        plan.preview.insert(
                            0, f"Not run: {exc}. Rebuilt from the state now: read it again."
                        )
                    continue
                self._run_started.add(started.run)
                if self.runner.local:
                    self._run_local.add(started.run)
                self._poll_run()
                self._attach(started.run)
                self.on_run_started(plan.action)
                if started.task is not None:
                    await started.task  # the demo's run lives in this console
                    self._poll_run()  # how it ended
                return
        finally:
            self.running_action = None

    def _audit_quietly(self, write, *args) -> None:
        """An audit line that cannot be written costs the line, not the console: say so."""
        try:
            write(*args)
        except OSError as exc:
            self.notify(
                f"Audit log {self.audit.path}: {exc.strerror}",
                title="Audit",
                severity="error",
                markup=False,
            )

    def on_run_started(self, action: str) -> None:
        """A run this console started has been taken by its runner (a hook for the judge)."""

    # --- following the run ------------------------------------------------------------------

    @property
    def run_watch(self) -> RunWatch:
        if self._run_watch is None:
            self._run_watch = RunWatch(
                self.lock, self.audit.operator, self.audit.path, self.clock.now
            )
        return self._run_watch

    def _start_following(self) -> None:
        """At mount: what runs (or ran) now; a console started during a run attaches to it."""
        new = self.run_watch.first_poll()
        self._after_poll(new)
        active = self.run_watch.active
        if active is not None and not self.display_profile:
            self._attach(active.run)
        if self.live:
            self.set_timer(ACTIVE_POLL if active else IDLE_POLL, self._poll_tick)

    def _poll_tick(self) -> None:
        self._poll_run()
        active = self.run_watch.active is not None or isinstance(self.screen, ProgressScreen)
        self.set_timer(ACTIVE_POLL if active else IDLE_POLL, self._poll_tick)

    def _run_progress(self, plan: Plan, step: object) -> None:
        """The in-process runner's word after each audit line: follow it at once."""
        self._poll_run()

    def _poll_run(self) -> None:
        self._after_poll(self.run_watch.poll())

    def _after_poll(self, new: list[dict]) -> None:
        watch = self.run_watch
        view = watch.view
        if view is not None and view.run not in self._run_local:
            # Lines a runner process wrote: this console's recorder hears them as its own.
            for record in new:
                self._record_audit(record)
        if not watch.changed:
            return
        self._show_run_bar(view)
        for screen in self.screen_stack:
            if isinstance(screen, ProgressScreen) and view is not None and screen.run == view.run:
                screen.show(view)
        if view is not None and view.finished and self._run_seen_active == view.run:
            self._run_seen_active = ""
            self.notify(
                view.summary(self.config.launch.zone),
                title=view.title,
                severity="information" if view.ok else "error",
                markup=False,
            )
        elif view is not None and not view.finished:
            self._run_seen_active = view.run

    def _show_run_bar(self, view: RunView | None) -> None:
        try:
            bar = self.query_one("#runbar", Static)
        except Exception:
            return  # not composed (yet)
        if view is None:
            bar.display = False
            return
        text = Text()
        zone = self.config.launch.zone
        if view.finished:
            mark = "✔" if view.ok else "✖"
            text.append(f"{mark} last action: {clean(view.summary(zone))}")
        else:
            text.append(f"▶ {clean(view.summary(zone))}")
        if view.note:
            text.append(f" — {clean(view.note)}")
        if not self.display_profile:
            text.append("   a: watch", style="dim")
        bar.set_class(not view.finished, "running")
        bar.set_class(view.finished and not view.ok, "bad")
        bar.display = True
        bar.update(text)

    def _attach(self, run: str) -> None:
        view = self.run_watch.view
        if view is None or view.run != run:
            return
        for screen in self.screen_stack:
            if isinstance(screen, ProgressScreen) and screen.run == run:
                return
        self.push_screen(
            ProgressScreen(
                view,
                self.config.launch.zone,
                read_only=self.read_only,
                local=run in self._run_local,
            )
        )

    def action_attach(self) -> None:
        self._poll_run()
        view = self.run_watch.view
        if view is None:
            problem = self.run_watch.problem
            self.notify(problem or "No action has run on this host yet.", markup=False)
            return
        self._attach(view.run)

    # --- what a progress screen asks --------------------------------------------------------

    def on_progress_screen_signal(self, message: ProgressScreen.Signal) -> None:
        """`x` (confirmed) or `d` on a progress screen: tell the runner, whichever process."""
        if self.read_only:
            self.notify(
                "READ-ONLY console (--read-only): it cannot stop or answer a run.",
                severity="error",
            )
            return
        try:
            Signals(self.lock.path, message.run).send(message.kind, self.audit.operator)
        except (OSError, ValueError) as exc:
            self.notify(
                f"Could not tell the runner: {getattr(exc, 'strerror', None) or exc}",
                severity="error",
                markup=False,
            )
            return
        if message.kind == "abort":
            self.notify("Asked: the run stops after the step running now.", severity="warning")
        else:
            self.notify("Told the runner: the restore is done; it verifies now.")

    # --- quitting during a run --------------------------------------------------------------

    def _asks_before_quitting(self, run: RunView) -> bool:
        """A run this console started, or whose progress it shows (attached): quitting asks.
        A console only glancing at someone else's run (the wall, the bar) just quits."""
        if run.run in self._run_started:
            return True
        return any(isinstance(s, ProgressScreen) and s.run == run.run for s in self.screen_stack)

    async def action_quit(self) -> None:
        """`q` and `ctrl+q`: during a run this console started or watches, ask first (the run
        goes on, except in the demo)."""
        self._poll_run()
        active = self.run_watch.active
        if (
            active is None
            or isinstance(self.screen, QuestionModal)
            or not self._asks_before_quitting(active)
        ):
            self.exit()
            return
        zone = self.config.launch.zone
        if active.run in self._run_local:
            goes_on = (
                "This is the demo: its actions run inside this console. Quitting now stops "
                "the action where it is (the audit log records it interrupted)."
            )
        else:
            goes_on = (
                f"The action goes on in its runner (pid {active.pid}), whatever this console "
                "does; any console shows its progress (a) and can stop it (x)."
            )
        question = QuestionModal(
            "Quit during an action?",
            f"{active.summary(zone)}.\n\n{goes_on}",
            yes="Quit",
            no="Stay",
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(question, answered)
