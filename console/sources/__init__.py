"""The source interface: one module per system implements it; so does the simulated stack.

A source knows its client library and nothing about Textual. `read()` returns a reading, or a
reading that carries the error (see `console.readings`); the poller also guards against sources
that raise or hang, so one broken system can never stop the loop.
"""

from __future__ import annotations

from typing import Protocol

from console.readings import Reading


class Source(Protocol):
    name: str
    reading_type: type[Reading]

    async def read(self) -> Reading: ...

    async def close(self) -> None: ...
