"""`launch-console`: the command line. Errors are one clear message and an exit code, never a
traceback: 2 for usage and config errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import config as shipped_config
from console import __version__
from console.config import Config, ConfigError, load_config

NO_TARGET = """\
launch-console needs something to watch. To see it on a simulated launch-day stack, run
`launch-console --demo` (add `--speed 60` to watch an hour pass in a minute). To watch a real
stack, give it a config: `launch-console --config config/buywhere-us.toml` (the shipped example
encodes the BuyWhere US runbook; its secrets come from the environment variables it names).
See `launch-console --help` for every option."""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from console.sim import SCENARIOS

    parser = argparse.ArgumentParser(
        prog="launch-console",
        description="The launch-day runbook as one live terminal console.",
    )
    parser.add_argument("--version", action="version", version=f"launch-console {__version__}")
    parser.add_argument("--config", metavar="PATH", help="watch the stack this TOML file describes")
    parser.add_argument("--demo", action="store_true", help="run on the built-in simulated stack")
    parser.add_argument(
        "--scenario", choices=SCENARIOS, default="launch", help="demo scenario (default: launch)"
    )
    parser.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        metavar="N",
        help="demo: simulated time runs N times faster (default: 1)",
    )
    parser.add_argument("--seed", type=int, default=7, metavar="N", help="demo: random seed")
    parser.add_argument(
        "--read-only", action="store_true", help="watch only: refuse every remediation action"
    )
    return parser


def _load(path: str) -> Config:
    return load_config(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    demo_only = [
        flag
        for flag, value, default in (
            ("--scenario", args.scenario, "launch"),
            ("--speed", args.speed, 1.0),
            ("--seed", args.seed, 7),
        )
        if value != default
    ]
    if not args.demo and demo_only:
        parser.error(f"{', '.join(demo_only)} only apply with --demo")
    if not args.demo and not args.config:
        print(NO_TARGET, file=sys.stderr)
        return 2
    try:
        config = _load(args.config or str(shipped_config.shipped(shipped_config.DEMO)))
    except ConfigError as exc:
        print(f"launch-console: {exc}", file=sys.stderr)
        return 2
    app = make_app(config, args)
    app.run()
    return app.return_code or 0


def make_app(config: Config, args: argparse.Namespace):  # -> LaunchConsole
    # Imported here so that --help, --version and config errors answer without loading Textual.
    from console.app import LaunchConsole

    if args.demo:
        from console.clock import SimClock
        from console.sim import SimStack, sim_sources

        clock = SimClock(config.launch.epoch - 15 * 60, args.speed)
        stack = SimStack(
            launch=config.launch.epoch,
            scenario=args.scenario,
            seed=args.seed,
            api=config.docker.api,
            scraper=config.docker.scraper,
            services=tuple(config.docker.services),
        )
        speed = f" ×{args.speed:g}" if args.speed != 1 else ""
        return LaunchConsole(
            config,
            sim_sources(stack, clock),
            clock,
            mode="DEMO",
            detail=f"scenario {args.scenario}{speed} · seed {args.seed}",
            read_only=args.read_only,
        )
    from console.clock import SystemClock
    from console.sources.live import live_sources

    clock = SystemClock()
    return LaunchConsole(
        config,
        live_sources(config, clock),
        clock,
        mode="LIVE",
        detail=config.source_path,
        read_only=args.read_only,
    )


if __name__ == "__main__":
    sys.exit(main())
