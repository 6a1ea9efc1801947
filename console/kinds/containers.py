"""The Docker engine(s): the runbook's `docker ps` / `docker stats` (1.1, 1.2, 3.4)."""

from __future__ import annotations

from console.clock import Clock
from console.config import Config
from console.kinds.kind import CheckSpec, Kind
from console.readings import ContainersReading
from console.rules import Finding, Level, error_level, level_for, pct
from console.sources import Source


def findings(r: ContainersReading, config: Config) -> list[Finding]:
    out: list[Finding] = []
    for engine in r.engines:
        if engine.error is not None:
            # A dead engine is one row: its containers cannot be seen, which is the news.
            level = error_level(engine.error)
            out.append(
                Finding(f"engine:{engine.name}", f"engine {engine.name}", level, engine.error)
            )
    for c in r.containers:
        if c.state == "running":
            level = {"unhealthy": Level.CRIT, "starting": Level.WARN}.get(c.health or "", Level.OK)
            value = c.health or "running"
        elif c.name == config.docker.scraper and c.state == "exited":
            # A stopped scraper is a paused ingestion (rollback step 2), not an outage.
            level, value = Level.WARN, f"exited ({c.exit_code})"
        else:
            level = Level.CRIT if c.expected else Level.WARN
            value = c.state if c.exit_code is None else f"{c.state} ({c.exit_code})"
        out.append(Finding(f"container:{c.where}", c.where, level, value))
    api = next((c for c in r.containers if c.name == r.api), None)
    if api is not None and api.state == "running":
        out.append(
            Finding(
                "api_cpu",
                "API CPU",
                level_for(api.cpu_pct, config.thresholds.api_cpu),
                pct(api.cpu_pct),
            )
        )
    return out


def running(r: ContainersReading, config: Config) -> tuple[Level, str]:
    """1.1 "API containers running — confirm all 5 services healthy"."""
    expected = [c for c in r.containers if c.name in config.docker.services]
    bad = [c for c in expected if c.state != "running" or c.health == "unhealthy"]
    starting = [c for c in expected if c.state == "running" and c.health == "starting"]
    up = sum(c.state == "running" for c in expected)
    value = f"{up}/{len(config.docker.services)} running"
    if bad:
        value += "; " + ", ".join(f"{c.where} {c.health or c.state}" for c in bad)
        return Level.CRIT, value
    return (Level.WARN if starting else Level.OK), value


def api_env(r: ContainersReading, config: Config) -> tuple[Level, str]:
    """1.2 "USD_DEFAULT set in API environment", "US_REGION flag set"."""
    env = r.api_env or {}
    ok = env.get("USD_DEFAULT") == "USD" and env.get("US_REGION") == "us"
    shown = ", ".join(f"{k}={env.get(k, '(unset)')}" for k in ("USD_DEFAULT", "US_REGION"))
    return (Level.OK if ok else Level.CRIT), shown


def live(config: Config, clock: Clock, one_shot: bool) -> Source:
    # Several engines: one source reading each on its own, bounded, merged into one pane.
    if config.docker.several:
        from console.sources.docker_fleet import DockerFleetSource

        return DockerFleetSource(config, clock, follow=not one_shot)
    from console.sources.docker import DockerSource

    return DockerSource(config, clock, follow=not one_shot)


def sim(stack, clock: Clock) -> Source:
    from console.sim.sources import SimContainers

    return SimContainers(stack, clock)


KIND = Kind(
    name="containers",
    title="Containers",
    reading_type=ContainersReading,
    findings=findings,
    live=live,
    sim=sim,
    pane="containers",
    checks=(
        CheckSpec(
            "containers.running", "API containers running and healthy", "Bolt", (1, 1, 1), running
        ),
        CheckSpec(
            "api.env", "USD_DEFAULT=USD and US_REGION=us in the API", "Bolt", (1, 2, 1), api_env
        ),
    ),
    units={"api_cpu": "%"},
)
