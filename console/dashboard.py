"""The whole dashboard as data, for scripts: `launch-console --once --json`.

One sweep's readings with every finding, trigger, alert, check, P0 gate, the go/no-go call,
the milestones and the posts' status, as the console would show them at that instant. Headless;
the very judgement the screen makes (console.judge), nothing judged here.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import UTC, datetime
from typing import Any

from console.config import Config
from console.durations import format_offset
from console.judge import judge
from console.launchday import LaunchState
from console.logs import mask
from console.rules import Level
from console.store import Store
from console.timeline import countdown, next_milestone_text


def _plain(value: Any) -> Any:
    """Dataclasses, enums, tuples -> JSON's types (a Level becomes its word)."""
    if isinstance(value, Level):
        return value.word
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json"))
    return value


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def snapshot(store: Store, config: Config, state: LaunchState, now: float, mode: str) -> dict:
    j = judge(store, config, state, now)
    clock = countdown(config, now, done=j.milestones_line)
    return {
        "at": _stamp(now),
        "mode": mode,
        "config": config.source_path,
        "launch": {
            "name": config.launch.name,
            "at": _stamp(config.launch.epoch),
            "offset": format_offset(round(clock.offset)),
            "phase": clock.phase,
            "next_milestone": next_milestone_text(clock),
        },
        "sources": {
            name: {
                "level": j.pane_level(name).word,
                "age_s": store.age(name),
                "stale": store.is_stale(name),
                "findings": _plain(j.panes.get(name, [])),
                "reading": _plain(store.latest(name)),
            }
            for name in j.panes
        },
        "triggers": [
            {
                "metric": t.metric,
                "text": t.text,
                "value": t.value,
                "holding": t.state.holding,
                "held_for_s": t.state.held_for,
                "fired": t.state.fired,
            }
            for t in j.triggers
        ],
        "alerts": _plain(j.alerts),
        "checks": _plain(j.checks),
        "gates": _plain(j.gates),
        "go_no_go": _plain(j.board),
        "milestones": [
            {
                "id": m.id,
                "offset": format_offset(m.offset),
                "at": _stamp(m.due),
                "title": m.title,
                "state": m.state,
                "detail": m.detail,
            }
            for m in j.milestones
        ],
        "status": {
            "level": j.status.level.word,
            "colour": j.status.word,
            "broken": [text for _, text in j.status.broken],
        },
        "verdict": {"word": j.verdict[0], "why": j.verdict[1]},
    }


def render_json(data: dict) -> str:
    # A source's error can echo what it was given (a DSN): the registered secrets are masked.
    return mask(json.dumps(data, indent=2, ensure_ascii=False))


def render_text(data: dict) -> str:
    launch = data["launch"]
    lines = [
        f"{launch['name']}: {launch['offset']} ({launch['phase']}), {launch['next_milestone']}",
        f"go/no-go: {data['go_no_go']['call']} — {data['go_no_go']['reason']}",
        "",
    ]
    for name, source in data["sources"].items():
        symbol = Level[source["level"].upper()].symbol
        lines.append(f"{symbol} {name}")
        for f in source["findings"]:
            lines.append(f"    {Level[f['level'].upper()].symbol} {f['title']}: {f['value']}")
    lines.append("")
    alerts = data["alerts"]
    lines.append(f"alerts ({len(alerts)}):" if alerts else "alerts: none")
    lines += [f"  {Level[a['level'].upper()].symbol} {a['text']}" for a in alerts]
    return mask("\n".join(lines))
