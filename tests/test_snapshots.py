"""Snapshots of the demo at fixed simulated instants. Update with `pytest --snapshot-update`."""

import pytest

from tests.helpers import demo_app, replay

SIZES = [(200, 50), (80, 24)]


@pytest.mark.parametrize("size", SIZES, ids=["200x50", "80x24"])
def test_demo_before_launch(snap_compare, size):
    app, clock, _ = demo_app()

    async def run_before(pilot):
        await replay(app, clock, until_offset=-15 * 60)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["200x50", "80x24"])
def test_demo_during_the_spike(snap_compare, size):
    app, clock, _ = demo_app()

    async def run_before(pilot):
        await replay(app, clock, until_offset=17 * 60)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
