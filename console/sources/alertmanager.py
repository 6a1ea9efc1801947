"""Alertmanager: the launch's firing alerts beside our own, and silences during an action.

Alertmanager's `for:` is the runbook's "sustained > N min" evaluated by the fleet's own
Prometheus rules; the console does not aggregate again, it shows what Alertmanager says is
firing for the launch (the `[alertmanager] matchers`, in Alertmanager's filter syntax), not
silenced and not inhibited. `AlertmanagerClient.silence` creates a silence with the same
matchers for a planned action (the action's plan shows it and the audit log records its id).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from console.clock import Clock
from console.config import LABEL_MATCHER, Alertmanager, Config
from console.readings import AlertmanagerReading, FiringAlert
from console.sources.base import auth_headers, describe
from console.sources.http import ssl_context


def parse_time(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def silence_matchers(matchers: list[str]) -> list[dict[str, object]]:
    """`launch="us"`, `severity=~"crit.*"` as the v2 API's matcher objects."""
    out = []
    for text in matchers:
        found = LABEL_MATCHER.fullmatch(text)
        if found is None:  # the config validates them; this is a programming error
            raise ValueError(f"not a label matcher: {text!r}")
        name, op, value = found.groups()
        out.append(
            {
                "name": name,
                "value": value.replace('\\"', '"'),
                "isRegex": "~" in op,
                "isEqual": not op.startswith("!"),
            }
        )
    return out


class AlertmanagerClient:
    def __init__(self, settings: Alertmanager, timeout: float) -> None:
        self.settings = settings
        verify = ssl_context(settings.ca_file) if settings.url.startswith("https:") else True
        self._client = httpx.AsyncClient(
            base_url=settings.url.rstrip("/"),
            timeout=timeout,
            headers=auth_headers(settings.auth_header_env),
            verify=verify,
            follow_redirects=False,
        )

    async def firing(self) -> list[FiringAlert]:
        params = [("active", "true"), ("silenced", "false"), ("inhibited", "false")]
        params += [("filter", m) for m in self.settings.matchers]
        answer = await self._client.get("/api/v2/alerts", params=params)
        answer.raise_for_status()
        out = []
        for raw in answer.json():
            labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
            notes = raw.get("annotations") or {}
            out.append(
                FiringAlert(
                    fingerprint=str(raw.get("fingerprint", "")),
                    name=labels.get("alertname", "alert"),
                    severity=labels.get("severity", ""),
                    summary=str(notes.get("summary") or notes.get("description") or ""),
                    starts_at=parse_time(raw.get("startsAt")),
                    labels=labels,
                )
            )
        out.sort(key=lambda a: (a.starts_at or 0.0, a.name))
        return out

    async def silence(self, comment: str, created_by: str, now: float | None = None) -> str:
        """A silence of the launch's alerts for `[alertmanager] silence.duration`; its id."""
        if not self.settings.matchers:
            raise ValueError("[alertmanager] matchers is empty: a silence would match nothing")
        start = time.time() if now is None else now
        body = {
            "matchers": silence_matchers(self.settings.matchers),
            "startsAt": iso(start),
            "endsAt": iso(start + self.settings.silence.duration),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = await self._client.post("/api/v2/silences", json=body)
        answer.raise_for_status()
        return str(answer.json()["silenceID"])

    async def state(self, silence_id: str) -> str:
        """active, pending or expired."""
        answer = await self._client.get(f"/api/v2/silence/{silence_id}")
        answer.raise_for_status()
        return str(answer.json()["status"]["state"])

    async def expire(self, silence_id: str) -> None:
        answer = await self._client.delete(f"/api/v2/silence/{silence_id}")
        answer.raise_for_status()

    async def close(self) -> None:
        await self._client.aclose()


class AlertmanagerSource:
    name = "alertmanager"
    reading_type = AlertmanagerReading

    def __init__(self, config: Config, clock: Clock) -> None:
        self.clock = clock
        self._problem: str | None = None
        try:
            self.client: AlertmanagerClient | None = AlertmanagerClient(
                config.alertmanager, config.poll.alertmanager.timeout
            )
        except Exception as exc:  # the auth header's variable is not set, a bad ca_file
            self.client, self._problem = None, f"ERROR: {exc}"

    async def read(self) -> AlertmanagerReading:
        now = self.clock.now()
        if self.client is None:
            return AlertmanagerReading.failed(self.name, now, self._problem or "ERROR")
        try:
            alerts = await self.client.firing()
        except Exception as exc:
            return AlertmanagerReading.failed(self.name, now, describe(exc))
        return AlertmanagerReading(source=self.name, at=now, alerts=tuple(alerts))

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
