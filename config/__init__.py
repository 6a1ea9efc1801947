"""The shipped config files, found through the installed package (works after `pip install .`)."""

from importlib.resources import files
from pathlib import Path

BUYWHERE_US = "buywhere-us.toml"
DEMO = "demo.toml"


def shipped(name: str) -> Path:
    """Path to one of the config files that ship with launch-console."""
    return Path(str(files(__name__).joinpath(name)))
