"""Secrets never reach the screen, a log, the audit log or a traceback.

The config's secret values (DSNs, the Redis URL, the Slack webhook URL read from the
environment) are remembered here when they are loaded, with the parts that can show up on their
own in a driver's message (a password). `redact()` takes every one of them out of a text, and
masks the credentials of any URL it finds (`scheme://user:password@`). Every error text that
reaches an operator passes through it: source errors, toasts, `check`, tracebacks, the audit.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

MASK = "***"
_CREDENTIALS = re.compile(r"(\b[a-zA-Z][\w+.-]*://)[^/@\s]*@")
_KEY_VALUE_PASSWORD = re.compile(r"(?i)\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _parts(secret: str) -> set[str]:
    """The secret and what of it a message may quote alone: its password, its URL path token."""
    parts = {secret}
    try:
        split = urlsplit(secret)
    except ValueError:
        split = None
    if split is not None and split.scheme:
        if split.password:
            parts |= {split.password, unquote(split.password)}
        if split.path.strip("/"):  # a webhook's token is its path
            parts.add(split.path)
        for key, value in parse_qsl(split.query):
            if key.lower() in ("password", "token", "key", "secret"):
                parts.add(value)
    for match in _KEY_VALUE_PASSWORD.finditer(secret):
        parts.add(match.group(1).strip("'"))
    return {p for p in parts if len(p) >= 4}  # a 1-3 character "secret" would mask everything


def remember(secret: str) -> None:
    """Take `secret` (and its password) out of every text `redact` sees from now on."""
    global _pattern
    new = _parts(secret.strip()) | _parts(secret) if secret else set()
    if new - _secrets:
        _secrets.update(new)
        ordered = sorted(_secrets, key=len, reverse=True)  # the longest first
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: object) -> str:
    s = str(text)
    if _pattern is not None:
        s = _pattern.sub(MASK, s)
    s = _CREDENTIALS.sub(lambda m: m.group(1) + MASK + "@", s)
    return _KEY_VALUE_PASSWORD.sub("password=" + MASK, s)
