"""A small client for Prometheus's HTTP API: instant and range queries through httpx.

Only what the console needs: `instant(query)` gives one number (the query is written to yield
one series, e.g. with `sum(...)`), `range(query, start, end, step)` its history. Prometheus's
own errors (a bad query, a timeout of its own) come back as `PromQLError` with its message;
transport errors are httpx's. The auth header's value comes from the environment and is never
shown: errors quote the URL's path, not the header.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import httpx

from console.sources.base import auth_headers
from console.sources.http import ssl_context


class PromQLError(Exception):
    """Prometheus answered, but with an error (bad query, its own timeout, ...)."""


def _number(raw: Any) -> float | None:
    # Values come as strings; NaN (e.g. a ratio of two zero rates) and ±Inf mean "no figure".
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class PromQL:
    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        verify: Any = True,
    ) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.url,
            timeout=timeout,
            headers=dict(headers or {}),
            verify=verify,
            follow_redirects=False,
        )

    async def _get(self, path: str, params: dict[str, str]) -> Any:
        answer = await self._client.get(path, params=params)
        try:
            body = answer.json()
        except ValueError:
            answer.raise_for_status()
            raise PromQLError(f"{path}: HTTP {answer.status_code}, not JSON") from None
        if body.get("status") != "success":
            kind = body.get("errorType", f"HTTP {answer.status_code}")
            raise PromQLError(f"{kind}: {body.get('error', 'no reason given')}")
        return body["data"]

    async def instant(self, query: str) -> float | None:
        """The query's one value now; None when it has no series (no traffic yet) or NaN."""
        data = await self._get("/api/v1/query", {"query": query})
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar":
            return _number(result[1])
        if kind == "vector":
            if not result:
                return None
            if len(result) > 1:
                raise PromQLError(
                    f"query gives {len(result)} series, not one (wrap it in sum(...)): {query}"
                )
            return _number(result[0]["value"][1])
        raise PromQLError(f"query gives a {kind}, not a number: {query}")

    async def range(
        self, query: str, start: float, end: float, step: float
    ) -> list[tuple[float, float | None]]:
        """The query evaluated every `step` seconds from `start` to `end` (one series)."""
        data = await self._get(
            "/api/v1/query_range",
            {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"},
        )
        result = data.get("result") or []
        if len(result) > 1:
            raise PromQLError(f"query gives {len(result)} series, not one: {query}")
        if not result:
            return []
        return [(float(t), _number(v)) for t, v in result[0]["values"]]

    async def close(self) -> None:
        await self._client.aclose()


def from_config(
    url: str, auth_header_env: str, ca_file: str, timeout: float
) -> tuple[PromQL, str | None]:
    """A client for the [prometheus] table, and the problem that keeps it from being asked: a
    named auth variable that is not set (the source gives it as its error reading, every poll,
    naming the variable, instead of asking without the header)."""
    try:
        headers = auth_headers(auth_header_env)
    except ValueError as exc:
        return PromQL(url, timeout=timeout), f"ERROR: {exc}"
    verify = ssl_context(ca_file) if url.startswith("https:") else True
    return PromQL(url, timeout=timeout, headers=headers, verify=verify), None
