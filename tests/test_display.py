"""The war-room side: alert merging and the bell, the display profile, help, chart windows."""

from console.alerting import AlertTracker, needs_banner
from console.rules import Alert, Level
from tests.helpers import demo_app, replay
from widgets.chart import TrendChart
from widgets.confirm import ConfirmModal

TRIGGER = Alert("rollback:error_rate_5xx", Level.CRIT, "ROLLBACK TRIGGER: 5xx", rollback=True)
DISK = Alert("host:host.disk", Level.WARN, "host: disk 81%")


def test_repeats_merge_with_a_count_and_only_new_alerts_are_new():
    tracker = AlertTracker()
    tracked, new = tracker.update([TRIGGER, DISK], now=0)
    assert new == [TRIGGER, DISK] and [t.count for t in tracked] == [1, 1]
    tracked, new = tracker.update([TRIGGER, DISK], now=10)
    assert new == [] and tracked[0].since == 0  # still the same firing
    tracker.update([DISK], now=20)  # the trigger clears...
    tracked, new = tracker.update([TRIGGER, DISK], now=30)  # ...and fires again
    assert new == [TRIGGER]
    assert tracked[0].text == "ROLLBACK TRIGGER: 5xx  (×2)" and tracked[0].since == 30
    assert needs_banner(TRIGGER) and not needs_banner(DISK)


async def test_the_bell_rings_once_per_new_alert_not_per_refresh():
    app, clock, _ = demo_app()
    rings = []
    app.bell = lambda: rings.append(clock.now())
    async with app.run_test(size=(200, 50)) as pilot:
        await replay(app, clock, until_offset=10 * 60)
        assert rings == []  # warnings and pending triggers do not ring
        await replay(app, clock, until_offset=17 * 60, step=60)
        await pilot.pause()
        first = len(rings)
        assert first >= 1  # the rollback trigger fired
        for _ in range(5):
            app.refresh_panes()
        assert len(rings) == first
        banner = app.query_one("#banner")
        assert banner.display and "ROLLBACK TRIGGER" in str(banner.content)


async def test_display_profile_is_read_only_and_hides_action_keys():
    app, _, stack = demo_app(display=True)
    async with app.run_test(size=(300, 80)) as pilot:
        assert app.read_only and app.screen.has_class("display")
        assert app.theme == "launch-high-contrast"
        for key in ("R", "D", "A", "P", "B"):
            await pilot.press(key)
        await app.run_action("remediate('rollback')")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        footer_keys = {b.binding.key for b in app.active_bindings.values() if b.enabled}
        assert not {"R", "D", "A", "P", "B"} & footer_keys
    assert not stack.events


async def test_charts_switch_between_15_and_60_minutes():
    app, clock, _ = demo_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await replay(app, clock, until_offset=30 * 60)
        await pilot.pause()
        chart = app.query_one("#chart-error_rate_5xx", TrendChart)
        assert chart.border_subtitle.endswith("· 15 min")
        await pilot.press("w")
        await pilot.pause()
        assert chart.border_subtitle.endswith("· 60 min")
