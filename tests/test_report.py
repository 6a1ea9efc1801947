"""The post-mortem report of the recorded rehearsal: what it says, in md, json and html."""

import json
import re

import pytest

from console.commands.replay import parse_when
from console.durations import parse_duration
from console.recording.reader import Recording
from console.report.render import h, md
from console.report.write import write_report

ZONES = re.compile(r"T[+-][\dhms]+ · \d\d:\d\d:\d\d EDT · \d\d:\d\d:\d\d UTC")


@pytest.fixture(scope="module")
def reports(recorded_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    written = {}
    with Recording(recorded_demo.path) as recording:
        for fmt in ("md", "json", "html"):
            path = write_report(recording, fmt, str(out / f"post-mortem.{fmt}"))
            with open(path, encoding="utf-8") as f:
                written[fmt] = f.read()
    return out, written


def section(markdown: str, title: str) -> str:
    start = markdown.index(f"## {title}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end >= 0 else None]


def offset_of(cell: str) -> float:
    """Seconds from launch of a report's 'T+16m · 10:16:00 EDT · 14:16:00 UTC'."""
    return parse_duration(cell.strip("| ").split(" · ")[0].removeprefix("T"))


def test_markdown_post_mortem(recorded_demo, reports):
    out, r = reports
    text = r["md"]
    assert text.startswith("# Post-mortem: BuyWhere US launch (demo)")
    # Section 6: a rollback was executed and the error-rate trigger fired: a failed launch.
    verdict = section(text, "Launch verdict")
    assert "**FAILED**" in verdict
    assert "rollback executed" in verdict and "error rate &gt; 5% sustained &gt; 10 min" in verdict

    # The fault: the 5xx rollback trigger, from its onset (after the T+5m screen, by the
    # T+16m30s screen, where the console showed it) to its end after the rollback.
    (t5, t16, t25) = (recorded_demo.launch + s for s in (5 * 60, 16 * 60 + 30, 25 * 60))
    assert "ROLLBACK TRIGGER: 5xx" not in recorded_demo.main[t5]
    assert "ROLLBACK TRIGGER: 5xx" in recorded_demo.main[t16]
    assert "ROLLBACK TRIGGER: 5xx" not in recorded_demo.main[t25]
    rows = [
        line.split(" | ")
        for line in section(text, "Alerts").splitlines()
        if "ROLLBACK TRIGGER: 5xx error rate" in line
    ]
    assert len(rows) == 1
    onset, end, _, level, _, peak = rows[0]
    assert level == "CRIT (rollback trigger)"
    assert 10 * 60 < offset_of(onset) <= 16 * 60 + 30
    assert 17 * 60 <= offset_of(end) <= 25 * 60
    assert ZONES.fullmatch(onset.strip("| ")) and ZONES.fullmatch(end)
    assert re.match(r"1\d\.\d% at T\+", peak)  # the surge peaks above 10 %

    # The rollback with who ran it and every step.
    actions = section(text, "Actions")
    steps = [line for line in actions.splitlines() if line.startswith("| rollback |")]
    cells = [s.strip("| ").split(" | ") for s in steps]
    assert [c[4] for c in cells] == ["pause\\_traffic", "stop\\_scraper", "restart\\_api", "verify"]
    assert all(c[1] == recorded_demo.operator and c[3] == c[5] == "ok" for c in cells)
    assert "search total 2841" in steps[-1]

    # The incident (its summary is outside text: escaped), its escalation, its root cause.
    incidents = section(text, "Incidents")
    assert "search returns 503 &lt;b&gt;\\|&lt;/b&gt;" in incidents
    assert "connection leak in the search handler" in incidents
    assert "T+0m Rex acknowledged, joins #incidents-critical (reached T+5m" in incidents
    assert "T+10m Bolt engaged if infra (reached T+15m" in incidents
    assert "T+20m Vera notified (DM) (not reached)" in incidents  # resolved after 15 min

    # The T-15 board: every owner called Go, every P0 gate green: Rex's GO.
    board = section(text, "Go/no-go board at T-15")
    assert "| Rex (overall) | GO | all P0 gates green, every owner Go |" in board
    assert board.count("| GO |") == 6

    milestones = section(text, "Milestones")
    assert re.search(
        r"\| T\+15m \| Initial health check \| Atlas \| FAILED \|.*5xx &lt; 0\.5%: 1\d", milestones
    )
    assert "| T+4h | Business hours check-in | Rex | not reached |" in milestones

    timeline = section(text, "Timeline")
    assert "| T-15m · 09:45:00 EDT · 13:45:00 UTC | runbook | Bolt: GO |" in timeline
    assert "P1 #1 opened by" in timeline and "rollback verify ok" in timeline

    # Five charts beside the report, as PNG.
    charts = re.findall(r"!\[[^\]]+\]\((post-mortem-charts/\w+\.png)\)", text)
    assert len(charts) == 5
    for chart in charts:
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_post_mortem(reports):
    data = json.loads(reports[1]["json"])
    assert data["verdict"]["result"] == "FAILED"
    (rollback,) = [a for a in data["actions"] if a["action"] == "rollback"]
    assert rollback["outcome"] == "ok"
    assert [s["status"] for s in rollback["steps"]] == ["ok"] * 4
    (incident,) = data["incidents"]
    assert incident["summary"] == "search returns 503 <b>|</b>"  # data, as typed
    assert [s["reached"] for s in incident["ladder"]] == [True, True, False, False]
    assert data["go_no_go_at_t15"]["call"] == "GO"
    worst = max(p["max"] for p in data["series_per_minute"]["error_rate_5xx"])
    assert 10 < worst < 13
    assert data["recording"]["counts"]["readings"] > data["recording"]["counts"]["reading_rows"]


def test_html_post_mortem_escapes_what_came_from_the_recording(reports):
    page = reports[1]["html"]
    assert page.startswith("<!DOCTYPE html>")
    assert "search returns 503 &lt;b&gt;|&lt;/b&gt;" in page
    assert "<b>|</b>" not in page
    assert page.count('<div class="chart"><svg') == 5
    assert '<p class="verdict">FAILED</p>' in page


def test_outside_text_never_becomes_structure():
    hostile = "a|b *x* _y_ [l](javascript:alert(1)) <img src=x onerror=alert(1)> `c`\n# h \x1b[2J"
    line = md(hostile)
    assert "\n" not in line and "\x1b" not in line
    assert "|" not in line.replace("\\|", "")
    assert "<" not in line and "[" not in line.replace("\\[", "")
    assert line.startswith("a\\|b \\*x\\* \\_y\\_ \\[l\\](javascript:alert(1)) &lt;img")
    assert h("<script>alert('x')</script>") == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def test_when_parses_offsets_and_instants():
    launch = 1_000_000.0
    assert parse_when("T-15m", launch) == launch - 900
    assert parse_when("+1h30m", launch) == launch + 5400
    assert parse_when("1970-01-12T13:46:40Z", launch) == launch
    with pytest.raises(ValueError, match="expected T-15m"):
        parse_when("soon", launch)
    with pytest.raises(ValueError, match="needs a zone"):
        parse_when("2026-04-23T13:45:00", launch)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """The command line, in this process: its exit code, standard output and error."""
    from console.cli import main

    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_and_replay_command_lines(recorded_demo, tmp_path, capsys):
    code, out, err = run_cli(capsys, "report", recorded_demo.path, "--format", "json", "-o", "-")
    assert code == 0, err
    assert json.loads(out)["verdict"]["result"] == "FAILED"
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database at all")
    none = tmp_path / "none.sqlite"
    for command in ("report", "replay"):
        code, _, err = run_cli(capsys, command, str(junk))
        assert code == 2 and err.strip().startswith(f"launch-console: {junk}: not a launch-console")
        code, _, err = run_cli(capsys, command, str(none))
        assert code == 2 and err.strip() == f"launch-console: {none}: no such recording"
    code, _, err = run_cli(capsys, "replay", recorded_demo.path, "--from", "T-3h")
    assert code == 2
    assert "--from T-3h: the recording covers T-15m to T+1h10m" in err
