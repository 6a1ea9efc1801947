"""The console's recording hooks: readings as they land, the runbook state when it changes,
every audited action step, and what the judge concluded (only its changes).

All of it is queued to the recorder's writer thread (console.recording.recorder); nothing here
waits on the disk. A recorder that fails says so once, and the console carries on.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from console.readings import Reading
from console.recording.observe import Observer
from console.recording.recorder import Recorder


class RecordingMixin:
    """Mixed into LaunchConsole; uses its recorder, audit, launch_state, judgement."""

    recorder: Recorder | None = None
    _observer: Observer | None = None
    _recorder_error_shown = False

    def _start_recording(self, recorder: Recorder | None) -> None:
        self.recorder = recorder
        if recorder is not None:
            self._observer = Observer(recorder)
            self.audit.listeners.append(self._record_audit)  # type: ignore[attr-defined]

    def _record_reading(self, reading: Reading) -> None:
        if self.recorder is not None:
            self.recorder.reading(reading)

    def _record_audit(self, record: dict[str, Any]) -> None:
        if self.recorder is not None:
            self.recorder.event("audit", str(record.get("action", "")), record)

    def _record_state(self) -> None:
        if self.recorder is not None:
            self.recorder.state(dataclasses.asdict(self.launch_state))  # type: ignore[attr-defined]

    def _record_judgement(self, tracked: list[Any], gates: list[Any], board: Any) -> None:
        """After each refresh: the runbook state and what changed in the judge's conclusions."""
        recorder, observer = self.recorder, self._observer
        if recorder is None or observer is None:
            return
        self._record_state()
        # The containers pane's figures pass through hysteresis fed at every redraw: which
        # reading each redraw showed lets replay feed it the same way.
        good = self.store.good("containers")  # type: ignore[attr-defined]
        recorder.shown("containers", None if good is None else good.at)
        observer.findings(self.judgement.panes)  # type: ignore[attr-defined]
        observer.alerts(tracked)
        observer.gates(gates)
        if board is not None:
            observer.board(board.call, board.reason)
        if recorder.error and not self._recorder_error_shown:
            self._recorder_error_shown = True
            self.notify(recorder.error, title="Recording", severity="error", markup=False)  # type: ignore[attr-defined]

    def _stop_recording(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
