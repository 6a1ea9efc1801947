"""`launch-console check`: one sweep of the T-2h pre-launch checklist, printed, with the exit
code of a monitoring plugin (Nagios, Icinga, Sensu, cron wrappers)."""

from __future__ import annotations

import argparse
import logging

from console.commands import options

log = logging.getLogger(__name__)

NAME = "check"
HELP = "one sweep of the pre-launch checklist (runbook 1.1-1.4); exit 0 OK 1 WARN 2 CRIT 3 UNKNOWN"
DESCRIPTION = """\
Polls every source once and prints each pre-launch item (runbook 1.1-1.4) with its owner, level
and value. The exit status follows the monitoring-plugin convention, so Nagios, Icinga, Sensu
or a cron wrapper can use it as is: the worst level of all the checks."""
EXAMPLES = (
    "launch-console check --config buywhere-us",
    "launch-console check --demo --json | jq '.checks[] | select(.level != \"ok\")'",
)
# The monitoring-plugin convention; usage and config errors are sysexits codes, never 0-3.
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
EXIT_CODES = (
    (OK, "OK: every check ok"),
    (WARNING, "WARNING: a check is warn, none is crit"),
    (CRITICAL, "CRITICAL: a check is crit"),
    (UNKNOWN, "UNKNOWN: a check could not be judged, none is warn or crit; or internal error"),
    (options.EX_USAGE, "usage error (EX_USAGE)"),
    (options.EX_CONFIG, "config error: missing, unreadable or invalid (EX_CONFIG)"),
)
USAGE_EXIT = options.EX_USAGE
CONFIG_EXIT = options.EX_CONFIG
INTERNAL_EXIT = UNKNOWN


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_target(parser)
    options.add(parser, "--json", action="store_true", help="print JSON instead of a table")
    options.add_logging(parser)


def exit_code(levels: list[str]) -> int:
    """The worst level, ranked CRITICAL > WARNING > UNKNOWN > OK as the monitoring plugins'
    max_state_alt() ranks them (and as console.rules.Level orders them)."""
    for level, code in (("crit", CRITICAL), ("warn", WARNING), ("unknown", UNKNOWN)):
        if level in levels:
            return code
    return OK


def run(args: argparse.Namespace) -> int:
    import asyncio

    from console.check import render_json, render_table
    from console.judge import judge
    from console.launchday import LaunchState
    from console.poller import Poller
    from console.store import Store

    config = options.load_target(args)
    log.info("check: config loaded: %s", config.source_path)
    sources, clock, _ = options.stack(config, args, one_shot=True)
    store = Store(clock, 60, {})  # one sweep: nothing in it can go stale

    async def sweep():
        poller = Poller(sources, store, clock, config.poll)
        try:
            return await poller.sweep()
        finally:
            await poller.stop()

    asyncio.run(sweep())
    # The same judge as the console's; `check` prints its pre-launch items (Section 1 limits).
    results = judge(store, config, LaunchState(), clock.now()).prelaunch
    print(render_json(results, clock.now()) if args.json else render_table(results))
    code = exit_code([r.level for r in results])
    counts = ", ".join(
        f"{sum(r.level == level for r in results)} {level}"
        for level in ("ok", "warn", "crit", "unknown")
    )
    log.info("check: %s -> exit %d", counts, code)
    return code
