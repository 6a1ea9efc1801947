"""The console on a recording: the same panes, charts, alerts, banner and runbook screen,
re-derived by the same judge from the recorded inputs at the replay clock's instant.

Play / pause, seek by a minute or ten, to the next or previous alert onset and to the
runbook's milestones. Nothing polls and nothing acts: every action key and every runbook edit
is refused with the reason, and the runbook state is the recording's.
"""

from __future__ import annotations

import bisect
import copy
import math
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from console.actions.runs import RunView, view_from_lines
from console.app import LaunchConsole
from console.launchday import LaunchState
from console.readings import ContainersReading
from console.recording.reader import Recording, Session
from console.replay import Replayer
from console.terminal import Terminal
from console.text import clean
from console.timeline import wall
from widgets.containers import ContainersPane, container_rows
from widgets.progress import ProgressScreen
from widgets.replaybar import ReplayBar, ReplayPosition

MAX_SPEED = 3600.0


class ContainersMemory:
    """The containers pane's hysteresis as the live redraws left it, at any instant.

    A fresh hysteresis (as the live pane began) is fed the reading each live redraw showed
    (the recording's `shown` events), from the session's start; a copy every five minutes of
    the day lets a later seek start from there instead.
    """

    EVERY = 300.0

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self._checkpoints: dict[int, list[_Checkpoint]] = {}

    def at(self, session: Session, t: float) -> tuple[dict[str, float | None], ...]:
        cps = self._checkpoints.setdefault(session.id, [])
        i = bisect.bisect_right([c.t for c in cps], t) - 1
        if i >= 0:
            cp = copy.deepcopy(cps[i])
        else:
            fresh = ContainersPane("")  # never mounted: only its hysteresis, fresh
            cp = _Checkpoint(-math.inf, -1, fresh.cpu, fresh.mem, {}, {}, None)
        since = None if cp.t == -math.inf else cp.t
        stream = self.recording.stream(session, "containers", since)
        for e in self.recording.events(
            "shown", key="containers", since=since, until=t, session=session.id
        ):
            if e.id <= cp.event:
                continue
            at, redraws = e.data
            reading = cp.reading
            if at is not None and (reading is None or abs(reading.at - at) > 1e-3):
                reading = next((x.reading for x in stream if x.reading.at >= at - 1e-3), None)
            if not isinstance(reading, ContainersReading):
                continue
            names = [c.name for c in reading.containers]
            for _ in range(redraws):
                rows = container_rows(reading, [], e.t, None, cp.cpu, cp.mem)
                cp.cpu.keep(names)
                cp.mem.keep(names)
            cp.cpu_shown = {row.name: _value(row.cpu_value) for row in rows}
            cp.mem_shown = {row.name: _value(row.mem_value) for row in rows}
            cp.reading, cp.event = reading, e.id
            if e.t - (cps[-1].t if cps else -math.inf) >= self.EVERY:
                cp.t = e.t
                cps.append(copy.deepcopy(cp))
        return cp.cpu_shown, cp.mem_shown


@dataclass
class _Checkpoint:
    t: float
    event: int  # the last shown event fed
    cpu: Any
    mem: Any
    cpu_shown: dict[str, float | None]
    mem_shown: dict[str, float | None]
    reading: Any


class Shown:
    """Stands in for a pane's hysteresis in replay: returns what the live pane showed."""

    def __init__(self, values: dict[str, float | None]) -> None:
        self.values = values

    def __call__(self, key: str, value: float | None) -> float | None:
        return None if value is None else self.values.get(key, value)

    def keep(self, keys: object) -> None:
        return None


def _value(v: float) -> float | None:
    return None if v < 0 else v


def alert_onsets(replayer: Replayer) -> list[float]:
    """When each alert began firing (a level change of a firing alert is not an onset)."""
    firing: set[str] = set()
    onsets = set()
    for e in replayer.recording.events("alert"):
        if e.data.get("on") and e.key not in firing:
            onsets.add(e.t)
            firing.add(e.key)
        elif not e.data.get("on"):
            firing.discard(e.key)
    return sorted(onsets)


class ReplayConsole(LaunchConsole):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the replay keys work on every screen (the runbook's too).
        Binding("space", "play_pause", "Play/pause", priority=True),
        Binding("left", "seek(-60)", "-1 min", show=False, priority=True),
        Binding("right", "seek(60)", "+1 min", show=False, priority=True),
        Binding("pageup,shift+left", "seek(-600)", "-10 min", show=False, priority=True),
        Binding("pagedown,shift+right", "seek(600)", "+10 min", show=False, priority=True),
        Binding("n", "alert(1)", "Next alert", priority=True),
        Binding("p", "alert(-1)", "Previous alert", show=False, priority=True),
        Binding("m", "milestone(1)", "Next milestone", priority=True),
        Binding("M", "milestone(-1)", "Previous milestone", show=False, priority=True),
        Binding("plus,equals_sign", "speed(2)", "Faster", show=False, priority=True),
        Binding("minus", "speed(0.5)", "Slower", show=False, priority=True),
        Binding("home", "seek_to('start')", "Start", show=False, priority=True),
        Binding("end", "seek_to('end')", "End", show=False, priority=True),
    ]

    def __init__(
        self,
        replayer: Replayer,
        path: str,
        *,
        speed: float = 1.0,
        start: float | None = None,
        playing: bool = True,
        live: bool = True,
        terminal: Terminal | None = None,
    ) -> None:
        config = replayer.config
        super().__init__(
            config,
            [],
            replayer.clock,
            mode="REPLAY",
            detail=clean(path),
            read_only=True,
            live=False,  # nothing polls: the replay clock drives the screen
            control=None,
            terminal=terminal,
        )
        self.replayer = replayer
        self.replay_path = path
        self.speed = min(MAX_SPEED, speed)
        self.playing = playing
        self.replay_live = live  # False in tests: no timer, the test seeks
        self._start_at = replayer.start if start is None else start
        self._ticked = time.monotonic()
        self._alert_onsets = alert_onsets(replayer)
        self._containers_memory = ContainersMemory(replayer.recording)
        epoch = config.launch.epoch
        self._milestones = sorted({epoch + m.at for m in config.milestones} | {epoch})

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield ReplayBar()

    def on_mount(self) -> None:
        self.seek_to(self._start_at)
        if self.replay_live:
            self.set_interval(self.tick, self._replay_tick)
            self._watch_terminal_loss()

    # --- the replay clock -------------------------------------------------------------------

    @property
    def position(self) -> float:
        return self.replayer.position

    def seek_to(self, t: float) -> None:
        """Show the screen as it was at console time `t` (clamped to the recording)."""
        replayer = self.replayer
        replayer.seek(t)
        self.store = replayer.store
        self.launch_state = replayer.state()
        self.alert_tracker = replayer.tracker()
        self._containers_as_shown()
        self.refresh_panes()
        self._replay_run = self._run_at(t)
        self._show_run_bar(self._replay_run)
        self.show_replay_clock()

    def _run_at(self, t: float) -> RunView | None:
        """The run bar as it stood then: the last run's audit lines recorded up to `t`."""
        r = self.replayer
        events = r.recording.events("audit", until=r.position, session=r.session.id)
        return view_from_lines([(e.t, e.data) for e in events])

    def action_attach(self) -> None:
        """`a`: the replayed run's progress as it stood then (never the host's own runs)."""
        view = getattr(self, "_replay_run", None)
        if view is None:
            self.notify("No action had run by this point of the recording.")
            return
        self.push_screen(ProgressScreen(view, self.config.launch.zone, read_only=True))

    def _containers_as_shown(self) -> None:
        """The containers pane's CPU and memory pass through hysteresis fed at each redraw:
        the pane shows what the live one had settled on at this instant."""
        cpu, mem = self._containers_memory.at(self.replayer.session, self.replayer.position)
        pane = self.query_one(ContainersPane)
        pane.cpu, pane.mem = Shown(cpu), Shown(mem)  # type: ignore[assignment]

    def show_replay_clock(self) -> None:
        """The replay bar on whichever screen is showing (the runbook's too), brought up to date."""
        r, now = self.replayer, self.replayer.position
        bar = next(iter(self.screen.query(ReplayBar)), None)
        if bar is None:
            if isinstance(self.screen, ModalScreen):
                return
            bar = ReplayBar()
            self.screen.mount(bar)
        bar.show_position(
            ReplayPosition(
                playing=self.playing,
                speed=self.speed,
                offset=now - self.config.launch.epoch,
                wall=wall(now, self.config.launch.zone),
                done=now - r.start,
                length=r.end - r.start,
            )
        )

    def action_runbook(self) -> None:
        super().action_runbook()
        self.call_after_refresh(self.show_replay_clock)

    def _replay_tick(self) -> None:
        elapsed, self._ticked = time.monotonic() - self._ticked, time.monotonic()
        if not self.playing:
            return
        target = self.position + elapsed * self.speed
        if target >= self.replayer.end:
            self.playing = False
            target = self.replayer.end
        self.seek_to(target)

    # --- keys -----------------------------------------------------------------------------------

    def action_play_pause(self) -> None:
        if not self.playing and self.position >= self.replayer.end:
            self.seek_to(self.replayer.start)  # at the end, play starts over
        self.playing = not self.playing
        self._ticked = time.monotonic()
        self.show_replay_clock()

    def action_seek(self, seconds: float) -> None:
        self.seek_to(self.position + seconds)

    def action_seek_to(self, where: str) -> None:
        self.seek_to(self.replayer.start if where == "start" else self.replayer.end)

    def action_speed(self, factor: float) -> None:
        self.speed = min(MAX_SPEED, max(0.25, self.speed * factor))
        self.show_replay_clock()

    def action_alert(self, direction: int) -> None:
        self._jump(self._alert_onsets, direction, "alert")

    def action_milestone(self, direction: int) -> None:
        self._jump(self._milestones, direction, "milestone")

    def _jump(self, times: list[float], direction: int, what: str) -> None:
        now = self.position
        if direction > 0:
            i = bisect.bisect_right(times, now + 0.001)
            target = times[i] if i < len(times) else None
        else:
            i = bisect.bisect_left(times, now - 0.001)
            target = times[i - 1] if i > 0 else None
        if target is None or not self.replayer.start <= target <= self.replayer.end:
            word = "next" if direction > 0 else "previous"
            self.notify(f"No {word} {what} in the recording.", timeout=3)
            return
        self.seek_to(target)

    # --- nothing acts in replay -------------------------------------------------------------

    def refusal(self, name: str) -> str | None:
        return f"REPLAY of {self.replay_path}: actions are refused on a recording."

    def _editable(self) -> bool:
        self.notify(
            "REPLAY: the runbook state is the recording's; nothing can be changed.",
            severity="error",
        )
        return False

    async def action_refresh_now(self) -> None:
        self.notify("REPLAY: nothing to poll; the readings are the recording's.", timeout=3)

    def _save_launch_state(self) -> None:
        return None  # the state is the recording's: never written from a replay

    def _load_launch_state(self) -> LaunchState:
        return LaunchState()  # the recording's, from the first seek; the live store untouched

    def _poll_launch_state(self) -> bool:
        return False

    def bell(self) -> None:
        return None  # seeking through a day of alerts must not ring for each
