from console.clock import FrozenClock
from console.readings import RedisReading
from console.store import Store


def redis(at, used=50, error=None):
    if error:
        return RedisReading.failed("redis", at, error)
    return RedisReading(source="redis", at=at, used_memory=used, max_memory=100)


def test_history_is_bounded_by_count_and_time():
    clock = FrozenClock(0.0)
    store = Store(clock, history_s=100, stale_after={}, max_samples=5)
    for i in range(10):
        store.record(redis(i))
    assert [t for t, _ in store.series("redis_memory")] == [5, 6, 7, 8, 9]
    store.record(redis(200))
    assert [t for t, _ in store.series("redis_memory")] == [200]  # older than 100 s dropped


def test_error_keeps_the_last_good_reading_and_records_a_gap():
    clock = FrozenClock(0.0)
    store = Store(clock, history_s=100, stale_after={"redis": 5})
    store.record(redis(0, used=42))
    clock.advance(2)
    store.record(redis(2, error="DOWN: connection refused"))
    assert store.latest("redis").error == "DOWN: connection refused"
    assert store.good("redis").used_memory == 42
    assert list(store.series("redis_memory")) == [(0, 42.0), (2, None)]
    assert store.age("redis") == 2


def test_staleness_follows_the_wall_clock():
    clock = FrozenClock(0.0)
    store = Store(clock, history_s=100, stale_after={"redis": 5})
    assert store.is_stale("redis") and store.age("redis") is None
    store.record(redis(0))
    clock.advance(600, wall=5)  # the demo's simulated time races; the wall does not
    assert not store.is_stale("redis")
    clock.advance(0, wall=0.5)
    assert store.is_stale("redis")


def test_late_answers_do_not_reorder_history():
    clock = FrozenClock(0.0)
    store = Store(clock, history_s=100, stale_after={})
    store.record(redis(10, used=10))
    store.record(redis(5, used=5))
    assert list(store.series("redis_memory")) == [(10, 10.0)]
    assert store.latest("redis").used_memory == 5
    assert store.version == 2 and store.source_version("redis") == 2
