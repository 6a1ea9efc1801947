"""Alertmanager: the launch's firing alerts, as the fleet's own rules (and their `for:`)
decided them. No pane: they join the alert list."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.kinds.kind import Kind
from console.readings import AlertmanagerReading
from console.rules import Finding, Level
from console.sources import Source

# Alertmanager's severities that page: its alert is critical here too; any other is a warning.
PAGING = {"critical", "crit", "page", "p1", "emergency"}


def findings(r: AlertmanagerReading, config: Config) -> list[Finding]:
    return [
        Finding(
            f"am:{a.fingerprint}",
            a.name,
            Level.CRIT if a.severity.lower() in PAGING else Level.WARN,
            a.summary or a.severity or "firing",
        )
        for a in r.alerts
    ]


def live(config: Config, clock: Clock, one_shot: bool) -> Source | None:
    if not config.alertmanager.url:
        return None
    from console.sources.alertmanager import AlertmanagerSource

    return AlertmanagerSource(config, clock)


KIND = Kind(
    name="alertmanager",
    title="Alertmanager",
    reading_type=AlertmanagerReading,
    findings=findings,
    live=live,
    pane="",
    optional=True,
)
