"""Snapshots of every layout at fixed instants of the demo. Update: `pytest --snapshot-update`.

Sizes: 80x24 (SSH laptop, compact), 120x40 and 200x50 (standard and wall), 300x80 (wall
screen). Instants: before launch, during the spike (rollback triggers firing), after the
rollback (the simulated stack recovered).
"""

import pytest

from tests.helpers import LAUNCH, demo_app, replay

SIZES = [(80, 24), (120, 40), (200, 50), (300, 80)]
SIZE_IDS = ["80x24", "120x40", "200x50", "300x80"]


def app_at(instant: str, display: bool = False):
    app, clock, stack = demo_app(display=display)

    async def run_before(pilot):
        if instant == "pre-launch":
            await replay(app, clock, until_offset=-15 * 60)
        elif instant == "spike":
            await replay(app, clock, until_offset=17 * 60)
        else:  # the rollback's effects at T+17m, then eight minutes of recovery
            await replay(app, clock, until_offset=17 * 60)
            t = clock.now()
            stack.signal("api-api-1", "HUP", t)
            stack.stop("scraper-worker-fixed", t)
            stack.restart("api-api-1", t)
            await replay(app, clock, until_offset=25 * 60)
        await pilot.pause()
        app.refresh_panes()  # once more now that every widget has its size (the charts need it)
        await pilot.pause()

    assert clock.now() == LAUNCH - 15 * 60
    return app, run_before


@pytest.mark.parametrize("instant", ["pre-launch", "spike", "after-rollback"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_demo_layouts(snap_compare, size, instant):
    app, run_before = app_at(instant)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_display_profile_wall(snap_compare):
    app, run_before = app_at("spike", display=True)
    assert snap_compare(app, terminal_size=(300, 80), run_before=run_before)


@pytest.mark.parametrize(
    "offset", [-10 * 60, 10 * 60, 20 * 60, 70 * 60], ids=["T-10m", "T+10m", "T+20m", "T+70m"]
)
def test_runbook_timeline(snap_compare, offset):
    """The runbook screen before and after the T+15m, T+30m and T+1h milestones."""
    app, clock, _ = demo_app()

    async def run_before(pilot):
        await replay(app, clock, until_offset=offset)
        await pilot.press("g")
        await pilot.pause()
        app.refresh_runbook()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)


@pytest.mark.parametrize("screen", ["main", "runbook"])
def test_help_screen(snap_compare, screen):
    """`?` over the main screen and over the runbook screen at 80x24 (it once drew an empty box)."""
    app, run_before = app_at("spike")

    async def open_help(pilot):
        await run_before(pilot)
        if screen == "runbook":
            await pilot.press("g")
            await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_help)
