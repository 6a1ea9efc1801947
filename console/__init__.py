"""launch-console: the launch-day runbook as one live terminal console."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# The one place the version lives: pyproject.toml reads it from here, `--version` prints it.
__version__ = "0.1.0"


def _pin_sibling_packages() -> None:
    """Bind the names `config` and `widgets` to the packages installed beside this one.

    They are the requested top-level layout, but the names are common: a Django project's
    `config/` on PYTHONPATH or a `config.py` in the working directory (`python -m console`) would
    otherwise stand in for ours. Loading them by path, before anything imports them, makes every
    later `import config` / `import widgets` (and importlib.resources) find our files.
    """
    root = Path(__file__).resolve().parent.parent
    for name in ("config", "widgets"):
        init = root / name / "__init__.py"
        if name in sys.modules or not init.is_file():
            continue  # embedded in a process that already chose its own: leave it be
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(init.parent)]
        )
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


_pin_sibling_packages()
