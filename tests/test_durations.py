import pytest

from console.durations import format_countdown, format_duration, format_offset, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m", 600),
        ("1h30m", 5400),
        ("-15m", -900),
        ("+4h", 14400),
        ("500ms", 0.5),
        (90, 90),
        ("0s", 0),
        ("2.5s", 2.5),
        ("1.5h", 5400),
        ("10 minutes", 600),
        ("90", 90),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "ten minutes", "10m foo", "m", True, "-", "10 parsecs"])
def test_parse_duration_rejects_with_the_value(bad):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(bad)


def test_countdown_rounds_towards_launch():
    assert format_countdown(-899.5) == "T-00:15:00"
    assert format_countdown(-0.2) == "T-00:00:01"
    assert format_countdown(0) == "T+00:00:00"
    assert format_countdown(3723.9) == "T+01:02:03"


def test_offsets_and_durations():
    assert format_offset(-7200) == "T-2h"
    assert format_offset(900) == "T+15m"
    assert format_offset(0) == "T+0"
    assert format_duration(45) == "45s"
    assert format_duration(192) == "3m12s"
    assert format_duration(7500) == "2h05m"
    assert format_duration(7 * 86400) == "7d"
    assert format_duration(25 * 3600) == "1d01h"
