"""The Containers pane: column widths, sorting, filtering, scrolling, redrawing only what moved."""

from console.readings import Container, ContainersReading
from console.rules import Finding, Level
from tests.helpers import demo_app
from widgets.containers import (
    MAX_GAP,
    ContainersPane,
    ContainersTable,
    Steady,
    container_rows,
    layout,
    sort_rows,
    uptime_text,
)

NOW = 1_800_000_000.0


def reading(n_extra: int = 0, sick: str | None = None) -> tuple[ContainersReading, list[Finding]]:
    names = ["api-api-1", "api-mcp-1", "buywhere-api-db-1", "scraper-worker-fixed"]
    names += [f"extra-{i:03d}" for i in range(n_extra)]
    containers = []
    findings = []
    for name in names:
        unhealthy = name == sick
        containers.append(
            Container(
                name=name,
                state="running",
                health="unhealthy" if unhealthy else "healthy",
                started_at=NOW - 7200,
                cpu_pct=1.0,
                mem_bytes=50 * 2**20,
                expected=not name.startswith("extra"),
            )
        )
        level = Level.CRIT if unhealthy else Level.OK
        findings.append(Finding(f"container:{name}", name, level, "x"))
    return ContainersReading(source="containers", at=NOW, containers=tuple(containers)), findings


def test_uptime_has_minute_resolution_past_a_minute():
    assert [uptime_text(s) for s in (42, 61, 119, 3600 + 5 * 60 + 59, 2 * 86400 + 3 * 3600)] == [
        "42s",
        "1m",
        "1m",
        "1h05m",
        "2d03h",
    ]


def test_cpu_jitter_does_not_change_what_is_shown():
    cpu = Steady(absolute=1.0, relative=0.1)
    shown = [cpu("api", v) for v in (23.4, 24.1, 22.8, 23.9, 30.0, 29.5)]
    assert shown == [23.4, 23.4, 23.4, 23.4, 30.0, 30.0]


def test_names_stay_whole_in_the_standard_layout_and_spare_room_stays_right():
    r, findings = reading()
    rows = container_rows(r, findings, NOW)
    # 120 columns: the pane spans two of four grid columns, 56 cells inside.
    narrow = layout(rows, 56)
    assert dict(narrow.columns)["name"] >= len("scraper-worker-fixed") + 2
    assert [c for c, _ in narrow.columns][:2] == ["name", "status"]
    # 200 columns: no wide gaps between columns, whatever the room.
    wide = layout(rows, 96)
    assert wide.gap <= MAX_GAP
    assert sum(w for _, w in wide.columns) + wide.gap * (len(wide.columns) - 1) <= 96


def test_a_narrow_pane_drops_columns_before_cutting_names():
    r, findings = reading()
    rows = container_rows(r, findings, NOW)
    cols = [c for c, _ in layout(rows, 36).columns]
    assert cols[:2] == ["name", "status"] and "restarts" not in cols
    assert dict(layout(rows, 36).columns)["name"] == len("scraper-worker-fixed") + 2


def test_problems_sort_first():
    r, findings = reading(n_extra=20, sick="extra-017")
    rows = sort_rows(container_rows(r, findings, NOW), "problems")
    assert rows[0].name == "extra-017"
    assert [x.name for x in rows[1:4]] == ["api-api-1", "api-mcp-1", "buywhere-api-db-1"]


async def test_the_pane_scrolls_filters_and_redraws_only_changed_rows():
    app, _, _ = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ContainersPane)
        table = app.query_one(ContainersTable)
        r, findings = reading(n_extra=196)
        pane.show_containers(r, findings, NOW, Level.OK)
        await pilot.pause()
        # All 200 are there to scroll to; the screen shows the top of the list.
        lines = pane.rendered_text().splitlines()
        assert len(lines) == 201 and "extra-195" in lines[-1]
        assert pane.border_title == "Containers (200) ✔"
        screen = "\n".join(table.render_line(y).text for y in range(table.size.height))
        assert "api-api-1" in screen and "extra-195" not in screen
        table.scroll_end(animate=False)
        await pilot.pause()
        screen = "\n".join(table.render_line(y).text for y in range(table.size.height))
        assert "extra-195" in screen and "  name" in screen  # the header stays
        # One container turns unhealthy: it moves to the top.
        r2, findings2 = reading(n_extra=196, sick="extra-150")
        table.scroll_home(animate=False)
        pane.show_containers(r2, findings2, NOW, Level.CRIT)
        await pilot.pause()
        top = table.render_line(1).text
        assert top.startswith("✖ extra-150") and "unhealthy" in top
        # The same reading again redraws nothing; one container's CPU moving redraws its row.
        assert pane.show_containers(r2, findings2, NOW, Level.CRIT) == 0
        busy = tuple(
            Container(**{**{f: getattr(c, f) for f in c.__slots__}, "cpu_pct": 55.0})
            if c.name == "extra-099"
            else c
            for c in r2.containers
        )
        r3 = ContainersReading(source="containers", at=NOW, containers=busy)
        assert pane.show_containers(r3, findings2, NOW, Level.CRIT) == 1
        # `/` filters by name.
        await pilot.press("slash")
        await pilot.press(*"extra-15")
        await pilot.pause()
        assert pane.border_title == "Containers (10 of 200 · /extra-15) ✖"
        names = [line.split()[1] for line in pane.rendered_text().splitlines()[1:]]
        assert names[0] == "extra-150" and all(n.startswith("extra-15") for n in names)
        await pilot.press("escape")
        await pilot.pause()
        assert pane.border_title == "Containers (200) ✖"


async def test_s_cycles_the_sort_of_a_focused_table():
    app, _, _ = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ContainersPane)
        table = app.query_one(ContainersTable)
        r, findings = reading(n_extra=3, sick="extra-002")
        pane.show_containers(r, findings, NOW, Level.CRIT)
        table.focus()
        await pilot.press("s")
        await pilot.pause()
        assert table.sort == "name"
        names = [line.split()[1] for line in pane.rendered_text().splitlines()[1:]]
        assert names == sorted(names)
        assert "name▾" in pane.rendered_text().splitlines()[0]
