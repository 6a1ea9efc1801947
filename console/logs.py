"""The log file: what happened while nobody was looking, with every secret masked.

Stdlib logging to a rotating file (5 files of 1 MiB), never to the terminal the console draws on.
What is logged: the config loaded; each source's failure and recovery (console.poller); each
alert firing, changing level and clearing (console.alerting); each remediation step
(console.audit); internal errors with their traceback. Every line goes through `mask()`:
known secret values (the config's DSNs and URLs, registered when it loads), passwords in URLs,
and `password=` / `token=` style pairs.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import platformdirs

APP = "launch-console"
MASK = "***"
_secrets: set[str] = set()
# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s/@:]*:)[^\s/@]+@")
# libpq key=value DSNs and query strings: password=..., token=...
_PAIR = re.compile(r"(?i)\b(password|passwd|pwd|token|secret|api_key|apikey)=([^\s&;]+)")
# Shorter strings would mask ordinary words ("on", "api") everywhere.
_MIN_SECRET = 4


def default_log_path() -> Path:
    """Under the user's state dir ($XDG_STATE_HOME/launch-console/log/ on Linux)."""
    return Path(platformdirs.user_log_dir(APP, appauthor=False)) / f"{APP}.log"


def register_secrets(values: Iterable[str]) -> None:
    """Values that must never appear in a log line (and their URL passwords)."""
    for value in values:
        if not value:
            continue
        if len(value) >= _MIN_SECRET:
            _secrets.add(value)
        match = re.search(r"://[^\s/@:]*:([^\s/@]+)@", value)
        if match and len(match.group(1)) >= _MIN_SECRET:
            _secrets.add(match.group(1))


def register_config(config: object) -> None:
    """Every secret of a loaded config (its SecretStr values, the Slack webhook's URL)."""
    from pydantic import BaseModel, SecretStr

    values: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, SecretStr):
            values.append(node.get_secret_value())
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(config)
    launchday = getattr(config, "launchday", None)
    if launchday is not None:
        values.append(os.environ.get(launchday.slack_webhook_env, ""))
    register_secrets(values)


def mask(text: str) -> str:
    # Longest first: a DSN is masked whole before its password alone is looked for.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(rf"\1{MASK}@", text)
    return _PAIR.sub(rf"\1={MASK}", text)


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record: message, arguments and traceback alike."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def setup(log_file: str | None, debug: bool = False) -> Path | None:
    """Send our records (and, with --debug, the libraries') to the rotating file.

    `log_file` None: the default path; '-': no log file. Returns the file, or None when there is
    none. A log that cannot be opened costs the log, never the console: one line on stderr.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_launch_console", False):
            root.removeHandler(handler)
            handler.close()
    logging.getLogger("console").setLevel(logging.DEBUG if debug else logging.INFO)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    # Always a handler, even with no file: without one, logging's last resort writes warnings
    # to stderr, which is the screen the console draws on.
    quiet = logging.NullHandler()
    quiet._launch_console = True  # type: ignore[attr-defined]
    root.addHandler(quiet)
    if log_file == "-":
        return None
    path = Path(log_file) if log_file else default_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1 << 20, backupCount=4, encoding="utf-8"
        )
        os.chmod(path, 0o600)  # it names hosts and users: not for everyone on the box
    except OSError as exc:
        print(f"launch-console: no log file: {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
    handler._launch_console = True  # type: ignore[attr-defined]
    handler.setFormatter(
        MaskingFormatter(
            # The pid tells apart consoles (and demos) writing to the same file.
            "%(asctime)s %(process)d %(levelname)-7s %(name)s: %(message)s"
        )
    )
    root.addHandler(handler)
    return path
