"""Posting a status text to a Slack incoming webhook. The URL comes from an environment
variable and is never shown, logged or put in an error message."""

from __future__ import annotations

import os


class NoWebhook(Exception):
    pass


async def post(text: str, env_var: str, timeout: float = 5.0) -> str:
    import httpx  # here: 50 ms of import the console's first frame does not need

    url = os.environ.get(env_var, "")
    if not url:
        raise NoWebhook(f"no Slack webhook configured (set ${env_var})")
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            r = await client.post(url, json={"text": text})
    except httpx.HTTPError as exc:
        raise RuntimeError(f"Slack webhook unreachable: {type(exc).__name__}") from None
    if r.status_code >= 300:
        raise RuntimeError(f"Slack webhook answered HTTP {r.status_code}")
    return "posted to Slack"
