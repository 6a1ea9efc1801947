"""The public API's smoke checks (runbook 1.1, 1.2, 1.3, 1.4, 3.2, T+4h), run concurrently.

Redirects are followed only while they stay on the API's own host: the affiliate check reads
the Location that leaves for amazon.com and verifies its tag without fetching Amazon.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from console.clock import Clock
from console.config import Config
from console.readings import SmokeCheck, SmokeReading
from console.sources.base import describe

FRESH_SOURCES = 4 * 3600  # T+4h: every US source ran less than 4 h ago
CERT_MIN_DAYS = 30


def ssl_context(ca_file: str) -> ssl.SSLContext:
    # The system store (or SSL_CERT_FILE, which create_default_context honours), plus ca_file.
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(ca_file)
    return ctx


class SmokeSource:
    name = "smoke"
    reading_type = SmokeReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.base = config.api.base_url.rstrip("/")
        self.host = urlsplit(self.base).hostname or ""
        self.ctx = ssl_context(config.api.ca_file)
        timeout = config.poll.smoke.timeout
        self.client = httpx.AsyncClient(
            base_url=self.base,
            verify=self.ctx,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )

    async def _get(self, path: str) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        response = await self.client.get(path)
        return response, (time.perf_counter() - started) * 1000

    async def _check(self, check_id: str, title: str, probe) -> SmokeCheck:
        try:
            ok, detail, ms = await probe()
        except Exception as exc:
            return SmokeCheck(id=check_id, title=title, ok=False, detail=describe(exc))
        return SmokeCheck(id=check_id, title=title, ok=ok, detail=detail, latency_ms=ms)

    async def health(self):
        r, ms = await self._get("/health")
        if r.status_code != 200:
            return False, f"HTTP {r.status_code}", ms
        body = r.json()
        total = (body.get("catalog") or {}).get("total_products")
        ok = body.get("status") == "ok"
        return (
            ok,
            f"{body.get('status')} · {total:,} products"
            if isinstance(total, int)
            else str(body.get("status")),
            ms,
        )

    async def mcp(self):
        r, ms = await self._get("/mcp/health")
        ok = r.status_code == 200 and r.json().get("status") == "ok"
        return ok, f"HTTP {r.status_code}" + (" ok" if ok else ""), ms

    async def search(self):
        r, ms = await self._get("/api/search?q=iphone&currency=USD&limit=5")
        if r.status_code != 200:
            return False, f"HTTP {r.status_code}", ms
        total = r.json().get("total")
        return isinstance(total, int) and total > 0, f"total {total}", ms

    async def product(self):
        r, ms = await self._get("/api/search?q=laptop&limit=1")
        products = r.json().get("products") if r.status_code == 200 else None
        if not products:
            return False, f"no product to open (HTTP {r.status_code})", ms
        detail, ms2 = await self._get(f"/api/products/{products[0]['id']}")
        name = detail.json().get("name") if detail.status_code == 200 else None
        return bool(name), name or f"HTTP {detail.status_code}", ms + ms2

    async def _follow(self, path: str, hops: int = 5) -> tuple[str, float]:
        """The URL a redirect chain ends on, following only hops on the API's own host."""
        url, total = path, 0.0
        for _ in range(hops):
            r, ms = await self._get(url)
            total += ms
            location = r.headers.get("location")
            if not r.is_redirect or not location:
                return str(r.url), total
            target = urljoin(str(r.url), location)
            if urlsplit(target).hostname != self.host:
                return target, total
            url = target
        return url, total

    async def redirect(self):
        sku, tag = self.config.api.affiliate_sku, self.config.api.affiliate_tag
        final, ms = await self._follow(f"/go/{sku}")
        host = urlsplit(final).hostname or ""
        ok = (host == "amazon.com" or host.endswith(".amazon.com")) and f"tag={tag}" in final
        return ok, (f"{host} tag={tag}" if ok else f"ends on {final[:80]}"), ms

    async def tag(self):
        r, ms = await self._get("/go/test-asin")
        text = r.headers.get("location", "") + (r.text if not r.is_redirect else "")
        ok = self.config.api.affiliate_tag in text
        return ok, ("tagged" if ok else "tag missing"), ms

    async def sources(self):
        r, ms = await self._get("/api/sources?region=us")
        if r.status_code != 200:
            return False, f"HTTP {r.status_code}", ms
        now = self.clock.now()
        stale = []
        for source in r.json():
            last = source.get("last_run")
            at = datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp() if last else None
            if at is None or now - at >= FRESH_SOURCES:
                stale.append(source.get("name", "?"))
        return not stale, ("all ran < 4h ago" if not stale else "stale: " + ", ".join(stale)), ms

    async def tls(self):
        split = urlsplit(self.base)
        if split.scheme != "https":
            return False, "not HTTPS", None
        started = time.perf_counter()
        _, writer = await asyncio.open_connection(
            split.hostname, split.port or 443, ssl=self.ctx, server_hostname=split.hostname
        )
        try:
            cert = writer.get_extra_info("peercert")
        finally:
            writer.close()
        expires = ssl.cert_time_to_seconds(cert["notAfter"])
        days = (expires - datetime.now(UTC).timestamp()) / 86400
        ms = (time.perf_counter() - started) * 1000
        return days >= CERT_MIN_DAYS, f"{days:.0f} days left", ms

    async def read(self) -> SmokeReading:
        now = self.clock.now()
        checks = await asyncio.gather(
            self._check("api.health", "/health", self.health),
            self._check("mcp.health", "/mcp/health", self.mcp),
            self._check("smoke.search", "search", self.search),
            self._check("smoke.product", "product", self.product),
            self._check("affiliate.redirect", "affiliate /go/", self.redirect),
            self._check("affiliate.tag", "/go/test-asin", self.tag),
            self._check("sources.fresh", "US sources", self.sources),
            self._check("tls.expiry", "TLS cert", self.tls),
        )
        return SmokeReading(source=self.name, at=now, checks=tuple(checks))

    async def close(self) -> None:
        await self.client.aclose()
