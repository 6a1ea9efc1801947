"""The console's configuration: TOML files validated by pydantic, with ${ENV_VAR} secrets.

Every key but `[launch] at` defaults to the runbook's value, so a config that only names the
launch instant works. Unknown keys are errors. `load_config` raises `ConfigError` whose message
names the file, the key and what was expected; it never lets a traceback reach the user.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from console.durations import parse_duration
from console.errors import ConfigError

__all__ = ["Config", "ConfigError", "env_vars", "load_config", "parse_config"]


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- [launch] ---------------------------------------------------------------------------------


class Launch(Model):
    at: datetime
    # The zone the clock shows beside UTC. The runbook writes "09:00 EST (14:00 UTC)", but New
    # York is on EDT (UTC-4) in April: at 14:00 UTC its wall clocks read 10:00 EDT.
    zone: str = "America/New_York"
    name: str = "BuyWhere US launch"

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a zone: write it as an ISO instant like 2026-04-23T14:00:00Z")
        return value.astimezone(UTC)

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like America/New_York)"
            ) from None
        return value

    @property
    def epoch(self) -> float:
        return self.at.timestamp()


# --- the systems ------------------------------------------------------------------------------


class EngineRef(Model):
    """One Docker engine of several: a short name (the pane groups by it, actions name it) and
    its address (unix://, tcp:// with TLS from $DOCKER_CERT_PATH-style files, ssh://)."""

    name: str
    url: str

    @field_validator("name")
    @classmethod
    def _short(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", value):
            raise ValueError("1-32 letters, digits, '.', '_' or '-' (it names the host on screen)")
        return value

    @field_validator("url")
    @classmethod
    def _address(cls, value: str) -> str:
        if not re.match(r"(unix|tcp|ssh|http|https)://.", value):
            raise ValueError("an engine address: unix:///path, tcp://host:2376 or ssh://user@host")
        return value


class Docker(Model):
    # Empty: DOCKER_HOST or the local socket, as the docker CLI does.
    url: str = ""
    # Several engines (the stack spread over hosts): each is polled on its own, bounded by the
    # containers poll; the pane groups by engine and a dead one is one DOWN row. Empty: `url`.
    engines: list[EngineRef] = Field(default_factory=list)
    compose_project: str = "api"
    services: list[str] = Field(
        default_factory=lambda: [
            "api-api-1",
            "api-mcp-1",
            "buywhere-api-db-1",
            "api-pgbouncer-1",
            "api-redis-1",
        ]
    )
    api: str = "api-api-1"
    scraper: str = "scraper-worker-fixed"
    timeout: Duration = 5.0

    @model_validator(mode="after")
    def _one_way(self) -> Docker:
        if self.engines and self.url:
            raise ValueError("give either url (one engine) or engines (several), not both")
        names = [e.name for e in self.engines]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"engine names must be unique, repeated: {', '.join(dupes)}")
        return self

    @property
    def several(self) -> bool:
        return bool(self.engines)


class PgBouncer(Model):
    admin_dsn: SecretStr = SecretStr("postgresql://pgbouncer@127.0.0.1:6432/pgbouncer")


class Postgres(Model):
    dsn: SecretStr = SecretStr("postgresql://buywhere@127.0.0.1:5432/catalog")
    expected_migration: str = "036_add_bulk_ingestion_jobs"
    min_products: int = 1_300_000


def _label_matchers(value: str) -> str:
    """Prometheus label matchers as they go inside a selector's braces: job="redis"."""
    if value and ("{" in value or "}" in value):
        raise ValueError('label matchers without braces, e.g. job="redis"')
    return value


class Redis(Model):
    url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    # Read Redis through Prometheus instead of connecting to it: the redis_exporter's series
    # matching these label matchers (e.g. job="redis"), for an operator without direct access
    # (needs [prometheus] url). Empty: connect to `url`.
    prometheus: str = ""

    @field_validator("prometheus")
    @classmethod
    def _matchers(cls, value: str) -> str:
        return _label_matchers(value)


class Api(Model):
    base_url: str = "https://api.buywhere.ai"
    ca_file: str = ""
    affiliate_sku: str = "B09G9HDHJT"
    affiliate_tag: str = "buywhere-20"


# Matches uvicorn's access log ('"GET /api/search?q=x HTTP/1.1" 200') and nginx's combined
# format with $request_time at the end ('... "GET / HTTP/1.1" 200 512 "-" "curl" 0.123').
DEFAULT_LOG_PATTERN = (
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})'
    r"(?:.*\s(?P<duration>\d+\.\d+))?\s*$"
)


class Traffic(Model):
    # One regex with named groups: status (required), path, duration (seconds).
    log_pattern: str = DEFAULT_LOG_PATTERN
    # The rolling window the 5xx rate, requests/s and P50/P99 are computed over.
    window: Duration = 60.0

    @field_validator("log_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if "status" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<status>...)")
        return value


# Section 3's figures from Prometheus instead of one container's access log: with several API
# replicas the log of one is not the truth; Prometheus sums every replica it scrapes. The
# queries are templates: $selector (the API's series) and $window (the rate window) are filled
# in; each must give one series (wrap it in sum(...)).
DEFAULT_PROMQL = {
    "requests_per_s": "sum(rate(http_requests_total{$selector}[$window]))",
    "error_rate_5xx": (
        '100 * sum(rate(http_requests_total{$selector,status=~"5.*"}[$window]))'
        " / sum(rate(http_requests_total{$selector}[$window]))"
    ),
    "p50_latency": (
        "histogram_quantile(0.5, sum by (le) "
        "(rate(http_request_duration_seconds_bucket{$selector}[$window])))"
    ),
    "p99_latency": (
        "histogram_quantile(0.99, sum by (le) "
        "(rate(http_request_duration_seconds_bucket{$selector}[$window])))"
    ),
    "searches_per_min": (
        '60 * sum(rate(http_requests_total{$selector,handler=~"/api/search.*"}[$window]))'
    ),
}


class PrometheusQueries(Model):
    requests_per_s: str = DEFAULT_PROMQL["requests_per_s"]
    error_rate_5xx: str = DEFAULT_PROMQL["error_rate_5xx"]  # percent
    p50_latency: str = DEFAULT_PROMQL["p50_latency"]  # seconds
    p99_latency: str = DEFAULT_PROMQL["p99_latency"]  # seconds
    searches_per_min: str = DEFAULT_PROMQL["searches_per_min"]


class Prometheus(Model):
    # Empty: traffic from the API container's access log ([traffic]).
    url: str = ""
    # The NAME of an environment variable holding the Authorization header's value
    # ("Bearer ..."), for a Prometheus behind a proxy; never shown.
    auth_header_env: str = ""
    ca_file: str = ""
    selector: str = 'job="api"'
    window: Duration = 60.0
    queries: PrometheusQueries = PrometheusQueries()

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str) -> str:
        if not value.strip() or "{" in value or "}" in value:
            raise ValueError('label matchers without braces, e.g. job="api"')
        return value

    def query(self, name: str) -> str:
        """A query with $selector and $window filled in."""
        from string import Template

        window = f"{self.window:g}s"
        return Template(getattr(self.queries, name)).safe_substitute(
            selector=self.selector, window=window
        )


# One Alertmanager label matcher: name, operator, quoted value.
LABEL_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


class AlertmanagerSilence(Model):
    # During a planned action, offer a silence of the launch's alerts for this long.
    duration: Duration = 1800.0
    created_by: str = "launch-console"


class Alertmanager(Model):
    # Empty: no Alertmanager. Its firing alerts that match `matchers` join the alert list.
    url: str = ""
    auth_header_env: str = ""
    ca_file: str = ""
    # Label matchers in Alertmanager's filter syntax, e.g. ['launch="us"', 'severity=~"crit.*"'].
    matchers: list[str] = Field(default_factory=list)
    silence: AlertmanagerSilence = AlertmanagerSilence()

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        for matcher in value:
            if LABEL_MATCHER.fullmatch(matcher) is None:
                raise ValueError(
                    f'not a label matcher: {matcher!r} (write name="value", name!="value", '
                    'name=~"regex" or name!~"regex")'
                )
        return value


class Host(Model):
    disk_path: str = "/"
    workspace: str = "/home/paperclip/.rex/workspace"
    backups: str = "/home/paperclip/.rex/workspace/backups"


# --- remediation (runbook Section 4) ---------------------------------------------------------


def _default_state_dir() -> str:
    # $XDG_STATE_HOME/launch-console, else ~/.local/state/launch-console (platformdirs).
    return platformdirs.user_state_dir("launch-console", appauthor=False)


SHARED_STATE_DIR = "/var/lib/launch-console"


def _default_runbook_state() -> str:
    """The operators' shared directory when an administrator made it (`install -d -m 2770 -g
    OPS /var/lib/launch-console`: every operator's console then shares one runbook state),
    else the user's own state directory."""
    base = SHARED_STATE_DIR if os.path.isdir(SHARED_STATE_DIR) else _default_state_dir()
    return os.path.join(base, "launchday.sqlite")


class Actions(Model):
    # Rollback step 1: "signal" sends SIGHUP to the API container (graceful reload with the US
    # flag off); "compose" runs compose_command, an argument list (never a shell string).
    pause_traffic: Literal["signal", "compose"] = "signal"
    # Compose v2 (`docker compose`); the standalone `docker-compose` v1 is retired.
    compose_command: list[str] = Field(
        default_factory=lambda: [
            "docker",
            "compose",
            "-f",
            "/home/paperclip/.rex/workspace/api/docker-compose.yml",
            "up",
            "-d",
            "api",
        ]
    )
    # How long to wait for the API's /health after a restart, and for a container to stop.
    health_wait: Duration = 60.0
    stop_timeout: Duration = 10.0
    # One action at a time per host, across consoles. Empty: /run/launch-console/actions.lock
    # when that directory exists (give it to the operators' group to share one lock between
    # users) or we are root, else the user's runtime dir (console.lock.default_path). Never a
    # world-writable directory: a local user could plant a link there or hold the lock.
    lock_path: str = ""
    # Section 4.5: the console does not restore by itself; it shows this for a person to run.
    restore_command: str = (
        "Bolt restores per /home/paperclip/buywhere-api/docs/backup_restore_runbook.md"
    )


class CleanupRule(Model):
    # A directory relative to [host] workspace, a file-name glob, and a minimum age.
    under: str = "."
    glob: str
    older_than: Duration


class Cleanup(Model):
    # Section 4.4: scraper *.json older than 7 days, workspace *.jsonl older than 3 days.
    rules: list[CleanupRule] = Field(
        default_factory=lambda: [
            CleanupRule(under="scraper", glob="*.json", older_than=7 * 86400),
            CleanupRule(under=".", glob="*.jsonl", older_than=3 * 86400),
        ]
    )
    docker_prune: bool = True


class Audit(Model):
    path: str = Field(default_factory=lambda: os.path.join(_default_state_dir(), "audit.jsonl"))


# --- thresholds -------------------------------------------------------------------------------


class Band(Model):
    """A metric's warning and critical limits; a value strictly above a limit reaches it."""

    warn: float
    crit: float

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.crit < self.warn:
            raise ValueError(f"crit ({self.crit}) must not be below warn ({self.warn})")
        return self


class Thresholds(Model):
    # Section 3.4 "Alert thresholds", percentages as percent, latencies in seconds.
    api_cpu: Band = Band(warn=60, crit=85)
    pool_usage: Band = Band(warn=70, crit=90)
    redis_memory: Band = Band(warn=70, crit=85)
    disk: Band = Band(warn=80, crit=90)
    error_rate_5xx: Band = Band(warn=0.5, crit=1.0)
    p99_latency: Band = Band(warn=1.0, crit=2.0)
    # Section 1.1 "Swap < 70% used"; T+15 "API P50 latency < 200ms".
    swap: Band = Band(warn=70, crit=90)
    p50_latency: Band = Band(warn=0.2, crit=1.0)
    # Section 1.1 / 4.4: "If disk > 85% ... trigger emergency cleanup".
    disk_cleanup_at: float = 85.0
    # Clients waiting for a server connection: any wait is a warning, a queue is critical.
    pool_waiting: Band = Band(warn=0, crit=10)
    # The longest a client has waited for a server connection (seconds): a second is felt.
    pool_maxwait: Band = Band(warn=1.0, crit=5.0)


Percent = Annotated[float, Field(ge=0, le=100)]
Positive = Annotated[float, Field(gt=0)]


class Prelaunch(Model):
    """Section 1's own limits for the T-2h checklist (`check`), which are not Section 3.4's
    bands: "Disk usage < 85%", "PgBouncer pool usage < 70%", "Swap < 70% used", "Backup
    completed within last 24h". An item is green only below its limit."""

    pool_usage: Percent = 70.0
    disk: Percent = 85.0
    swap: Percent = 70.0
    backup_max_age: Duration = 24 * 3600.0


class MilestoneTargets(Model):
    """Section 2's checks at the milestones: T+15m "API P50 latency < 200ms", "Error rate (5xx)
    < 0.5%"; T+1h "DB connections still < 70% pool usage", "Redis memory < 70%", "Disk still
    < 85%", "Error rate still < 0.5%". A condition holds only strictly below its target."""

    p50_latency: Positive = 0.2
    error_rate_5xx: Positive = 0.5
    pool_usage: Percent = 70.0
    redis_memory: Percent = 70.0
    disk: Percent = 85.0


class FirstHourTargets(Model):
    """Section 6's success criteria for the first hour, and its failed-launch line."""

    searches: Annotated[int, Field(ge=0)] = 1000  # "Product searches ≥ 1,000"
    error_rate_5xx: Positive = 1.0  # "Error rate (5xx) < 1%"
    uptime: Annotated[float, Field(gt=0, le=100)] = 100.0  # "API uptime 100%"
    p99_latency: Positive = 2.0  # "API P99 latency < 2s"
    users: Annotated[int, Field(ge=0)] = 100  # "Unique users ≥ 100"
    ph_votes: Annotated[int, Field(ge=0)] = 50  # "Product Hunt upvotes ≥ 50"
    # "Definition of a failed launch: ... < 10 users in first hour (traffic routing issue)".
    failed_below_users: Annotated[int, Field(ge=0)] = 10

    @model_validator(mode="after")
    def _failure_below_success(self) -> FirstHourTargets:
        if self.failed_below_users > self.users:
            raise ValueError(
                f"failed_below_users ({self.failed_below_users}) must not be above users "
                f"({self.users})"
            )
        return self


class Trigger(Model):
    above: float
    sustained: Duration


class RollbackTriggers(Model):
    # Section 4.1: "Error rate > 5% sustained > 10 minutes", "P99 latency > 5s sustained > 15
    # minutes", "DB pool exhaustion (> 90%) with no quick fix" (we read "no quick fix" as 5 min).
    error_rate_5xx: Trigger = Trigger(above=5.0, sustained=600)
    p99_latency: Trigger = Trigger(above=5.0, sustained=900)
    pool_usage: Trigger = Trigger(above=90.0, sustained=300)


# --- the runbook's people and plan ------------------------------------------------------------


class Milestone(Model):
    id: str
    at: Duration  # offset from launch, e.g. "-15m" or "+1h"
    title: str
    owner: str = ""


class Role(Model):
    role: str
    agent: str
    responsibility: str = ""


DEFAULT_MILESTONES = [
    Milestone(id="t-2h", at=-7200, title="Pre-launch checklist", owner="Bolt"),
    Milestone(id="t-15m", at=-900, title="Final go/no-go", owner="Rex"),
    Milestone(id="t-0", at=0, title="Launch", owner="Rex"),
    Milestone(id="t+15m", at=900, title="Initial health check", owner="Atlas"),
    Milestone(id="t+30m", at=1800, title="Affiliate tracking verification", owner="Link"),
    Milestone(id="t+1h", at=3600, title="Stability check", owner="Bolt"),
    Milestone(id="t+4h", at=14400, title="Business hours check-in", owner="Rex"),
]


class ChecklistItem(Model):
    """A pre-launch item a person ticks (the automatic ones are the `check` ids)."""

    id: str
    title: str
    owner: str = ""


DEFAULT_MANUAL_CHECKLIST = [
    ChecklistItem(id="sentry.dsn", title="Sentry DSN set and active (1.2)", owner="Sol"),
    ChecklistItem(
        id="sentry.errors", title="Sentry < 5 new errors in last hour (1.5)", owner="Sol"
    ),
    ChecklistItem(id="ga4.panel", title="GA4 real-time panel loading (1.5)", owner="Sol"),
    ChecklistItem(
        id="uptime.armed", title="Uptime monitor armed, cadence <= 1m (1.5)", owner="Bolt"
    ),
    ChecklistItem(
        id="pagerduty", title="On-call confirmed in PagerDuty 07:00-18:00 (1.5)", owner="Rex"
    ),
    ChecklistItem(id="slack.t-2h", title="T-2h post in #us-launch-ops (1.5)", owner="Rex"),
    ChecklistItem(id="comms.email", title="Countdown email staged for 08:45 (1.6)", owner="Lyra"),
    ChecklistItem(id="comms.ph", title="Product Hunt submission scheduled (1.6)", owner="Lyra"),
    ChecklistItem(id="comms.social", title="Social posts queued for 09:00 (1.6)", owner="Lyra"),
]


class Launchday(Model):
    # Section 2: the owners who call Go / Hold at T-15 (Rex calls the overall GO / HOLD).
    go_owners: list[str] = Field(default_factory=lambda: ["Bolt", "Sol", "Link", "Atlas", "Lyra"])
    checklist: list[ChecklistItem] = Field(default_factory=lambda: list(DEFAULT_MANUAL_CHECKLIST))
    # "If any P0 condition is unresolved, launch is delayed 30 min."
    hold_delay: Duration = 1800.0
    # Ticks, Go/Hold, incidents and milestone results: one SQLite file every console on the
    # host shares (console/runbook_store.py); a `.json` path (older configs) means the
    # `.sqlite` beside it, and the JSON file is migrated into it.
    state_path: str = Field(default_factory=lambda: _default_runbook_state())
    # Slack incoming webhook: the NAME of the environment variable holding its URL (never shown).
    slack_webhook_env: str = "LAUNCH_SLACK_WEBHOOK"
    # While an incident is open, remind to post a status update this often (5.4: every 30 min).
    status_every: Duration = 1800.0


# --- the loop ---------------------------------------------------------------------------------


class SourcePoll(Model):
    interval: Duration
    timeout: Duration

    @model_validator(mode="after")
    def _positive(self) -> SourcePoll:
        if self.interval <= 0 or self.timeout <= 0:
            raise ValueError("interval and timeout must be above zero")
        return self


DEFAULT_CADENCE = SourcePoll(interval=5, timeout=4)


class Poll(Model):
    containers: SourcePoll = SourcePoll(interval=2, timeout=5)
    pgbouncer: SourcePoll = SourcePoll(interval=2, timeout=3)
    postgres: SourcePoll = SourcePoll(interval=5, timeout=4)
    redis: SourcePoll = SourcePoll(interval=2, timeout=2)
    host: SourcePoll = SourcePoll(interval=5, timeout=3)
    traffic: SourcePoll = SourcePoll(interval=2, timeout=4)
    alertmanager: SourcePoll = SourcePoll(interval=10, timeout=4)
    smoke: SourcePoll = SourcePoll(interval=15, timeout=8)
    # How much history the store keeps per metric (charts show up to an hour).
    history: Duration = 4500
    # Failing sources back off up to this long between tries.
    max_backoff: Duration = 30

    def for_source(self, name: str) -> SourcePoll:
        # A source kind without a [poll] entry of its own polls at the default cadence.
        return getattr(self, name, DEFAULT_CADENCE)


class Config(Model):
    launch: Launch
    docker: Docker = Docker()
    pgbouncer: PgBouncer = PgBouncer()
    postgres: Postgres = Postgres()
    redis: Redis = Redis()
    api: Api = Api()
    host: Host = Host()
    traffic: Traffic = Traffic()
    prometheus: Prometheus = Prometheus()
    alertmanager: Alertmanager = Alertmanager()
    thresholds: Thresholds = Thresholds()
    prelaunch: Prelaunch = Prelaunch()
    milestone_targets: MilestoneTargets = MilestoneTargets()
    first_hour: FirstHourTargets = FirstHourTargets()
    rollback_triggers: RollbackTriggers = RollbackTriggers()
    milestones: list[Milestone] = Field(default_factory=lambda: list(DEFAULT_MILESTONES))
    roles: list[Role] = Field(default_factory=list)
    poll: Poll = Poll()
    actions: Actions = Actions()
    cleanup: Cleanup = Cleanup()
    audit: Audit = Audit()
    launchday: Launchday = Launchday()

    # Where the file came from, for messages; not a key.
    source_path: str = Field(default="", exclude=True)

    @field_validator("milestones")
    @classmethod
    def _sorted_unique(cls, value: list[Milestone]) -> list[Milestone]:
        ids = [m.id for m in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"milestone ids must be unique, repeated: {', '.join(dupes)}")
        return sorted(value, key=lambda m: m.at)


# --- loading ----------------------------------------------------------------------------------

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Keys whose values are secrets: never echoed back in an error.
_SECRET_KEYS = {"admin_dsn", "dsn", "url", "webhook_url"}


def _interpolate(node: Any, path: str, env: Mapping[str, str], missing: dict[str, str]) -> Any:
    """Replace ${VAR} in every string with its value in `env`; note the unset ones in `missing`
    (name -> the first key asking for it), so that one error can name them all."""
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else k, env, missing) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_interpolate(v, f"{path}[{i}]", env, missing) for i, v in enumerate(node)]
    if isinstance(node, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                missing.setdefault(name, path)
                return ""
            return env[name]

        return _ENV.sub(sub, node)
    return node


def env_vars(raw: dict[str, Any]) -> dict[str, str]:
    """The environment variables a config table asks for (name -> the first key asking)."""
    wanted: dict[str, str] = {}
    _interpolate(raw, "", {}, wanted)
    return wanted


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: dict[str, Any]) -> str:
    loc = error["loc"]
    key = _key(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind == "missing":
        return f"missing key '{key}'"
    message = error["msg"].removeprefix("Value error, ")
    leaf = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if leaf in _SECRET_KEYS or "input" not in error:
        return f"key '{key}': {message}"
    shown = repr(error["input"])
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"key '{key}': {message} (got {shown})"


def parse_config(raw: dict[str, Any], file: str) -> Config:
    """Validate an already-read TOML table; `file` names it in errors."""
    missing: dict[str, str] = {}
    data = _interpolate(raw, "", os.environ, missing)
    if missing:
        if len(missing) == 1:
            ((name, key),) = missing.items()
            raise ConfigError(
                f"{file}: key '{key}': environment variable {name} is not set "
                f"(the file asks for ${{{name}}})"
            )
        named = ", ".join(f"{name} (for '{key}')" for name, key in missing.items())
        raise ConfigError(f"{file}: {len(missing)} environment variables are not set: {named}")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        lines = [f"{file}: {_describe(e)}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    if config.redis.prometheus and not config.prometheus.url:
        # Across tables, so not a model validator (whose error would quote the whole file).
        raise ConfigError(
            f"{file}: key 'redis.prometheus': reading Redis through Prometheus needs "
            "[prometheus] url (the server to ask)"
        )
    return config.model_copy(update={"source_path": file})


def load_config(path: str | os.PathLike[str]) -> Config:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: is a directory, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(raw, file)
