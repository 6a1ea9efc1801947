"""The runbook's Section 4 remediations as plans (rollback, disk clean-up, restart, ingestion).

A plan is built from the config and a `Control`; building one changes nothing (the disk
clean-up reads the file system to preview exactly which files would go). Each plan carries the
request that rebuilds exactly it (`plan_from_request`): the console previews a plan, and the
runner process that executes it builds its own from the same request, over its own control.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from console.actions import silence
from console.actions.plan import Aborted, Plan, Step
from console.audit import operator
from console.config import Config
from console.control import CleanupPreview, Control
from console.durations import format_duration
from console.rules import size

ACTIONS = {
    "rollback": "Rollback (runbook 4.3)",
    "disk_cleanup": "Disk clean-up (runbook 4.4)",
    "restart_api": "Restart API (Appendix A)",
    "ingestion": "Pause / resume ingestion (4.3 step 2, 4.5 step 5)",
    "db_restore": "Database restore, guided (runbook 4.5)",
}


async def _wait_healthy(control: Control, timeout: float, since: float | None = None):
    """Poll /health until it answers ok, bounded by `timeout` seconds of wall time."""
    deadline = time.monotonic() + timeout
    detail = ""
    while time.monotonic() < deadline:
        ok, detail = await control.api_health()
        if ok:
            return True, detail
        await asyncio.sleep(0.5)
    return False, f"not healthy after {timeout:g}s ({detail})"


def _stop_scraper(config: Config, control: Control) -> Step:
    name = config.docker.scraper

    async def skip():
        info = await control.container(name)
        if info.state == "missing":
            return None  # let the step fail loudly: the container should exist
        return None if info.state == "running" else f"already stopped ({info.state})"

    async def run():
        await control.stop(name)
        return "stopped"

    async def verify():
        info = await control.container(name)
        return info.state == "exited", f"state {info.state}"

    return Step(
        "stop_scraper",
        "Stop the US scraper (pause ingestion)",
        name,
        f"docker stop {name}",
        "state exited",
        run,
        verify,
        skip,
    )


def _start_scraper(config: Config, control: Control, step_id: str, title: str) -> Step:
    name = config.docker.scraper

    async def skip():
        info = await control.container(name)
        return "already running" if info.state == "running" else None

    async def run():
        await control.start(name)
        return "started"

    async def verify():
        info = await control.container(name)
        return info.state == "running", f"state {info.state}"

    return Step(step_id, title, name, f"docker start {name}", "state running", run, verify, skip)


def _restart_api(config: Config, control: Control) -> Step:
    name = config.docker.api
    before: dict[str, float | None] = {}

    async def run():
        before["started"] = (await control.container(name)).started_at
        await control.restart(name)
        return "restarted"

    async def verify():
        info = await control.container(name)
        if info.state != "running" or info.started_at == before.get("started"):
            return False, f"state {info.state}, start time unchanged"
        ok, detail = await _wait_healthy(control, config.actions.health_wait)
        return ok, detail

    return Step(
        "restart_api",
        "Restart the API container and wait for /health",
        name,
        f"docker restart {name}",
        "new start time, /health ok",
        run,
        verify,
    )


def rollback(config: Config, control: Control, now: float, reason: str = "") -> Plan:
    api = config.docker.api
    if config.actions.pause_traffic == "signal":

        async def pause():
            await control.signal(api, "HUP")
            return "SIGHUP sent"

        pause_call = f'docker kill --signal HUP {api}  (runbook: sh -c "kill -HUP 1")'
    else:
        argv = list(config.actions.compose_command)

        async def pause():
            rc, out = await control.run_command(argv)
            if rc != 0:
                raise RuntimeError(f"exit {rc}: {out}")
            return f"exit 0 {out}".strip()

        pause_call = " ".join(argv)

    async def still_running():
        info = await control.container(api)
        return info.state == "running", f"{api} {info.state}"

    async def verify_all():
        health, h = await control.api_health()
        search, s = await control.api_search()
        return health and search, f"{h}; {s}"

    async def noop():
        return "checked"

    plan = Plan("rollback", "Rollback (runbook 4.3)", [], confirm_word="ROLLBACK")
    plan.steps = [
        Step(
            "pause_traffic",
            "Pause incoming US traffic",
            api,
            pause_call,
            f"{api} reloads, still running",
            pause,
            still_running,
        ),
        _stop_scraper(config, control),
        _restart_api(config, control),
        Step(
            "verify",
            "Verify the rollback: health and search",
            config.api.base_url,
            "GET /health; GET /api/search?q=test&limit=1",
            "200 ok, total > 0",
            noop,
            verify_all,
        ),
    ]
    plan.preview = ["Then: the 'ROLLBACK INITIATED' post (runbook 4.2), ready to copy."]
    plan.result = [rollback_post(config, reason, now)]
    plan.request = {"action": "rollback", "now": now, "reason": reason}
    return plan


def rollback_post(config: Config, reason: str, now: float) -> str:
    """Runbook 4.2's template, filled in (the reason and ETA are for Rex to complete)."""
    t = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(config.launch.zone))
    return (
        f"⚠️ ROLLBACK INITIATED — {t:%H:%M %Z}\n"
        f"Reason: {reason or '[one sentence]'}\n"
        "Lead: Rex\n"
        "ETA to stable: [estimate]"
    )


def restart_api(config: Config, control: Control) -> Plan:
    plan = Plan("restart_api", "Restart API (Appendix A)", [_restart_api(config, control)])
    plan.request = {"action": "restart_api"}
    return plan


async def ingestion(config: Config, control: Control) -> Plan:
    """Pause the scraper when it runs, resume it when it does not."""
    name = config.docker.scraper
    info = await control.container(name)
    if info.state == "running":
        plan = Plan(
            "pause_ingestion",
            "Pause ingestion (runbook 4.3 step 2)",
            [_stop_scraper(config, control)],
        )
    else:
        plan = Plan(
            "resume_ingestion",
            "Resume ingestion (runbook 4.5 step 5)",
            [_start_scraper(config, control, "start_scraper", "Resume the US scraper")],
        )
    # Rebuilt, it reads the scraper's state again: a plan that flipped meanwhile is refused.
    plan.request = {"action": "ingestion"}
    return plan


async def disk_cleanup(
    config: Config, control: Control, preview: CleanupPreview | None = None
) -> Plan:
    """`preview`: the files a console previewed (a runner deletes exactly those, each checked
    again just before: console.control.files), else the workspace is read now."""
    if preview is None:
        preview = await control.cleanup_preview()
    used0, total = await control.disk()
    lines = [f"disk {config.host.disk_path}: {100 * used0 / total:.1f}% of {size(total)} used"]
    lines.append(f"largest under {config.host.workspace}:")
    lines += [f"  {size(n):>10}  {name}" for name, n in preview.largest[:6]]
    lines.append(f"would delete {len(preview.candidates)} files, {size(preview.total)}:")
    lines += [f"  {size(c.size):>10}  {c.path}" for c in preview.candidates[:8]]
    if len(preview.candidates) > 8:
        lines.append(f"  … and {len(preview.candidates) - 8} more")
    if preview.prune_bytes is not None:
        reclaim = size(preview.prune_bytes)
        lines.append(f"docker prune (dangling images, build cache) would reclaim ~{reclaim}")
        lines.append("  no container is removed: a stopped scraper stays resumable")
    lines += [f"note: {p}" for p in preview.problems]

    async def delete_files():
        counts = {"ok": 0, "skipped": 0, "failed": 0}
        freed = 0
        notes = []
        for c in preview.candidates:
            status, detail = await control.delete(c)
            counts[status] += 1
            if status == "ok":
                freed += c.size
            else:
                notes.append(f"{c.path}: {detail}")
        summary = (
            f"deleted {counts['ok']} ({size(freed)}), "
            f"skipped {counts['skipped']}, failed {counts['failed']}"
        )
        return summary + ("; " + "; ".join(notes[:5]) if notes else "")

    async def prune():
        return await control.prune()

    async def remeasure():
        return "measured"

    async def verify_disk():
        used, total2 = await control.disk()
        return True, f"now {100 * used / total2:.1f}%, reclaimed {size(max(0, used0 - used))}"

    steps = [
        Step(
            "delete_files",
            f"Delete {len(preview.candidates)} old scrape files",
            config.host.workspace,
            "unlink each listed file (no symlinks, inside the workspace)",
            "files gone; vanished or undeletable ones reported",
            delete_files,
        )
    ]
    if config.cleanup.docker_prune:
        steps.append(
            Step(
                "docker_prune",
                "Prune dangling images and build cache",
                "docker",
                "images.prune(dangling) + prune_builds() — not containers",
                "space reclaimed",
                prune,
            )
        )
    steps.append(
        Step(
            "remeasure",
            "Re-measure the disk",
            config.host.disk_path,
            "statvfs",
            "disk usage lower",
            remeasure,
            verify_disk,
        )
    )
    plan = Plan("disk_cleanup", "Disk clean-up (runbook 4.4)", steps, preview=lines)
    plan.request = {"action": "disk_cleanup", "preview": preview}
    return plan


async def db_restore(config: Config, control: Control, operator: str, authoriser: str) -> Plan:
    """Section 4.5, guided: the console stops and resumes ingestion and verifies the count; the
    restore itself is done by a person (Bolt), authorised by another (Rex)."""
    backups = await control.backups()
    lines = [
        f"operator {operator}, authorised by {authoriser} (data corruption only)",
        f"backups in {config.host.backups}, newest first:",
    ]
    lines += [
        f"  {size(n):>10}  {format_duration(age):>8} old  {name}" for name, n, age in backups[:10]
    ]
    if not backups:
        lines.append("  none found: STOP and page Bolt (runbook 1.3)")
    lines.append(f"restore: {config.actions.restore_command}")
    done = asyncio.Event()
    plan = Plan("db_restore", ACTIONS["db_restore"], [], confirm_word="RESTORE", preview=lines)
    stopped = plan.stop_requested

    async def wait_for_person():
        # Until a console says it is done (`d`), or the run is stopped on purpose.
        waits = {asyncio.ensure_future(done.wait()), asyncio.ensure_future(stopped.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if not done.is_set():
            raise Aborted(
                "aborted while waiting for the restore by hand: not confirmed done; "
                "ingestion stays stopped, the count not verified"
            )
        return f"restore reported done by {plan.done_by or operator}"

    async def count():
        return f"{await control.product_count():,} products"

    async def count_ok():
        n = await control.product_count()
        return n > config.postgres.min_products, f"{n:,} > {config.postgres.min_products:,}"

    steps = [
        _stop_scraper(config, control),
        Step(
            "restore_by_hand",
            "Restore the backup (by a person; press d when done)",
            "the catalog database",
            config.actions.restore_command,
            "restore finished",
            wait_for_person,
        ),
        Step(
            "verify_count",
            "Verify the product count",
            "products",
            "SELECT count(*) FROM products",
            f"> {config.postgres.min_products:,}",
            count,
            count_ok,
        ),
        _start_scraper(config, control, "resume_ingestion", "Resume ingestion"),
    ]
    for step in steps:
        step.call += f"  [authorised by {authoriser}]"
    plan.steps = steps
    plan.done_by_hand = done
    plan.request = {"action": "db_restore", "operator": operator, "authoriser": authoriser}
    return with_silence(plan, config, control)


async def build_plan(name: str, config: Config, control: Control, now: float) -> Plan:
    """The plan for one of ACTIONS; `now` is the console's time (simulated in the demo)."""
    if name == "rollback":
        plan = rollback(config, control, now)
    elif name == "disk_cleanup":
        plan = await disk_cleanup(config, control)
    elif name == "restart_api":
        plan = restart_api(config, control)
    elif name == "ingestion":
        plan = await ingestion(config, control)
    else:
        raise ValueError(f"unknown action {name!r}")
    return with_silence(await with_hosts(plan, config, control), config, control)


async def with_hosts(plan: Plan, config: Config, control: Control) -> Plan:
    """With several engines, every container step names the engine it acts on, in its target
    and in its call (the call is what the audit log records), before anything is confirmed: a
    person approving "docker restart api-api-1" must see which host's API restarts. Finding
    the engine is a read (one inspect per engine, once); a container on none of them, or on
    several, is left to fail or refuse when the step runs, with its own message."""
    if not config.docker.several:
        return plan
    containers = {config.docker.api, config.docker.scraper}
    for step in plan.steps:
        if step.target not in containers:
            continue
        try:
            host = (await control.container(step.target)).host
        except Exception:  # AmbiguousContainer, an engine down: the step says so when it runs
            host = ""
        where = host or "engine unknown until the step runs"
        step.target = f"{step.target} on {where}"
        step.call = f"{step.call}  [engine {where}]"
    return plan


def with_silence(plan: Plan, config: Config, control: Control) -> Plan:
    """Plans that page on purpose start by silencing the launch's alerts (when Alertmanager is
    configured): the step is shown, confirmed and audited like the others."""
    if silence.wanted(config, plan.action):
        plan.steps.insert(0, silence.silence_step(config, control, plan.action, operator()))
    return plan


async def plan_from_request(request: dict[str, Any], config: Config, control: Control) -> Plan:
    """The plan a request describes (`Plan.request`), built anew over `control` (the same
    steps, the engines and the silence included, as the console previewed)."""
    name = request.get("action")
    if name == "rollback":
        plan = rollback(config, control, float(request["now"]), str(request.get("reason", "")))
    elif name == "disk_cleanup":
        plan = await disk_cleanup(config, control, request.get("preview"))
    elif name == "db_restore":
        plan = await db_restore(
            config, control, str(request["operator"]), str(request["authoriser"])
        )
        # db_restore adds its own silence step (first): the engines go on the steps after it.
        return await with_hosts(plan, config, control)
    elif name in ("restart_api", "ingestion"):
        return await build_plan(name, config, control, 0.0)
    else:
        raise ValueError(f"unknown action {name!r}")
    return with_silence(await with_hosts(plan, config, control), config, control)
