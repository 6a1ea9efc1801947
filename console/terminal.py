"""What the terminal on the other end can show, and how much it should be sent.

- ASCII: box drawing, braille and symbols need a UTF-8 terminal. Without a UTF-8 locale
  (LANG=C, POSIX, ISO-8859-1) or on a terminal type that predates it (vt100, vt220, dumb),
  every character sent is ASCII (`--ascii` forces it, `--unicode` overrides the guess).
- Colour: off with NO_COLOR (https://no-color.org: any non-empty value) or on those old
  terminal types; levels still read by symbol and word, emphasis by bold and reverse.
- Mouse: on unless `--no-mouse` (any-motion tracking costs traffic over SSH, and a terminal
  selects text with the mouse only while no application tracks it).
- Refresh: how often the clock ticks and readings reach the screen (`--refresh SECONDS`); a
  slow link wants fewer, larger frames instead of falling behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Terminal types with no UTF-8 and no colour (terminfo: colors -1 or 8 with no UTF-8 fonts).
OLD_TERMINALS = ("vt52", "vt100", "vt102", "vt220", "vt320", "vt420", "dumb")
DEFAULT_REFRESH = 1.0  # seconds


@dataclass(frozen=True, slots=True)
class Terminal:
    ascii: bool = False
    colour: bool = True
    mouse: bool = True
    refresh: float = DEFAULT_REFRESH

    def describe(self) -> str:
        """For the log: what was chosen."""
        return (
            f"{'ASCII' if self.ascii else 'UTF-8'}, {'colour' if self.colour else 'no colour'}, "
            f"mouse {'on' if self.mouse else 'off'}, refresh {self.refresh:g}s"
        )


def utf8_locale(env: Mapping[str, str]) -> bool:
    """Whether the locale's character set is UTF-8: the first of LC_ALL, LC_CTYPE, LANG that is
    set decides, as in C's setlocale; none set is the POSIX locale (ASCII)."""
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name, "")
        if value:
            charset = value.partition(".")[2].partition("@")[0]
            return charset.replace("-", "").lower() == "utf8"
    return False


def old_terminal(env: Mapping[str, str]) -> bool:
    term = env.get("TERM", "").lower()
    return any(term == t or term.startswith(f"{t}-") for t in OLD_TERMINALS)


def session_environment() -> Mapping[str, str]:
    """The environment the console was started with. Python changes its own copy at start-up
    (PEP 538 coerces LC_CTYPE=C to C.UTF-8), which would make every LANG=C session look like
    UTF-8; the kernel's copy of the process's initial environment says what the session set."""
    import os
    from pathlib import Path

    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return os.environ
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs}


def detect(
    env: Mapping[str, str],
    *,
    ascii: bool | None = None,
    mouse: bool = True,
    refresh: float = DEFAULT_REFRESH,
) -> Terminal:
    """`ascii`: True (--ascii), False (--unicode) or None (guess from the locale and TERM)."""
    old = old_terminal(env)
    if ascii is None:
        ascii = old or not utf8_locale(env)
    no_color = bool(env.get("NO_COLOR", ""))
    return Terminal(ascii=ascii, colour=not (no_color or old), mouse=mouse, refresh=refresh)
