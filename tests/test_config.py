from pathlib import Path

import pytest

from config import BUYWHERE_US, DEMO, shipped
from console.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "launch.toml"
    path.write_text(text)
    return path


def test_only_launch_at_is_required(tmp_path):
    config = load_config(write(tmp_path, '[launch]\nat = "2026-04-23T14:00:00Z"\n'))
    assert config.launch.epoch == 1776952800.0
    # The runbook's values are the defaults.
    assert (config.thresholds.pool_usage.warn, config.thresholds.pool_usage.crit) == (70, 90)
    assert config.rollback_triggers.error_rate_5xx.sustained == 600
    assert config.docker.scraper == "scraper-worker-fixed"
    assert config.milestones[0].id == "t-2h"


def test_shipped_files_load(monkeypatch):
    for var in ("PGBOUNCER_ADMIN_DSN", "CATALOG_DSN", "REDIS_URL"):
        monkeypatch.setenv(var, f"postgresql://user:s3cret@host/{var}")
    us = load_config(shipped(BUYWHERE_US))
    assert us.launch.zone == "America/New_York"
    assert len(us.docker.services) == 5
    assert us.pgbouncer.admin_dsn.get_secret_value().endswith("PGBOUNCER_ADMIN_DSN")
    assert "s3cret" not in repr(us)
    assert load_config(shipped(DEMO)).launch.at == us.launch.at


def test_missing_launch_at_names_it(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[launch]\nzone = 'UTC'\n"))
    assert str(err.value) == f"{tmp_path / 'launch.toml'}: missing key 'launch.at'"


def test_unknown_key_names_it(tmp_path):
    text = (
        '[launch]\nat = "2026-04-23T14:00:00Z"\n[thresholds]\ndisk_usage = { warn = 1, crit = 2 }\n'
    )
    with pytest.raises(ConfigError, match=r"launch.toml: unknown key 'thresholds.disk_usage'"):
        load_config(write(tmp_path, text))


def test_wrong_type_names_key_and_value(tmp_path):
    text = (
        '[launch]\nat = "2026-04-23T14:00:00Z"\n'
        '[thresholds]\ndisk = { warn = "eighty", crit = 90 }\n'
    )
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert "key 'thresholds.disk.warn'" in message and "'eighty'" in message


def test_band_order_and_duration_errors(tmp_path):
    text = (
        '[launch]\nat = "2026-04-23T14:00:00Z"\n[thresholds]\ndisk = { warn = 90, crit = 80 }\n'
        '[rollback_triggers]\np99_latency = { above = 5, sustained = "a while" }\n'
    )
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    lines = str(err.value).splitlines()
    assert any(
        "thresholds.disk" in line and "crit (80.0) must not be below warn" in line for line in lines
    )
    assert any(
        "rollback_triggers.p99_latency.sustained" in line and "'a while'" in line for line in lines
    )


def test_naive_instant_and_bad_zone(tmp_path):
    with pytest.raises(ConfigError, match=r"launch\.at.*needs a zone"):
        load_config(write(tmp_path, '[launch]\nat = "2026-04-23T14:00:00"\n'))
    with pytest.raises(ConfigError, match=r"launch\.zone.*unknown time zone 'Mars/Olympus'"):
        load_config(
            write(tmp_path, '[launch]\nat = "2026-04-23T14:00:00Z"\nzone = "Mars/Olympus"\n')
        )


def test_bad_toml_names_file_and_line(tmp_path):
    with pytest.raises(ConfigError, match=r"launch.toml: not valid TOML: .*line 2"):
        load_config(write(tmp_path, "[launch]\nat = \n"))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file"):
        load_config(tmp_path / "nope.toml")


def test_env_interpolation(tmp_path, monkeypatch):
    text = '[launch]\nat = "2026-04-23T14:00:00Z"\n[redis]\nurl = "redis://:${REDIS_PW}@127.0.0.1:6379/0"\n'
    monkeypatch.setenv("REDIS_PW", "hunter2")
    config = load_config(write(tmp_path, text))
    assert config.redis.url.get_secret_value() == "redis://:hunter2@127.0.0.1:6379/0"
    monkeypatch.delenv("REDIS_PW")
    with pytest.raises(
        ConfigError, match=r"key 'redis.url': environment variable REDIS_PW is not set"
    ):
        load_config(write(tmp_path, text))


def test_secret_values_are_never_echoed(tmp_path):
    text = '[launch]\nat = "2026-04-23T14:00:00Z"\n[pgbouncer]\nadmin_dsn = ["postgresql://u:hunter2@h/db"]\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert "pgbouncer.admin_dsn" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_duplicate_milestones(tmp_path):
    text = (
        '[launch]\nat = "2026-04-23T14:00:00Z"\n'
        '[[milestones]]\nid = "a"\nat = "-1h"\ntitle = "x"\n'
        '[[milestones]]\nid = "a"\nat = "1h"\ntitle = "y"\n'
    )
    with pytest.raises(ConfigError, match="milestone ids must be unique, repeated: a"):
        load_config(write(tmp_path, text))


def test_traffic_log_pattern_is_checked(tmp_path):
    base = '[launch]\nat = "2026-04-23T14:00:00Z"\n[traffic]\n'
    with pytest.raises(ConfigError, match=r"traffic\.log_pattern.*needs a named group"):
        load_config(write(tmp_path, base + "log_pattern = '(\\\\d{3})'\n"))
    with pytest.raises(ConfigError, match=r"traffic\.log_pattern.*not a valid regular expression"):
        load_config(write(tmp_path, base + "log_pattern = '(?P<status>'\n"))
    config = load_config(write(tmp_path, base + "log_pattern = ' (?P<status>5..) '\n"))
    assert config.traffic.log_pattern == " (?P<status>5..) "


def test_redis_through_prometheus_is_checked_at_load():
    from console.config import ConfigError, parse_config

    base = {"launch": {"at": "2026-04-23T14:00:00Z"}}
    through = {"redis": {"prometheus": 'job="redis"'}}
    with pytest.raises(ConfigError, match=r"key 'redis.prometheus': .*needs \[prometheus\] url"):
        parse_config({**base, **through}, "f.toml")
    with pytest.raises(ConfigError, match=r"key 'redis.prometheus': label matchers without"):
        parse_config(
            {**base, "redis": {"prometheus": '{job="redis"}'}, "prometheus": {"url": "http://p"}},
            "f.toml",
        )
    ok = parse_config({**base, **through, "prometheus": {"url": "http://p"}}, "f.toml")
    assert ok.redis.prometheus == 'job="redis"'
