"""Container stats without waiting: one streaming `docker stats` per running container.

A one-shot stats call answers in milliseconds for a fresh container but waits for the engine's
next collection (about a second) once a collector runs, so polling it made the containers pane
the slowest source. Instead each running container gets a daemon thread that follows the
engine's stats stream (one sample a second, with the previous sample included) and keeps the
latest; a poll just reads it. A stream ends by itself when its container stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

MAX_FOLLOWED = 64  # a bound on threads and engine connections, whatever the project holds
FRESH = 5.0  # seconds: an older sample is not shown


class StatsFeed:
    def __init__(self, api: Callable[[], Any]) -> None:
        self._api = api  # returns the docker APIClient (rebuilt by the source after failures)
        self._latest: dict[str, tuple[float, dict[str, Any]]] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def follow(self, container_ids: list[str]) -> None:
        with self._lock:
            for cid in container_ids:
                if (
                    cid in self._threads
                    or len(self._threads) >= MAX_FOLLOWED
                    or self._closed.is_set()
                ):
                    continue
                thread = threading.Thread(
                    target=self._follow, args=(cid,), daemon=True, name=f"stats-{cid[:12]}"
                )
                self._threads[cid] = thread
                thread.start()

    def _follow(self, cid: str) -> None:
        try:
            for sample in self._api().stats(cid, stream=True, decode=True):
                if self._closed.is_set():
                    break
                self._latest[cid] = (time.monotonic(), sample)
        except Exception:  # the container went away or the engine did: the next poll restarts it
            pass
        finally:
            with self._lock:
                self._threads.pop(cid, None)

    def latest(self, cid: str) -> dict[str, Any] | None:
        found = self._latest.get(cid)
        if found is None or time.monotonic() - found[0] > FRESH:
            return None
        return found[1]

    def close(self) -> None:
        self._closed.set()
