"""`launch-console`: the command line. `launch-console [options]` opens the console; the
sub-commands (console/commands/, registered in COMMANDS there) do the rest.

Errors are one clear message and a documented exit code, never a traceback: a config error
names the file and key; anything unexpected is one line on stderr and its traceback goes to the
log file.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import ModuleType

import shtab

from console import __version__
from console.commands import COMMANDS, options
from console.commands import console as console_command

# Kept importable from here: tests and tools build the app the way the CLI does.
from console.commands.console import demo_state, make_app  # noqa: F401
from console.errors import ConfigError

log = logging.getLogger(__name__)

DESCRIPTION = """\
The launch-day runbook as one live terminal console: containers, the PgBouncer pool,
PostgreSQL, Redis, host disk and swap, 5xx rate and latency, smoke checks, the countdown and the
runbook's milestones, go/no-go gates and remediation, on one screen.

Without a sub-command it opens the console. The config is --config PATH|NAME, else
$LAUNCH_CONSOLE_CONFIG, else ./launch-console.toml, else ~/.config/launch-console/config.toml,
else /etc/launch-console/config.toml."""


def version() -> str:
    from importlib import metadata  # here: reading package metadata costs ~0.1 s

    try:
        textual = metadata.version("textual")
    except metadata.PackageNotFoundError:
        textual = "not installed"
    python = ".".join(map(str, sys.version_info[:3]))
    return f"launch-console {__version__} (Textual {textual}, Python {python})"


class _Version(argparse.Action):
    """argparse's version action, with the text made only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        print(version())
        parser.exit()


def _epilog() -> str:
    text = options.epilog(console_command.EXAMPLES, console_command.EXIT_CODES)
    for command in COMMANDS:
        text += f"\n\n`{command.NAME}`: see launch-console {command.NAME} --help; e.g.\n"
        text += "\n".join(f"  {e}" for e in command.EXAMPLES[:1])
    text += (
        "\n\nshell completion:\n"
        "  launch-console --print-completion bash > ~/.local/share/bash-completion/completions/"
        "launch-console"
    )
    return text


def build_parser() -> options.Parser:
    parser = options.Parser(
        prog="launch-console",
        usage="launch-console [options]\n       launch-console COMMAND [options]",
        description=DESCRIPTION,
        epilog=_epilog(),
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    shtab.add_argument_to(parser, ["--print-completion"], help="print a shell completion script")
    console_command.add_arguments(parser)
    parser.set_defaults(module=console_command, parser=parser)
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=options.Parser
    )
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.NAME,
            prog=f"launch-console {command.NAME}",
            help=command.HELP,
            description=command.DESCRIPTION,
            epilog=options.epilog(command.EXAMPLES, command.EXIT_CODES),
            usage_exit=getattr(command, "USAGE_EXIT", 2),
        )
        command.add_arguments(sub)
        sub.set_defaults(module=command, parser=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `launch-console ... | head`: the reader left; say nothing more (stdout is gone).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line as the chosen command sees it: checked, every default filled in."""
    top = build_parser()
    args, extra = top.parse_known_args(list(argv))
    options.finish(args, top, args.parser, extra, args.command)
    return args


def _main(argv: Sequence[str] | None) -> int:
    from console import logs

    args = parse_args(sys.argv[1:] if argv is None else argv)
    command: ModuleType = args.module
    if args.command in (None, "check"):
        # Start-up makes hundreds of thousands of objects (Textual, pydantic, the clients) and
        # the collector walks them all, again and again, while the first frame waits: off
        # until the console has started (it then collects and freezes them, see
        # LaunchConsole._settle_memory); `check` and `--once` end before it matters.
        gc.disable()
    log_path = logs.setup(args.log_file, args.debug)
    try:
        return command.run(args)
    except ConfigError as exc:
        log.error("%s", exc)
        print(f"launch-console: {exc}", file=sys.stderr)
        return getattr(command, "CONFIG_EXIT", 2)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.exception("internal error")
        where = f" (traceback in {log_path})" if log_path else ""
        text = logs.mask(f"{type(exc).__name__}: {exc}")
        print(f"launch-console: internal error: {text}{where}", file=sys.stderr)
        return getattr(command, "INTERNAL_EXIT", options.EX_SOFTWARE)


if __name__ == "__main__":
    sys.exit(main())
