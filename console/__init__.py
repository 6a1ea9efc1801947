"""launch-console: the launch-day runbook as one live terminal console."""

__version__ = "0.1.0"
