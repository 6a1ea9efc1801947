"""Fixtures shared by the recording, replay and report tests."""

import asyncio

import pytest

from tests.recorded_session import Session, record_session


@pytest.fixture(scope="session")
def recorded_demo(tmp_path_factory) -> Session:
    """One rehearsal on the demo stack, recorded by the console (about 10 s, made once)."""
    base = tmp_path_factory.mktemp("recorded-demo")
    return asyncio.run(record_session(str(base / "rehearsal.sqlite"), str(base / "state")))
