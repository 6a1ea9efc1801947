"""The recorder and its file: every reading back as it was, repeats as heartbeats, changes as
deltas, sessions across restarts, clear errors for files that are not recordings."""

import asyncio
import dataclasses
import sqlite3

import pytest

from console.clock import FrozenClock
from console.kinds import sim_sources
from console.readings import (
    Container,
    ContainersReading,
    HostReading,
    PoolReading,
    PostgresReading,
    RedisReading,
    SmokeCheck,
    SmokeReading,
    TrafficReading,
)
from console.recording.changes import state_changes
from console.recording.codec import UnknownKind, decode, diff, encode, patch, reading_type, tag
from console.recording.reader import Cursor, Recording
from console.recording.recorder import KEYFRAME, Recorder
from console.recording.schema import RecordingError
from console.sim import SimStack
from tests.helpers import LAUNCH, demo_config

KINDS = (
    ContainersReading,
    PoolReading,
    PostgresReading,
    RedisReading,
    HostReading,
    TrafficReading,
    SmokeReading,
)


def recorder(path, clock, **kw) -> Recorder:
    return Recorder(str(path), clock, config=demo_config(), mode="DEMO", batch_s=0.02, **kw)


def sim_day(clock: FrozenClock, sweeps: int, step: float = 5.0):
    """Readings of every simulated source, `sweeps` times, `step` seconds apart."""
    sources = sim_sources(SimStack(launch=LAUNCH), clock)

    async def run():
        out = []
        for _ in range(sweeps):
            for source in sources:
                out.append((clock.now(), clock.monotonic(), await source.read()))
            clock.advance(step)
        return out

    return asyncio.run(run())


def test_every_kind_of_reading_comes_back_equal(tmp_path):
    clock = FrozenClock(LAUNCH + 600)
    readings = [r for _, _, r in sim_day(clock, 3)]
    # Error readings, and the nested types (tuples of dataclasses, dicts) spelled out.
    readings += [kind.failed(kind.__name__, clock.now(), "DOWN: refused") for kind in KINDS]
    readings.append(
        TrafficReading(
            source="traffic",
            at=clock.now(),
            window_s=2.0,
            requests=10,
            log_alerts={"ECONNREFUSED": 2, "wei|rd <x>": 1},
        )
    )
    for r in readings:
        assert decode(tag(r), r.source, r.at, encode(r)) == r
    rec = recorder(tmp_path / "r.sqlite", clock)
    for r in readings:
        rec.reading(r)
    rec.close()
    with Recording(str(tmp_path / "r.sqlite")) as recording:
        (session,) = recording.sessions
        back = [x.reading for x in recording.landed(session)]
    key = lambda r: (r.source, r.at, r.error or "")  # noqa: E731
    assert sorted(back, key=key) == sorted(readings, key=key)


def test_repeats_are_heartbeats_and_changes_are_deltas(tmp_path):
    clock = FrozenClock(LAUNCH)
    rec = recorder(tmp_path / "r.sqlite", clock)
    smoke = SmokeReading(
        source="smoke", at=0.0, checks=(SmokeCheck(id="api.health", title="/health", ok=True),)
    )
    containers = [
        Container(name=f"c{i}", state="running", health="healthy", mem_limit=2**31)
        for i in range(6)
    ]
    sent = []
    for i in range(200):
        clock.advance(2.0)
        at = clock.now()
        cpu = tuple(
            dataclasses.replace(c, cpu_pct=float(i % 7 + n)) for n, c in enumerate(containers)
        )
        for r in (
            dataclasses.replace(smoke, at=at),  # the same every time: a heartbeat
            ContainersReading(source="containers", at=at, containers=cpu, api="c0"),
        ):
            rec.reading(r)
            sent.append((clock.now(), r))
    rec.close()
    assert rec.stats.heartbeats == 199 and rec.stats.rows == 1 + 200
    path = str(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT full, length(data) FROM readings WHERE source = 'containers' ORDER BY id"
        ).fetchall()
    assert sum(full for full, _ in rows) == -(-200 // KEYFRAME)  # a keyframe every 64 rows
    full_size = max(n for full, n in rows if full)
    delta_size = max(n for full, n in rows if not full)
    assert delta_size * 4 < full_size  # only the CPU figures that moved
    with Recording(path) as recording:
        (session,) = recording.sessions
        back = [(x.t, x.reading) for x in recording.landed(session)]
        assert sorted(back, key=lambda x: (x[0], x[1].source)) == sorted(
            sent, key=lambda x: (x[0], x[1].source)
        )
        # From the middle: the cursor starts at a keyframe and hands back only what is due.
        middle = LAUNCH + 2 * 130
        cursor = Cursor(recording, session, middle)
        first = cursor.advance(middle + 10)
        assert [(x.t, x.reading) for x in first] == [
            (t, r)
            for t, r in sorted(sent, key=lambda x: (x[0], x[1].source))
            if middle <= t <= middle + 10
        ]


def test_diff_and_patch():
    old = {"a": 1, "b": [1, 2, {"c": 3}], "d": {"x": 1}}
    new = {"a": 1, "b": [1, 5, {"c": 4}], "d": {"y": 2}, "e": None}
    assert patch(old, diff(old, new)) == new
    assert diff(new, new) == []
    assert patch({"l": [1]}, diff({"l": [1]}, {"l": [1, 2]})) == {"l": [1, 2]}  # other length
    assert diff({"v": 1}, {"v": True}) == [[["v"], True]]  # a bool is not the int 1


def test_a_file_names_only_readings_of_the_console():
    assert reading_type(tag(HostReading(source="host", at=0))) is HostReading
    for bad in ("os:system", "console.readings:Container", "subprocess:Popen", "console:nothing"):
        with pytest.raises(UnknownKind):
            reading_type(bad)


def test_state_changes_one_event_each():
    before = {"ticks": {}, "owners": {"Bolt": "go"}, "incidents": [], "rollback_at": None}
    after = {
        "ticks": {"sentry": {"by": "rex", "at": 1.0}},
        "owners": {"Bolt": "hold", "Sol": "go"},
        "incidents": [{"id": 1, "severity": "P1", "summary": "x"}],
        "rollback_at": 5.0,
    }
    keys = [k for k, _ in state_changes(before, after)]
    assert keys == ["incidents:1", "owners:Bolt", "owners:Sol", "rollback_at", "ticks:sentry"]
    (_, change), *_ = state_changes(after, {**after, "owners": {"Sol": "go"}})
    assert change == {"field": "owners", "key": "Bolt", "old": "hold", "new": None}
    assert state_changes(None, after) == []  # where a recording starts is not a change


def test_a_restart_appends_a_session_and_keeps_ages_honest(tmp_path):
    path = tmp_path / "day.sqlite"
    clock = FrozenClock(LAUNCH, monotonic=50.0)
    first = recorder(path, clock)
    first.reading(HostReading(source="host", at=clock.now(), disk_used=1, disk_total=2))
    first.state({"ticks": {}, "owners": {}})
    first.close()
    clock = FrozenClock(LAUNCH + 300, monotonic=7.0)  # a new process: its own monotonic clock
    second = recorder(path, clock)
    second.state({"ticks": {}, "owners": {"Bolt": "go"}})  # changed while nothing recorded
    second.reading(HostReading(source="host", at=clock.now(), disk_used=1, disk_total=2))
    second.close()
    with Recording(str(path)) as recording:
        one, two = recording.sessions
        assert two.t0 == LAUNCH + 300 and two.m0 >= one.m0 + 300
        assert (
            recording.session_at(LAUNCH + 100) == one and recording.session_at(LAUNCH + 400) == two
        )
        (change,) = recording.events("runbook")
        assert change.key == "owners:Bolt" and change.session == two.id
        assert recording.state_at(LAUNCH + 100) == {"ticks": {}, "owners": {}}


def test_one_console_records_a_file_at_a_time(tmp_path):
    clock = FrozenClock(LAUNCH)
    first = recorder(tmp_path / "r.sqlite", clock)
    with pytest.raises(RecordingError, match="another console is recording to this file"):
        recorder(tmp_path / "r.sqlite", clock)
    first.close()
    recorder(tmp_path / "r.sqlite", clock).close()  # free again once it is closed


def test_files_that_are_not_recordings_are_named(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"SQLite format 2\x00 but not really" * 100)
    with pytest.raises(RecordingError, match=f"{junk}: not a launch-console recording"):
        Recording(str(junk))
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(RecordingError, match=f"{other}: not a launch-console recording"):
        Recording(str(other))
    with pytest.raises(RecordingError, match="not a launch-console recording"):
        recorder(other, FrozenClock(LAUNCH))
    clock = FrozenClock(LAUNCH)
    recorder(tmp_path / "new.sqlite", clock).close()
    with sqlite3.connect(tmp_path / "new.sqlite") as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(RecordingError, match=r"schema 99 is newer .* upgrade launch-console"):
        Recording(str(tmp_path / "new.sqlite"))
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(RecordingError, match=f"{blocked}/r.sqlite: cannot record there"):
        recorder(blocked / "r.sqlite", clock)


def test_a_full_disk_stops_the_recording_not_the_console(tmp_path):
    clock = FrozenClock(LAUNCH)
    rec = recorder(tmp_path / "r.sqlite", clock)
    for i in range(5):
        clock.advance(1)
        rec.reading(HostReading(source="host", at=clock.now(), disk_used=i, disk_total=10**9))
    assert rec.flush()
    pages = rec._conn.execute("PRAGMA page_count").fetchone()[0]
    rec._conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk fills up
    for i in range(300):
        clock.advance(1)
        rec.reading(HostReading(source="host", at=clock.now(), disk_used=i, disk_total=10**9))
    assert rec.flush()
    assert rec.error is not None
    assert rec.error.startswith(
        f"{tmp_path / 'r.sqlite'}: recording stopped (database or disk is full"
    )
    rec.reading(HostReading(source="host", at=clock.now()))  # ignored, never raised
    rec.close()
    with Recording(str(tmp_path / "r.sqlite")) as recording:  # what was written is readable
        assert recording.counts()["reading_rows"] >= 5


def test_seeking_to_the_instant_a_repeat_landed_shows_it(tmp_path):
    from console.replay import Replayer

    clock = FrozenClock(LAUNCH + 0.123456789, monotonic=10.000000321)
    rec = recorder(tmp_path / "r.sqlite", clock)
    smoke = SmokeReading(source="smoke", at=0.0, checks=())
    times = []
    for _ in range(5):  # identical but for their time: one row and four heartbeats
        rec.reading(dataclasses.replace(smoke, at=clock.now()))
        times.append(clock.now())
        clock.advance(2.000000123, wall=2.000000456)
    rec.close()
    assert rec.stats.heartbeats == 4
    with Recording(str(tmp_path / "r.sqlite")) as recording:
        replayer = Replayer(recording, demo_config())
        for t in times:
            replayer.seek(t)
            latest = replayer.store.latest("smoke")
            assert latest is not None and abs(latest.at - t) < 1e-5
            assert replayer.store.age("smoke") == pytest.approx(0.0, abs=1e-5)
