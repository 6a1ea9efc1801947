"""Replay: the recorded rehearsal comes back on the same screens, and nothing can act."""

from console.app_replay import ReplayConsole
from console.cli import demo_state
from console.recording.reader import Recording
from console.replay import Replayer
from tests.recorded_session import SIZE
from tests.screen import screen_text
from widgets.replaybar import ReplayBar

# The replay bar takes two lines above the footer: give the replay two more rows, and the
# panes have exactly the room they had live.
REPLAY_SIZE = (SIZE[0], SIZE[1] + 2)


def replay_app(path: str, **kw) -> ReplayConsole:
    recording = Recording(path)
    replayer = Replayer(recording, demo_state(recording.config()))
    return ReplayConsole(replayer, path, playing=False, live=False, **kw)


def body(text: str, bottom: int) -> list[str]:
    """The screen without its first line (the status bar names LIVE/DEMO/REPLAY) and its
    `bottom` lines (the footer, and the replay bar)."""
    return text.splitlines()[1:-bottom]


async def show(app: ReplayConsole, pilot, t: float) -> str:
    app.seek_to(t)
    await pilot.pause()
    app.refresh_panes()  # once more now that every widget has its size (the charts need it)
    await pilot.pause()
    return screen_text(app)


async def test_the_screens_come_back_exactly_as_they_were(recorded_demo):
    app = replay_app(recorded_demo.path)
    async with app.run_test(size=REPLAY_SIZE) as pilot:
        for t, live in recorded_demo.main.items():
            shown = await show(app, pilot, t)
            assert body(shown, 3) == body(live, 1), t - recorded_demo.launch
            assert "REPLAY" in shown.splitlines()[0]
        for t, live in recorded_demo.runbook.items():
            app.seek_to(t)
            await pilot.press("g")
            await pilot.pause()
            app.refresh_runbook()
            await pilot.pause()
            shown = screen_text(app)
            assert body(shown, 3) == body(live, 1), t - recorded_demo.launch
            await pilot.press("escape")
            await pilot.pause()


async def test_seek_keys_and_the_replay_clock(recorded_demo):
    launch = recorded_demo.launch
    app = replay_app(recorded_demo.path, start=launch - 10 * 60)
    async with app.run_test(size=REPLAY_SIZE) as pilot:
        bar = app.query_one(ReplayBar)

        def clock() -> str:
            return bar.render().plain

        assert "T-00:10:00" in clock() and "REPLAY paused" in clock()
        assert "13:50:00 UTC · 09:50:00 EDT" in clock()
        await pilot.press("right")
        assert app.position == launch - 9 * 60 and "T-00:09:00" in clock()
        await pilot.press("pagedown")
        assert app.position == launch + 60
        await pilot.press("left", "pageup")
        assert app.position == launch - 10 * 60
        await pilot.press("m")  # the next milestone: T-0, the launch
        assert app.position == launch and "T+00:00:00" in clock()
        await pilot.press("m")
        assert app.position == launch + 15 * 60
        await pilot.press("M", "M")
        assert app.position == launch - 15 * 60
        # The next alert: the 5xx surge, then the rollback trigger a little later.
        await pilot.press("n")
        first = app.position
        assert launch < first < launch + 10 * 60
        await pilot.press("n")
        assert app.position > first
        await pilot.press("p")
        assert app.position == first
        await pilot.press("space")
        assert "REPLAY ×1" in clock()
        await pilot.press("plus", "plus")
        assert "REPLAY ×4" in clock()
        await pilot.press("space")
        assert "paused" in clock()
        await pilot.press("end")
        assert app.position == app.replayer.end


async def test_every_action_key_is_refused(recorded_demo):
    app = replay_app(recorded_demo.path, start=recorded_demo.launch + 17 * 60)
    refusals = {k: "actions are refused on a recording" for k in "RDAPB"} | {"r": "nothing to poll"}
    async with app.run_test(size=REPLAY_SIZE) as pilot:
        for key, why in refusals.items():
            app._notifications.clear()
            await pilot.press(key)
            await pilot.pause()
            assert type(app.screen).__name__ == "Screen", key  # no plan, no dialog: nothing
            messages = [n.message for n in app._notifications]
            assert any(m.startswith("REPLAY") and why in m for m in messages), (key, messages)


async def test_the_runbook_cannot_be_edited_in_replay(recorded_demo):
    app = replay_app(recorded_demo.path, start=recorded_demo.launch + 10 * 60)
    async with app.run_test(size=REPLAY_SIZE) as pilot:
        await pilot.press("g", "i")
        await pilot.pause()
        assert type(app.screen).__name__ == "RunbookScreen"  # no incident dialog
        await pilot.press("1")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert sum("REPLAY: the runbook state is the recording's" in m for m in messages) == 2
        # The replay clock is on the runbook screen too.
        assert "T+00:10:00" in screen_text(app)
