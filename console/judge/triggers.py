"""The rollback triggers of Section 4.1 with their true onsets.

The store keeps a bounded history (75 min by default): a trigger judged from it alone says
"for 1h14m" at T+8h. The onset of each run is therefore remembered in the runbook state
(`trigger_onsets`), and a run that reaches back to the oldest sample the store still holds
carries its remembered onset, provided the memory joins it: it was last seen holding no more
than a silence (plus one refresh of the memory) before that oldest sample. A visible break in
the history (a value at or below the limit, a failed poll, a silence) starts a new run, and so
does a console restart after a silence: a condition we could not see is not one we can claim
held.
"""

from __future__ import annotations

from console.config import Config, Trigger
from console.kinds import provider
from console.rules import (
    TRIGGER_METRICS,
    TRIGGER_TITLES,
    Sustained,
    TriggerState,
    max_gap,
    sustained,
)
from console.store import Sample, Store

# How often (console seconds) a holding trigger's "seen" is brought up to date in the state: a
# state change costs a save and a recorded snapshot, so not on every refresh.
SEEN_EVERY = 60.0

Onsets = dict[str, dict[str, float]]


def trigger_series(store: Store, config: Config, metric: str) -> tuple[list[Sample], float]:
    """A trigger metric's samples and the silence that breaks its run (a few missed polls of
    the source whose readings give it)."""
    series = list(store.series(metric))
    cadence = config.poll.for_source(provider(metric).name)
    return series, max_gap(series, cadence.interval)


def trigger_states(store: Store, config: Config, now: float) -> list[TriggerState]:
    """Each rollback trigger over the store's history alone (no remembered onsets, which
    `judge_triggers` adds to count past the history window)."""
    out = []
    for metric in TRIGGER_METRICS:
        trigger: Trigger = getattr(config.rollback_triggers, metric)
        series, gap = trigger_series(store, config, metric)
        state = sustained(series, trigger.above, trigger.sustained, now, gap)
        value = series[-1][1] if series else None
        out.append(TriggerState(metric, TRIGGER_TITLES[metric], trigger, state, value))
    return out


def judge_triggers(
    store: Store, config: Config, now: float, remembered: Onsets
) -> tuple[list[TriggerState], Onsets]:
    """Each trigger's state at `now`, and the onsets to remember (holding triggers only)."""
    states: list[TriggerState] = []
    onsets: Onsets = {}
    for metric in TRIGGER_METRICS:
        trigger: Trigger = getattr(config.rollback_triggers, metric)
        series, gap = trigger_series(store, config, metric)
        value = series[-1][1] if series else None
        run = sustained(series, trigger.above, trigger.sustained, now, gap)
        if not run.holding or run.since is None:
            states.append(TriggerState(metric, TRIGGER_TITLES[metric], trigger, run, value))
            continue
        since, last = run.since, series[-1][0]
        memory = remembered.get(metric)
        reaches_edge = since <= series[0][0]
        seen = last
        if memory is not None and reaches_edge and memory["seen"] >= since - gap - SEEN_EVERY:
            since = min(since, memory["since"])
            if last - memory["seen"] < SEEN_EVERY:
                seen = memory["seen"]
        onsets[metric] = {"since": since, "seen": seen}
        held = now - since
        state = Sustained(True, since, held, held >= trigger.sustained)
        states.append(TriggerState(metric, TRIGGER_TITLES[metric], trigger, state, value))
    return states, onsets
