"""The engine's event stream: which containers changed between two polls.

One daemon thread follows `docker events` for container lifecycle and health changes and
notes the ids that changed; the next poll inspects just those. It also wakes the poller, so a
container that dies or turns unhealthy is shown at once instead of at the next interval. The
stream reconnects after an engine restart; while it is down the poll's own list still finds
every state change (events only add what happens between polls, like a quick restart).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

# The lifecycle events that can change what the pane shows (health_status matches its
# "health_status: healthy" forms: the engine compares that filter by prefix).
EVENTS = (
    "create",
    "start",
    "restart",
    "die",
    "stop",
    "kill",
    "oom",
    "pause",
    "unpause",
    "destroy",
    "rename",
    "health_status",
)
PROJECT_LABEL = "com.docker.compose.project"


class EngineEvents:
    def __init__(
        self,
        api: Callable[[], Any],
        project: str,
        names: set[str],
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._api = api
        self.project = project
        self.names = names
        self.on_change = on_change
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self.connected = False

    def start(self) -> None:
        if self._thread is None and not self._closed.is_set():
            self._thread = threading.Thread(target=self._run, daemon=True, name="docker-events")
            self._thread.start()

    def _ours(self, event: dict[str, Any]) -> bool:
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        return attributes.get(PROJECT_LABEL) == self.project or attributes.get("name") in (
            self.names
        )

    def _run(self) -> None:
        delay = 0.5
        while not self._closed.is_set():
            try:
                # One stream for the project and the named containers (the scraper may carry
                # no compose label); the engine's label and name filters would AND, not OR.
                self._stream = self._api().events(
                    filters={"type": "container", "event": list(EVENTS)}, decode=True
                )
                self.connected = True
                delay = 0.5
                for event in self._stream:
                    if self._closed.is_set():
                        break
                    if not self._ours(event):
                        continue
                    cid = (event.get("Actor") or {}).get("ID") or event.get("id")
                    if cid:
                        with self._lock:
                            self._changed.add(cid)
                        if self.on_change is not None:
                            self.on_change()
            except Exception:  # the engine went away or restarted: follow it again
                pass
            finally:
                self.connected = False
            self._closed.wait(delay)
            delay = min(delay * 2, 10.0)

    def take(self) -> set[str]:
        """The ids that changed since the last call."""
        with self._lock:
            changed, self._changed = self._changed, set()
        return changed

    def again(self, ids: set[str]) -> None:
        """Ids taken by a poll that failed: the next poll inspects them."""
        with self._lock:
            self._changed |= ids

    def close(self) -> None:
        self._closed.set()
        stream = self._stream
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()  # docker-py's CancellableStream: unblocks the reading thread
