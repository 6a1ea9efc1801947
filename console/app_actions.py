"""The console's remediation keys: the gate every action passes, and the plan -> confirm ->
run -> audit flow (the actions themselves live in console.actions)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.app import SystemCommand
from textual.screen import ModalScreen, Screen

from console.actions.plan import cancelled, execute
from console.actions.runbook import ACTIONS, build_plan, db_restore, with_silence
from console.lock import LockError
from widgets.confirm import ConfirmModal
from widgets.names import NamesModal
from widgets.progress import ProgressScreen


class RemediationMixin:
    """Mixed into LaunchConsole; uses its config, clock, control, audit, lock and read_only."""

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

    async def _remediate(self, name: str) -> None:
        assert self.control is not None
        try:
            try:
                if name == "db_restore":
                    names = await self.push_screen_wait(NamesModal(self.audit.operator))
                    if names is None:
                        self.notify("Cancelled: nothing was done.", title=ACTIONS[name])
                        return
                    plan = with_silence(
                        await db_restore(self.config, self.control, *names),
                        self.config,
                        self.control,
                    )
                else:
                    plan = await build_plan(name, self.config, self.control, self.clock.now())
            except Exception as exc:  # the preview could not be made: say so, do nothing
                self.notify(
                    f"Could not prepare the plan: {type(exc).__name__}: {exc}",
                    title=ACTIONS[name],
                    severity="error",
                    markup=False,
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
            except LockError as exc:  # held since the preview, or unusable: nothing was done
                screen.dismiss(None)
                self.notify(f"Refused: {exc}", title=plan.title, severity="error", markup=False)
                return
            except OSError as exc:  # the audit log cannot be written: stop, and say why
                screen.update_plan(finished=True)
                self.notify(
                    f"Stopped: audit log {self.audit.path}: {exc.strerror}",
                    title=plan.title,
                    severity="error",
                    markup=False,
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
