"""A console that crashes while a source ignores cancellation and a thread is stuck in a
blocking call: run by test_crash_exits_promptly in a subprocess (it must end by itself)."""

import asyncio
import contextlib
import sys
import threading
from pathlib import Path

import console.app as app_module
from console.app import LaunchConsole
from console.readings import RedisReading
from console.sources.base import Blocking
from tests.helpers import demo_app


class Stubborn:
    """A source whose read never ends and swallows every cancellation, and whose blocking
    client is stuck in its thread for good (a hung driver)."""

    name = "redis"
    reading_type = RedisReading

    def __init__(self) -> None:
        self.blocking = Blocking("stubborn", workers=1)

    async def read(self):
        self.blocking._pool.submit(threading.Event().wait)  # never returns
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    async def close(self):
        await self.blocking.run(threading.Event().wait)


class Crashing(LaunchConsole):
    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # relative to console/

    def on_mount(self) -> None:
        super().on_mount()
        self.set_timer(1.0, self.crash)

    def crash(self) -> None:
        raise RuntimeError("boom: a bug in the console")


def main() -> int:
    app, _, _ = demo_app(state_dir=sys.argv[1])
    crashing = Crashing(
        app.config,
        [*app.poller.sources[:3], Stubborn(), *app.poller.sources[4:]],
        app.clock,
        live=True,
        end_process=True,  # as the command line makes it
    )
    crashing.run(headless=True)
    return crashing.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
