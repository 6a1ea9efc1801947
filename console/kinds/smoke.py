"""The public API's smoke checks: 1.1 /health, 1.2 the affiliate tag, 1.4 the smoke tests, 3.2
the spot checks, T+4h the US sources' last runs."""

from __future__ import annotations

from functools import partial

from console.clock import Clock
from console.config import Config
from console.kinds.kind import LATER, PRELAUNCH, CheckSpec, Kind, Row
from console.readings import SmokeReading
from console.rules import Finding, Level
from console.sources import Source


def _ok_word(ok: bool) -> str:
    return "ok" if ok else "failed"


def findings(r: SmokeReading, config: Config) -> list[Finding]:
    return [
        Finding(c.id, c.title, Level.OK if c.ok else Level.CRIT, c.detail or _ok_word(c.ok))
        for c in r.checks
    ]


def rows(r: SmokeReading, found: list[Finding]) -> list[Row]:
    f = {x.id: x.level for x in found}
    return [(c.title, c.detail or _ok_word(c.ok), f.get(c.id)) for c in r.checks]


def probe(check_id: str, r: SmokeReading, config: Config) -> tuple[Level, str]:
    """A check the smoke source ran itself: its probe's verdict."""
    found = r.get(check_id)
    if found is None:
        return Level.UNKNOWN, "not checked"
    return (Level.OK if found.ok else Level.CRIT), found.detail


def _spec(
    check_id: str, title: str, owner: str, at: tuple[int, ...], stage: str = PRELAUNCH
) -> CheckSpec:
    return CheckSpec(check_id, title, owner, at, partial(probe, check_id), stage)


def live(config: Config, clock: Clock, one_shot: bool) -> Source:
    from console.sources.http import SmokeSource

    return SmokeSource(config, clock)


def sim(stack, clock: Clock) -> Source:
    from console.sim.sources import SimSmoke

    return SimSmoke(stack, clock)


KIND = Kind(
    name="smoke",
    title="Smoke checks",
    reading_type=SmokeReading,
    findings=findings,
    live=live,
    sim=sim,
    rows=rows,
    place=2,
    checks=(
        _spec("api.health", "API /health returns 200 with catalog count", "Atlas", (1, 1, 2)),
        _spec("affiliate.tag", "Affiliate tag on /go/test-asin", "Link", (1, 2, 3)),
        _spec("smoke.search", "Product search returns results", "Atlas", (1, 4, 1)),
        _spec("smoke.product", "Product detail", "Atlas", (1, 4, 2)),
        _spec("mcp.health", "MCP endpoint", "Atlas", (1, 4, 3)),
        _spec("affiliate.redirect", "Affiliate redirect tagged", "Link", (1, 4, 4)),
        _spec("tls.expiry", "SSL cert valid, not expiring < 30 days", "Atlas", (1, 4, 5)),
        # Section 2, T+4 h: "Data ingestion running (last run < 4h for all US sources)".
        _spec(
            "sources.fresh",
            "Data ingestion: every US source ran < 4h ago",
            "Bolt",
            (2, 6, 2),
            LATER,
        ),
    ),
)
