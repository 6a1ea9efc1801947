"""Disk clean-up on the real file system, confined to the workspace (runbook 4.4).

Never follows a symlink (neither while walking nor when deleting: a link is skipped, not
removed, so nothing outside the roots is touched), re-checks each file just before deleting it,
and reports a file that vanished or cannot be deleted instead of stopping.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat

from console.config import CleanupRule
from console.control import Candidate, CleanupPreview
from console.durations import format_duration


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([os.path.realpath(path), root]) == root


def _tree_size(path: str) -> int:
    total = 0
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size
    for base, _dirs, files in os.walk(path, followlinks=False):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_size
    return total


def preview(workspace: str, rules: list[CleanupRule], now: float, top: int = 10) -> CleanupPreview:
    root = os.path.realpath(workspace)
    problems: list[str] = []
    largest: list[tuple[str, int]] = []
    try:
        with os.scandir(root) as entries:
            largest = sorted(((e.name, _tree_size(e.path)) for e in entries), key=lambda x: -x[1])
    except OSError as exc:
        problems.append(f"cannot list {root}: {exc.strerror}")
    candidates: list[Candidate] = []
    for rule in rules:
        label = (
            f"{rule.under.rstrip('/')}/{rule.glob} older than {format_duration(rule.older_than)}"
        )
        start = os.path.realpath(os.path.join(root, rule.under))
        if not _inside(start, root):
            problems.append(f"rule {label}: {rule.under} is outside the workspace; skipped")
            continue
        for base, dirs, files in os.walk(
            start,
            followlinks=False,
            onerror=lambda e: problems.append(f"cannot read {e.filename}: {e.strerror}"),
        ):
            for name in files:
                if not fnmatch.fnmatch(name, rule.glob):
                    continue
                path = os.path.join(base, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue  # symlinks and specials are never clean-up candidates
                age = now - st.st_mtime
                if age > rule.older_than:
                    candidates.append(Candidate(path, st.st_size, age, label))
            dirs.sort()
    unique = {c.path: c for c in candidates}  # two rules may match one file
    return CleanupPreview(
        largest[:top], sorted(unique.values(), key=lambda c: c.path), None, problems
    )


def delete(candidate: Candidate, workspace: str) -> tuple[str, str]:
    """('ok' | 'skipped' | 'failed', detail). Re-checks the file just before unlinking it."""
    root = os.path.realpath(workspace)
    path = candidate.path
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "skipped", "vanished before deletion"
    if not stat.S_ISREG(st.st_mode):
        return "skipped", "no longer a regular file"
    if not _inside(os.path.dirname(path), root):
        return "skipped", "outside the workspace"
    try:
        os.unlink(path)
    except FileNotFoundError:
        return "skipped", "vanished before deletion"
    except OSError as exc:
        return "failed", f"cannot delete: {exc.strerror}"
    return "ok", f"{st.st_size} bytes"
