"""What the sub-commands share: the parser, option groups, exit codes, and the stack to watch.

Every shared option is added with `default=SUPPRESS` and filled in by `finish()` after parsing,
so that it may stand before or after the sub-command (`launch-console --config X check` and
`launch-console check --config X` are the same), and so that an option given before a
sub-command that does not take it is refused instead of silently ignored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import shtab

# sysexits.h: distinct from the 0-3 a monitoring check answers with.
EX_USAGE = 64
EX_SOFTWARE = 70
EX_CONFIG = 78

# (code, meaning) tables, printed in each command's --help and in the README.
EXIT_TWO = ((0, "done"), (2, "usage or config error"), (70, "internal error (see the log)"))


class Parser(argparse.ArgumentParser):
    """argparse with the exit code of a usage error chosen per command (check: 64, not 2)."""

    def __init__(self, *args: Any, usage_exit: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        self.usage_exit = usage_exit

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}\n")

    def accepted(self) -> set[str]:
        return {action.dest for action in self._actions}


def epilog(examples: tuple[str, ...], exit_codes: tuple[tuple[int, str], ...]) -> str:
    lines = ["examples:", *(f"  {e}" for e in examples), "", "exit status:"]
    lines += [f"  {code:<3} {meaning}" for code, meaning in exit_codes]
    return "\n".join(lines)


# --- option groups ----------------------------------------------------------------------------

DEFAULTS: dict[str, Any] = {
    "config": None,
    "demo": False,
    "scenario": "launch",
    "speed": 1.0,
    "seed": 7,
    "start": -15 * 60.0,
    "log_file": None,
    "debug": False,
    "read_only": False,
    "display": False,
    "once": False,
    "json": False,
    "record": None,
    "no_record": False,
    "ascii": False,
    "unicode": False,
    "no_mouse": False,
    "refresh": 1.0,
}
DEMO_ONLY = ("scenario", "speed", "seed", "start")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero, got {text}")
    return value


def _offset(text: str) -> float:
    from console.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add(parser: argparse.ArgumentParser, *flags: str, complete: Any = None, **kw: Any) -> None:
    action = parser.add_argument(*flags, default=argparse.SUPPRESS, **kw)
    if complete is not None:
        action.complete = complete  # type: ignore[attr-defined]  # shtab reads it


class _Scenarios:
    """The demo's scenario names, read from console.sim only when argparse needs them (a
    choice to check, help to print): building the parser must not import the simulator."""

    def _names(self) -> tuple[str, ...]:
        from console.sim import SCENARIOS

        return tuple(SCENARIOS)

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())


def add_target(parser: argparse.ArgumentParser) -> None:
    """--config / --demo and the demo's knobs: which stack to watch."""
    group = parser.add_argument_group("the stack")
    add(
        group,
        "--config",
        metavar="PATH|NAME",
        complete=shtab.FILE,
        help="the config file, or a shipped one by name (buywhere-us); default: "
        "$LAUNCH_CONSOLE_CONFIG, ./launch-console.toml, ~/.config/launch-console/config.toml, "
        "/etc/launch-console/config.toml",
    )
    add(group, "--demo", action="store_true", help="the built-in simulated launch-day stack")
    add(group, "--scenario", choices=_Scenarios(), help="demo scenario (default: launch)")
    add(
        group,
        "--speed",
        type=_positive_float,
        metavar="N",
        help="demo: simulated time runs N times faster (default: 1)",
    )
    add(group, "--seed", type=int, metavar="N", help="demo: random seed (default: 7)")
    add(
        group,
        "--start",
        type=_offset,
        metavar="OFFSET",
        help="demo: where the simulated clock starts, from launch (default -15m; -2h for the "
        "T-2h checklist)",
    )


def add_terminal(parser: argparse.ArgumentParser) -> None:
    """How the screen is drawn for this terminal and link (console.terminal)."""
    group = parser.add_argument_group("the terminal")
    add(
        group,
        "--ascii",
        action="store_true",
        help="draw with ASCII only (the default when the locale is not UTF-8, e.g. LANG=C, "
        "or TERM is vt100/vt220/dumb)",
    )
    add(group, "--unicode", action="store_true", help="draw with UTF-8 even so")
    add(
        group,
        "--no-mouse",
        action="store_true",
        help="no mouse tracking: less traffic over SSH, and the terminal selects text as usual",
    )
    add(
        group,
        "--refresh",
        type=_positive_float,
        metavar="SECONDS",
        help="at most one frame per SECONDS: the clock ticks and readings land on the screen "
        "that often (default 1; 5 or 10 for a slow link). NO_COLOR=1 turns colour off",
    )


def terminal(args: argparse.Namespace):  # -> console.terminal.Terminal
    """The terminal the options and the environment describe."""
    from console.terminal import detect, session_environment

    if args.ascii and args.unicode:
        args.parser.error("give --ascii or --unicode, not both")
    chosen = True if args.ascii else False if args.unicode else None
    env = session_environment()
    return detect(env, ascii=chosen, mouse=not args.no_mouse, refresh=args.refresh)


def add_logging(parser: argparse.ArgumentParser) -> None:
    from console.logs import default_log_path

    group = parser.add_argument_group("logging")
    add(
        group,
        "--log-file",
        metavar="PATH",
        complete=shtab.FILE,
        help=f"the rotating log (default: {default_log_path()}); '-' for none",
    )
    add(group, "--debug", action="store_true", help="log debug detail too")


def _flags(dests: list[str]) -> tuple[str, str]:
    """'--a, --b' and the verb's ending: 's' for one flag, '' for several."""
    return ", ".join("--" + d.replace("_", "-") for d in dests), "s" if len(dests) == 1 else ""


def finish(
    args: argparse.Namespace, top: Parser, parser: Parser, extra: list[str], command: str | None
) -> None:
    """Refuse what the chosen command does not take; fill in the defaults of the rest."""
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    # Given = present in the namespace, since every shared option defaults to SUPPRESS.
    always = {a.dest for a in top._actions if a.default is not argparse.SUPPRESS}
    given = set(vars(args)) - always - {"parser", "module"}
    foreign = sorted(given - parser.accepted())
    if foreign:
        flags, s = _flags(foreign)
        where = f"`{command}`" if command else "the console"
        parser.error(f"{flags} do{'es' if s else ''} not apply to {where}")
    if not getattr(args, "demo", False):
        demo_only = [f for f in DEMO_ONLY if f in given]
        if demo_only:
            flags, s = _flags(demo_only)
            parser.error(f"{flags} only appl{'ies' if s else 'y'} with --demo")
    for key, value in DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)


# --- the stack --------------------------------------------------------------------------------


def load_target(args: argparse.Namespace):  # -> Config
    """The config of the stack the command watches: the shipped demo's, or the one found."""
    import config as shipped_files
    from console.config import load_config
    from console.config_files import locate
    from console.logs import register_config

    if args.demo:
        if args.config:
            args.parser.error("give --config or --demo, not both")
        config = load_config(shipped_files.shipped(shipped_files.DEMO))
    else:
        config = load_config(locate(args.config))
    register_config(config)  # before anything can log a DSN
    return config


def stack(
    config, args: argparse.Namespace, one_shot: bool = False
) -> tuple[list, Any, Callable[[], Any]]:
    """The sources, the clock and a maker of the control, for the demo stack or the live one.
    `one_shot`: one sweep and out (`check`): the sources start no background work.

    Building a live source parses its URL or DSN: a value its client refuses is a config error
    naming the source (never a traceback)."""
    if args.demo:
        from console.clock import SimClock
        from console.kinds import sim_sources
        from console.sim import SimStack
        from console.sim.control import SimControl

        clock = SimClock(config.launch.epoch + args.start, args.speed)
        sim = SimStack(
            launch=config.launch.epoch,
            scenario=args.scenario,
            seed=args.seed,
            api=config.docker.api,
            scraper=config.docker.scraper,
            services=tuple(config.docker.services),
        )
        return sim_sources(sim, clock), clock, lambda: SimControl(sim, clock)
    from console.clock import SystemClock
    from console.config import ConfigError
    from console.kinds import live_sources

    clock = SystemClock()
    try:
        sources = live_sources(config, clock, one_shot=one_shot)
    except ValueError as exc:  # a client library refusing a URL/DSN the schema let through
        raise ConfigError(f"{config.source_path}: {exc}") from None

    def make_control():
        # Imported when a console needs it: `check` never does (60 ms of imports).
        from console.control.live import LiveControl

        return LiveControl(config)

    return sources, clock, make_control
