"""Disk clean-up on a real temp tree: exactly the right files go, nothing outside the roots."""

import os
import subprocess
import time

import pytest

from console.config import CleanupRule
from console.control import files as fs

DAY = 86400
RULES = [
    CleanupRule(under="scraper", glob="*.json", older_than=7 * DAY),
    CleanupRule(under=".", glob="*.jsonl", older_than=3 * DAY),
]


def touch(path, days_old, size=100):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    t = time.time() - days_old * DAY
    os.utime(path, (t, t))
    return path


@pytest.fixture()
def tree(tmp_path):
    ws = tmp_path / "workspace"
    outside = touch(tmp_path / "outside" / "precious.json", 30)
    old_json = touch(ws / "scraper" / "amazon" / "2026-04-01.json", 10, 1000)
    new_json = touch(ws / "scraper" / "amazon" / "2026-04-20.json", 2)
    old_jsonl = touch(ws / "ingest-1.jsonl", 4, 500)
    new_jsonl = touch(ws / "ingest-2.jsonl", 1)
    other = touch(ws / "scraper" / "notes.txt", 30)
    old_json_elsewhere = touch(ws / "api" / "old.json", 30)  # *.json only under scraper/
    (ws / "scraper" / "link.json").symlink_to(outside)
    (ws / "scraper" / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    os.utime(ws / "scraper" / "link.json", (0, 0), follow_symlinks=False)
    return {
        "ws": ws,
        "outside": outside,
        "old_json": old_json,
        "new_json": new_json,
        "old_jsonl": old_jsonl,
        "new_jsonl": new_jsonl,
        "other": other,
        "elsewhere": old_json_elsewhere,
    }


def test_preview_names_exactly_the_old_files(tree):
    preview = fs.preview(str(tree["ws"]), RULES, time.time())
    assert sorted(c.path for c in preview.candidates) == sorted(
        [str(tree["old_json"]), str(tree["old_jsonl"])]
    )
    assert preview.total == 1500
    assert preview.largest[0][0] == "scraper"  # the biggest top-level entry first


def test_delete_reports_vanished_and_never_leaves_the_roots(tree):
    preview = fs.preview(str(tree["ws"]), RULES, time.time())
    tree["old_jsonl"].unlink()  # deleted by someone else mid-run
    results = {c.path: fs.delete(c, str(tree["ws"])) for c in preview.candidates}
    assert results[str(tree["old_json"])] == ("ok", "1000 bytes")
    assert results[str(tree["old_jsonl"])] == ("skipped", "vanished before deletion")
    for survivor in ("outside", "new_json", "new_jsonl", "other", "elsewhere"):
        assert tree[survivor].exists(), survivor
    assert (tree["ws"] / "scraper" / "link.json").is_symlink()


def test_a_rule_pointing_outside_the_workspace_is_refused(tree):
    rules = [CleanupRule(under="../outside", glob="*.json", older_than=DAY)]
    preview = fs.preview(str(tree["ws"]), rules, time.time())
    assert preview.candidates == []
    assert preview.problems == [
        "rule ../outside/*.json older than 1d: ../outside is outside the workspace; skipped"
    ]


def test_a_file_that_cannot_be_deleted_is_reported(tmp_path):
    # Root ignores permission bits, so a read-only mount makes the undeletable file.
    ws = tmp_path / "ws"
    (ws / "scraper").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(ws / "scraper")], check=True)
    try:
        touch(ws / "scraper" / "stuck.json", 30)
        subprocess.run(["mount", "-o", "remount,ro", str(ws / "scraper")], check=True)
        preview = fs.preview(str(ws), RULES, time.time())
        (candidate,) = preview.candidates
        assert fs.delete(candidate, str(ws)) == ("failed", "cannot delete: Read-only file system")
    finally:
        subprocess.run(["umount", str(ws / "scraper")], check=True)
