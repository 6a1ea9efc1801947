"""`launch-console config`: where the config is found, a starting file, and a check of a file
that connects to nothing."""

from __future__ import annotations

import argparse
import os
import sys

import shtab

from console.commands import options

NAME = "config"
HELP = "show which config file is used; print a starting file; validate one without connecting"
DESCRIPTION = """\
Without options: the places a config is looked for, in order, and the one in use.
--print-default writes a commented starting file (every key, at the runbook's values).
--check validates a file as the console would load it (TOML, keys, values, ${ENV} secrets),
without connecting to anything."""
EXAMPLES = (
    "launch-console config --print-default > ~/.config/launch-console/config.toml",
    "launch-console config --check /etc/launch-console/config.toml",
    "launch-console config",
)
EXIT_CODES = (
    (0, "done (--check: the file is valid)"),
    (options.EX_USAGE, "usage error (EX_USAGE)"),
    (options.EX_CONFIG, "the config is missing, unreadable or invalid (EX_CONFIG)"),
)
USAGE_EXIT = options.EX_USAGE
CONFIG_EXIT = options.EX_CONFIG
INTERNAL_EXIT = options.EX_SOFTWARE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--print-default",
        action="store_true",
        help="print a commented starting config to stdout",
    )
    check = what.add_argument(
        "--check",
        nargs="?",
        const="",
        metavar="PATH|NAME",
        help="validate this file (default: the one the console would use) without connecting",
    )
    check.complete = shtab.FILE  # type: ignore[attr-defined]
    options.add(
        parser,
        "--config",
        metavar="PATH|NAME",
        complete=shtab.FILE,
        help="the config file the console would be given",
    )
    options.add_logging(parser)


def run(args: argparse.Namespace) -> int:
    import config as shipped_files
    from console.config import load_config
    from console.config_files import ENV_VAR, ConfigNotFound, locate, searched
    from console.engine import engines
    from console.errors import ConfigError
    from console.redact import redact

    if args.print_default:
        sys.stdout.write(shipped_files.shipped(shipped_files.DEFAULT).read_text(encoding="utf-8"))
        return 0
    if args.check is not None:
        if args.check and args.config:
            args.parser.error("give the file to --check or to --config, not both")
        path = locate(args.check or args.config)
        config = load_config(path)
        try:  # where the engine is: read from the environment and docker's files, no connection
            found = engines(config.docker)
        except ValueError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        print(
            f"{path}: ok — {config.launch.name} at {config.launch.at:%Y-%m-%d %H:%M} UTC, "
            f"{len(config.docker.services)} services, API {config.api.base_url}"
        )
        for engine in found:
            remote = " (another machine)" if engine.remote else ""
            print(f"Docker engine: {engine.describe()}{remote}")
        if config.prometheus.url:
            print(f"Traffic: Prometheus at {redact(config.prometheus.url)}")
        if config.alertmanager.url:
            print(f"Alerts: Alertmanager at {redact(config.alertmanager.url)} too")
        return 0
    rows = [
        ("--config PATH|NAME", args.config or "not given"),
        (f"${ENV_VAR}", os.environ.get(ENV_VAR) or "not set"),
    ]
    for candidate in searched():
        state = "found" if candidate.path.is_file() else "no such file"
        rows.append((str(candidate.path), f"{state} ({candidate.why})"))
    width = max(len(place) for place, _ in rows)
    print("launch-console looks for its config in this order (the first found is used):")
    for place, state in rows:
        print(f"  {place:<{width}}  {state}")
    print(f"Shipped configs (--config NAME): {', '.join(shipped_files.names())}")
    try:
        print(f"In use: {locate(args.config)}")
    except ConfigNotFound:
        print("In use: none (launch-console config --print-default > launch-console.toml)")
    return 0
