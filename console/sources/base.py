"""What every real source shares: a bounded thread pool for blocking clients, error wording."""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Blocking:
    """Runs a blocking client's calls in a small pool of its own.

    `asyncio.wait_for` around a thread stops the waiting, not the thread: a hung client keeps
    its thread. A per-source pool bounds how many such threads one dead system can hold, and
    keeps a hung Docker engine from starving the default executor every other part uses.
    """

    def __init__(self, name: str, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"src-{name}")

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        return await loop.run_in_executor(self._pool, lambda: ctx.run(fn, *args))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def describe(exc: BaseException) -> str:
    """An error reading's text: DOWN for a refused or unreachable system, ERROR otherwise."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if len(text) > 160:
        text = text[:157] + "..."
    lowered = text.lower()
    refused = isinstance(exc, ConnectionRefusedError | ConnectionResetError | FileNotFoundError)
    # Client libraries wrap the OS error in their own ConnectionError (redis, httpx).
    refused = refused or type(exc).__name__ in ("ConnectionError", "ConnectError")
    if refused or any(w in lowered for w in ("refused", "no such file", "closed by server")):
        return f"DOWN: {text}"
    if isinstance(exc, TimeoutError):
        return f"TIMEOUT: {text}"
    return f"ERROR: {text}"


def auth_headers(env_name: str) -> dict[str, str]:
    """The Authorization header whose value the environment variable `env_name` holds (for a
    Prometheus or Alertmanager behind a proxy); none when no variable is named."""
    if not env_name:
        return {}
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise ValueError(f"environment variable {env_name} (auth_header_env) is not set")
    return {"Authorization": value}
