"""The Alertmanager silence a planned action offers: the launch's alerts muted while it runs.

A rollback, an API restart or a restore makes the fleet's own alerts fire on purpose; the
war room should not be paged for what it is doing. When `[alertmanager] url` and its matchers
are set, those plans start with this step: one silence with the launch's matchers for
`[alertmanager.silence] duration`, shown in the plan like every step, its id in the audit log.
"""

from __future__ import annotations

from console.actions.plan import Step
from console.config import Config
from console.control import Control
from console.durations import format_duration

# The actions whose effects page on purpose (restarts, stopped ingestion, a restore).
SILENCED = ("rollback", "restart_api", "db_restore")


def wanted(config: Config, action: str) -> bool:
    return bool(config.alertmanager.url and config.alertmanager.matchers) and action in SILENCED


def silence_step(config: Config, control: Control, action: str, operator: str) -> Step:
    settings = config.alertmanager
    matchers = ", ".join(settings.matchers)
    made: dict[str, str] = {}

    async def run() -> str:
        made["id"] = await control.silence_alerts(f"{action} by {operator} (launch-console)")
        return f"silence {made['id']}"

    async def verify() -> tuple[bool, str]:
        active = await control.silence_active(made["id"])
        return active, "active in Alertmanager" if active else "not active"

    return Step(
        "silence_alerts",
        "Silence the launch's alerts in Alertmanager while this runs",
        "Alertmanager",
        f"POST /api/v2/silences {{{matchers}}} for {format_duration(settings.silence.duration)}",
        "a silence id, active",
        run,
        verify,
    )
