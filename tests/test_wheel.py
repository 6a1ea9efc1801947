"""The wheel as a user gets it: built once, installed into a fresh venv outside the repo, run
from a directory (and with a PYTHONPATH) holding a `config` and a `widgets` of the user's own.

The wheel is built and installed in the background from the start of the session (the
`installed` fixture in tests/conftest.py)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from console import __version__
from tests.test_cli import read_until, reap, wait_exit

ROOT = Path(__file__).resolve().parent.parent
# A user's own modules with our top-level names: importing any of them is a failure.
SHADOW = "raise ImportError('the user\\'s own {name} was imported instead of launch-console\\'s')\n"


@pytest.fixture()
def user_dir(tmp_path) -> tuple[Path, dict[str, str]]:
    """A working directory and an environment as a user's might be: their own `config.py`,
    `config/`, `widgets.py` in the cwd and on PYTHONPATH; home and temp dirs of their own."""
    cwd = tmp_path / "work"
    lib = tmp_path / "lib"
    for where in (cwd, lib):
        (where / "config").mkdir(parents=True)
        (where / "config" / "__init__.py").write_text(SHADOW.format(name="config"))
        (where / "widgets.py").write_text(SHADOW.format(name="widgets"))
    (cwd / "config.py").write_text(SHADOW.format(name="config.py"))
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "tmp").mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "PYTHONPATH": str(lib),
        "TMPDIR": str(tmp_path / "tmp"),
        "LANG": "C.UTF-8",
    }
    return cwd, env


def run(bin_dir: Path, cwd: Path, env: dict[str, str], *args: str, prog: str = "launch-console"):
    return subprocess.run(
        [str(bin_dir / prog), *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


def test_installed_version_names_textual(installed, user_dir):
    cwd, env = user_dir
    result = run(installed, cwd, env, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"launch-console {__version__} (Textual 8.")


def test_installed_check_demo_json(installed, user_dir):
    cwd, env = user_dir
    result = run(installed, cwd, env, "check", "--demo", "--json")
    assert "Traceback" not in result.stderr
    checks = json.loads(result.stdout)["checks"]
    assert {c["id"] for c in checks} >= {"containers.running", "api.health", "tls.expiry"}
    # T-15 min on the demo: disk 81% is green on the checklist (1.1: "< 85%"), every item ok.
    assert [c["id"] for c in checks if c["level"] != "ok"] == []
    assert next(c for c in checks if c["id"] == "host.disk")["value"] == "81.0%"
    assert result.returncode == 0
    # The log went under the user's own state dir, not the repo or the cwd.
    log = Path(env["HOME"]) / ".local/state/launch-console/log/launch-console.log"
    assert "check: 16 ok, 0 warn, 0 crit, 0 unknown -> exit 0" in log.read_text()


def test_installed_packages_are_the_wheels_not_the_users(installed, user_dir):
    cwd, env = user_dir
    code = (
        "import console.app, config, widgets.containers, console.control.live, "
        "console.actions.plan;"
        "print(console.app.__file__, config.__file__, widgets.containers.__file__, sep='\\n');"
        "print(config.shipped(config.BUYWHERE_US).is_file())"
    )
    result = run(installed, cwd, env, "-c", code, prog="python")
    assert result.returncode == 0, result.stderr
    *files, found = result.stdout.split()
    site = str(installed.parent / "lib")
    assert all(f.startswith(site) for f in files), files
    assert found == "True"


def test_python_m_console_from_a_dir_with_config_py(installed, user_dir):
    # `python -m console` puts the cwd first on sys.path: the user's config.py is right there.
    cwd, env = user_dir
    result = run(
        installed, cwd, env, "-m", "console", "config", "--check", "buywhere-us", prog="python"
    )
    assert result.returncode == 78, result.stderr
    assert "PGBOUNCER_ADMIN_DSN" in result.stderr and "Traceback" not in result.stderr
    result = run(installed, cwd, env, "-m", "console", "config", "--print-default", prog="python")
    default = tomllib.loads(result.stdout)
    assert default["launch"]["at"] and default["pgbouncer"]["admin_dsn"] == "${PGBOUNCER_ADMIN_DSN}"


def test_installed_demo_opens_and_quits_leaving_nothing(installed, user_dir):
    cwd, env = user_dir
    pid, fd = pty.fork()
    if pid == 0:  # the child: the installed console on a pseudo-terminal
        os.chdir(cwd)
        os.execve(
            str(installed / "launch-console"),
            ["launch-console", "--demo", "--speed", "60"],
            {**env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"},
        )
    try:
        read_until(fd, b"Countdown", time.monotonic() + 30)
        assert list(Path(env["TMPDIR"]).glob("launch-console-demo-*")), "no demo state dir"
        os.write(fd, b"q")
        status = wait_exit(pid, time.monotonic() + 10, fd)
        assert status is not None and os.waitstatus_to_exitcode(status) == 0
    finally:
        reap(pid)
        os.close(fd)
    # The demo's state directory went with it.
    assert list(Path(env["TMPDIR"]).iterdir()) == []
