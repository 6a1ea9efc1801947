"""Suite-wide: nothing written outside the suite's own temp dir, the wheel built early, and one
recorded demo rehearsal for the recording, replay and report tests.

- XDG_STATE_HOME / XDG_CONFIG_HOME / XDG_CACHE_HOME and the in-process temp dir point into one
  dir for the whole run (the log file, the default audit log and runbook state, user config,
  the demo's state dirs, pytest's tmp_path): the suite leaves nothing in the user's home or
  /tmp, and removes that dir at the end.
- When tests/test_wheel.py is among the tests, its wheel is built and installed into a fresh
  venv in the background from the start of the session: pip spends most of that time waiting on
  the package index, which overlaps with the other tests instead of adding to the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_session_dir: Path | None = None
_wheel_job: subprocess.Popen | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _session_dir
    _session_dir = Path(tempfile.mkdtemp(prefix="lc-tests-"))
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        path = _session_dir / name.lower()
        path.mkdir()
        os.environ[name] = str(path)
    # In-process temp dirs (the demo's state dirs, pytest's tmp_path) go here too. Processes
    # the tests start keep the real TMPDIR: what they leave behind is theirs to answer for.
    (_session_dir / "tmp").mkdir()
    tempfile.tempdir = str(_session_dir / "tmp")


def pytest_unconfigure(config: pytest.Config) -> None:
    tempfile.tempdir = None
    if _wheel_job is not None and _wheel_job.poll() is None:
        _wheel_job.kill()
        _wheel_job.wait()
    if _session_dir is not None:
        shutil.rmtree(_session_dir, ignore_errors=True)


def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    global _wheel_job
    if _session_dir is None or not any(i.path.name == "test_wheel.py" for i in items):
        return
    base = _session_dir / "wheel"
    base.mkdir()
    py = sys.executable
    venv = base / "venv"
    # The test venv's pip (>= 22.3) installs into the fresh venv (--python): that venv needs no
    # pip of its own, and the machine's pip settings (index, find-links) apply as for a user.
    # No build isolation: the test extra brings setuptools >= 77; pyproject.toml decides what
    # goes in the wheel either way.
    script = (
        f'"{py}" -m pip wheel --no-deps --no-build-isolation --quiet -w "{base}" "{ROOT}" && '
        f'"{py}" -m venv --without-pip "{venv}" && '
        f'"{py}" -m pip --python "{venv}/bin/python" install --quiet --progress-bar off '
        f'"{base}"/launch_console-*.whl'
    )
    with open(base / "build.log", "w") as log:  # the child keeps its own copy
        _wheel_job = subprocess.Popen(
            ["bash", "-c", script], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture(scope="session")
def installed() -> Path:
    """The bin dir of a fresh venv (outside the repo) with the wheel and its dependencies."""
    assert _wheel_job is not None and _session_dir is not None
    code = _wheel_job.wait(timeout=900)
    log = (_session_dir / "wheel" / "build.log").read_text()
    assert code == 0, f"building or installing the wheel failed:\n{log[-4000:]}"
    return _session_dir / "wheel" / "venv" / "bin"


@pytest.fixture(scope="session")
def recorded_demo(tmp_path_factory):  # -> tests.recorded_session.Session
    """One rehearsal on the demo stack, recorded by the console (made once per run)."""
    import asyncio

    # Imported here, not at the top: the console's modules must not be imported before
    # pytest_configure has pointed the XDG directories into the suite's own temp dir.
    from tests.recorded_session import record_session

    base = tmp_path_factory.mktemp("recorded-demo")
    return asyncio.run(record_session(str(base / "rehearsal.sqlite"), str(base / "state")))
