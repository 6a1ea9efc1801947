"""Which config file to use, found the way k9s, Dolphie and Harlequin find theirs.

In order, the first that applies wins:
  1. `--config PATH` (or `--config NAME` for a shipped file: `buywhere-us`, `demo`, `default`);
  2. the environment variable LAUNCH_CONSOLE_CONFIG (a path or a shipped name);
  3. `./launch-console.toml` in the working directory;
  4. `config.toml` in the user's config dir (platformdirs: $XDG_CONFIG_HOME/launch-console/);
  5. `/etc/launch-console/config.toml`.
A path that is named (1, 2) must exist; the others are looked for. When none is found, the error
lists every place that was looked at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

import config as shipped_files
from console.errors import ConfigError

APP = "launch-console"
ENV_VAR = "LAUNCH_CONSOLE_CONFIG"
LOCAL_NAME = "launch-console.toml"
SYSTEM_PATH = Path("/etc/launch-console/config.toml")


class ConfigNotFound(ConfigError):
    """No config was named and none was found where we look."""


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    why: str  # how it came to be looked at, for messages


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml"


def searched() -> list[Candidate]:
    """The places looked at when no config is named (3-5 above), in order."""
    return [
        Candidate(Path.cwd() / LOCAL_NAME, "the working directory"),
        Candidate(user_config_path(), "the user's config dir"),
        Candidate(SYSTEM_PATH, "the system config dir"),
    ]


def resolve_named(name: str, why: str) -> Path:
    """A named config: an existing path, or else the name of a shipped file."""
    path = Path(name).expanduser()
    if path.exists():
        return path
    stem = name.removesuffix(".toml")
    if "/" not in name and stem in shipped_files.names():
        return shipped_files.shipped(f"{stem}.toml")
    shipped = ", ".join(shipped_files.names())
    raise ConfigError(f"{name}: no such config file ({why}; shipped names: {shipped})")


def locate(given: str | None) -> Path:
    """The config file to load; raises ConfigError (ConfigNotFound when nothing was named)."""
    if given:
        return resolve_named(given, "given with --config")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return resolve_named(from_env, f"from ${ENV_VAR}")
    for candidate in searched():
        if candidate.path.is_file():
            return candidate.path
    raise ConfigNotFound(not_found_message())


def not_found_message() -> str:
    rows = [("--config PATH", "not given"), (f"${ENV_VAR}", "not set")]
    rows += [(str(c.path), f"no such file ({c.why})") for c in searched()]
    width = max(len(place) for place, _ in rows)
    lines = ["no config file found; looked at, in order:"]
    lines += [f"  {place:<{width}}  {what}" for place, what in rows]
    return "\n".join(lines)
