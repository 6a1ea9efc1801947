"""The sub-commands of `launch-console`, one small module each.

`launch-console [options]` with no sub-command opens the console itself (`console.py` here).
To add a sub-command, write a module beside the others and add it to COMMANDS below. A module
provides:

    NAME = "replay"                         # the word after `launch-console`
    HELP = "one line for `launch-console --help`"
    DESCRIPTION = "a paragraph for `launch-console replay --help`"
    EXAMPLES = ("launch-console replay --demo", ...)   # shown in both helps
    EXIT_CODES = EXIT_TWO                    # or its own table (see options.py)
    def add_arguments(parser: Parser) -> None: ...   # options.add_target(parser) etc.
    def run(args: argparse.Namespace) -> int: ...    # the exit code

Keep imports of heavy libraries (Textual, docker, psycopg) inside `run`: `--help`, `--version`
and completion must answer at once. `run` may raise ConfigError (reported as one line with the
command's config exit code) or call `args.parser.error(...)` for a usage error; anything else
is reported without a traceback, which goes to the log file.
"""

from __future__ import annotations

from console.commands import check, config, replay, report

COMMANDS = (check, config, replay, report)
