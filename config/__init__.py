"""The shipped config files, read through this installed package (importlib.resources), never
from the working directory: `console/__init__.py` binds this name to this folder first."""

from importlib.resources import files
from pathlib import Path

BUYWHERE_US = "buywhere-us.toml"
DEMO = "demo.toml"
# What `launch-console config --print-default` prints: every key, commented.
DEFAULT = "default.toml"


def shipped(name: str) -> Path:
    """Path to one of the config files that ship with launch-console."""
    return Path(str(files(__name__).joinpath(name)))


def names() -> list[str]:
    """The shipped files' names without `.toml`, as `--config NAME` takes them."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in files(__name__).iterdir()
        if entry.name.endswith(".toml")
    )
