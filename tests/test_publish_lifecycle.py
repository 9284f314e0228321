"""The hundredth publish: edits that keep media URLs, the grace period, header changes, no-op
publishes that write nothing, and one run at a time — with the real build, a real moto S3 server
(every request logged by the proxy) and real processes."""

# ruff: noqa: F811 — the `workspace` fixture comes from test_publish, and tests take it by name

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import podcast_pipe
from conftest import s3_error
from podcast_pipe.check import check_workspace
from podcast_pipe.config import load_show
from podcast_pipe.manifest import parse_manifest, read_local, retired_objects
from podcast_pipe.publish import open_show_target, publish_show
from podcast_pipe.publish.layout import FEED_KEY, LOCK_KEY, MANIFEST_KEY
from podcast_pipe.publish.lock import PublishLock
from test_publish import NOW, feed_items, run, workspace, write_show  # noqa: F401

WEEK = dt.timedelta(days=7)


def publish(root: Path, now: dt.datetime = NOW, **options):
    """check + build + publish at a given time (the fake clock)."""
    checked = check_workspace(root)
    assert not checked.problems.errors, checked.problems.errors
    return publish_show(checked.show, checked.catalog, now=now, **options)


def written(proxy, bucket: str) -> list[str]:
    """The keys (under show/) of every write request the proxy saw, in order."""
    keys = []
    for _method, path in proxy.mutating:
        key, _, query = path.partition("?")
        key = "" if key == f"/{bucket}" else key.removeprefix(f"/{bucket}/show/")
        keys.append(key + (f"?{query}" if query else ""))
    return keys


def edit(root: Path, slug: str, old: str, new: str) -> None:
    meta = root / f"episodes/{slug}.md"
    text = meta.read_text(encoding="utf-8")
    assert old in text
    meta.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def on_s3(workspace, s3, fault_proxy):
    write_show(workspace, f"s3://{s3.bucket}/show")
    publish(workspace)
    fault_proxy.log.clear()
    return workspace


def test_a_no_op_publish_sends_no_write_request(on_s3, s3, fault_proxy):
    plan = publish(on_s3)
    assert plan.up_to_date and plan.describe() == ["up to date: nothing to upload"]
    assert fault_proxy.log and fault_proxy.mutating == []


def test_editing_notes_uploads_only_the_feed_and_the_manifest(on_s3, s3, fault_proxy):
    before = s3.objects("show/episodes/")
    edit(on_s3, "izmir", "Bölüm notları:", "Yeni notlar, düzeltilmiş:")
    plan = publish(on_s3)
    assert [r.action for r in plan.built] == []  # no re-tag: the notes are not in the MP3
    # the lock (created, then deleted), the feed, the manifest: no media, nothing else
    assert sorted(written(fault_proxy, s3.bucket)) == sorted(
        [LOCK_KEY, FEED_KEY, MANIFEST_KEY, "?delete"]
    )
    assert s3.objects("show/episodes/").keys() == before.keys()
    feed = s3.client.get_object(Bucket=s3.bucket, Key="show/feed.xml")["Body"].read()
    assert "Yeni notlar" in feed.decode()


def test_moving_base_url_re_uploads_only_the_feed(on_s3, s3, fault_proxy):
    toml = on_s3 / "podcast.toml"
    toml.write_text(toml.read_text().replace("cdn.example.org/show/", "media.example.net/"))
    plan = publish(on_s3)
    assert plan.built == []  # nothing re-tagged: neither the feed URL nor a GUID is in the MP3
    assert sorted(written(fault_proxy, s3.bucket)) == sorted(
        [LOCK_KEY, FEED_KEY, MANIFEST_KEY, "?delete"]
    )
    feed = s3.client.get_object(Bucket=s3.bucket, Key="show/feed.xml")["Body"].read()
    assert all(
        e.enclosures[0].href.startswith("https://media.example.net/") for e in feed_items(feed)
    )


def test_a_title_edit_gets_a_new_url_and_the_old_one_outlives_cached_feeds(on_s3, s3, fault_proxy):
    first = read_local(on_s3 / "feed/manifest.json")
    old_key = first.by_slug()["izmir"].media_key
    edit(on_s3, "izmir", 'title: "Bölüm 1"', 'title: "Bölüm 1: İzmir"')
    plan = publish(on_s3)
    assert [r.action for r in plan.built] == ["re-tagged"]
    new_key = plan.manifest.by_slug()["izmir"].media_key
    assert (
        new_key != old_key
        and plan.manifest.by_slug()["izmir"].guid == first.by_slug()["izmir"].guid
    )
    assert {"show/" + old_key, "show/" + new_key} <= s3.objects("show/").keys()
    show = load_show(on_s3)
    (retired,) = retired_objects(read_local(show.feed_dir / "manifest.json"), show.publish.keep_old)
    assert (retired.key, retired.left_at, retired.delete_after) == (old_key, NOW, NOW + WEEK)
    # within the week: nothing to write; after it: the old object goes, and nothing else changes
    fault_proxy.log.clear()
    assert publish(on_s3, NOW + WEEK - dt.timedelta(minutes=1)).up_to_date
    assert fault_proxy.mutating == []
    later = publish(on_s3, NOW + WEEK)
    assert later.deletes == [old_key] and later.manifest.retired == {}
    assert "show/" + old_key not in s3.objects("show/") and "show/" + new_key in s3.objects()
    assert sorted(written(fault_proxy, s3.bucket)) == sorted(
        [LOCK_KEY, MANIFEST_KEY, "?delete", "?delete"]
    )


def test_a_deletion_that_fails_stays_recorded_and_is_retried(on_s3, s3, fault_proxy):
    edit(on_s3, "izmir", 'title: "Bölüm 1"', 'title: "Bölüm 1: İzmir"')
    old_key = publish(on_s3).previous.by_slug()["izmir"].media_key
    lock_deletes = []

    def broken(method: str, path: str) -> bool:
        # DeleteObjects of the media fails; the lock's own deletion goes through
        if method == "POST" and "?delete" in path:
            lock_deletes.append(path)
            return len(lock_deletes) == 1
        return False

    fault_proxy.broken = broken
    fault_proxy.broken_reply = (403, s3_error("AccessDenied"))
    plan = publish(on_s3, NOW + WEEK)
    assert any("could not delete 1 object" in note for note in plan.notes)
    remote = s3.client.get_object(Bucket=s3.bucket, Key="show/manifest.json")["Body"].read()
    assert parse_manifest(remote, "m").retired == {old_key: NOW.isoformat()}
    assert "show/" + old_key in s3.objects("show/")
    fault_proxy.broken = None
    again = publish(on_s3, NOW + WEEK)
    assert again.deletes == [old_key] and "show/" + old_key not in s3.objects("show/")


def test_an_acl_added_later_reaches_the_objects_already_there(on_s3, s3, fault_proxy):
    def public(key: str) -> bool:
        grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
        return any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)

    assert not public("show/feed.xml")
    toml = on_s3 / "podcast.toml"
    toml.write_text(toml.read_text().replace("max_attempts", 'acl = "public-read"\nmax_attempts'))
    result = run(on_s3, "publish", "--dry-run")
    assert "apply the current headers and ACL 'public-read' to 7 object(s)" in result.output
    assert "upload 0" not in result.output and fault_proxy.mutating == []
    plan = publish(on_s3)
    objects = s3.objects("show/")
    assert all(public(key) for key in objects if not key.endswith(LOCK_KEY))
    assert objects["show/feed.xml"]["ContentType"] == "application/rss+xml"
    media = [k for k in objects if "/episodes/" in k]
    assert media and all("immutable" in objects[k]["CacheControl"] for k in media)
    assert all(objects[k]["ContentType"] == "audio/mpeg" for k in media)
    assert not plan.uploads  # copied in place: no media bytes sent
    fault_proxy.log.clear()
    assert publish(on_s3).up_to_date and fault_proxy.mutating == []


def test_the_target_lock_is_a_conditional_create_with_a_fallback(on_s3, s3, fault_proxy):
    target = open_show_target(load_show(on_s3))
    fault_proxy.log.clear()
    with PublishLock(target, NOW):
        lock = json.loads(target.get(LOCK_KEY))
        assert lock["pid"] == os.getpid() and lock["host"] == socket.gethostname()
        with pytest.raises(Exception, match="another publish is running"):
            PublishLock(target, NOW).__enter__()
    assert target.get(LOCK_KEY) is None
    # a store that refuses If-None-Match: the first PUT of the lock answers 501
    refused = []

    def once(method: str, path: str) -> bool:
        if method == "PUT" and path.split("?")[0].endswith(LOCK_KEY) and not refused:
            refused.append(path)
            return True
        return False

    fault_proxy.broken, fault_proxy.broken_reply = once, (501, s3_error("NotImplemented"))
    with PublishLock(target, NOW) as notes:
        assert refused and notes == [] and json.loads(target.get(LOCK_KEY))["pid"] == os.getpid()
    assert target.get(LOCK_KEY) is None


def test_keep_old_is_validated_with_a_clear_message(workspace):
    toml = workspace / "podcast.toml"
    toml.write_text(toml.read_text().replace("max_attempts", 'keep_old = "a while"\nmax_attempts'))
    result = run(workspace, "check")
    assert result.exit_code == 1
    assert "podcast.toml: publish.keep_old: not a length of time: 'a while'" in result.output
    toml.write_text(toml.read_text().replace('"a while"', '"36 hours"'))
    assert load_show(workspace).publish.keep_old == dt.timedelta(hours=36)


# --- one run at a time, with real processes ----------------------------------------------------


def command(root: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from podcast_pipe.cli import main; main()",
        "-C",
        str(root),
        *args,
    ]


def environment() -> dict[str, str]:
    source = str(Path(podcast_pipe.__file__).parents[1])
    return {**os.environ, "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}


HOLD = """
import datetime as dt, sys
from pathlib import Path
from podcast_pipe.publish.lock import WorkspaceLock
with WorkspaceLock(Path(sys.argv[1]), dt.datetime.now(dt.UTC)):
    print("held", flush=True)
    sys.stdin.read()
"""


def hold_workspace(root: Path) -> subprocess.Popen:
    """Another process holding the workspace lock until its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root / "build")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_second_run_exits_at_once_naming_the_holder_or_waits(workspace):
    holder = hold_workspace(workspace)
    try:
        refused = subprocess.run(
            command(workspace, "publish"), capture_output=True, text=True, env=environment()
        )
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        (line,) = refused.stderr.strip().splitlines()
        assert "another podcast-pipe run is using this workspace" in line
        assert f"(pid {holder.pid})" in line and socket.gethostname() in line
        assert "publish --wait" in line
        assert not (workspace / "public").exists()
        unlock = subprocess.run(
            command(workspace, "unlock"), capture_output=True, text=True, env=environment()
        )
        assert unlock.returncode == 1 and "then unlock" in unlock.stderr
        waiting = subprocess.Popen(
            command(workspace, "publish", "--wait"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, err
    assert (
        "published:" in out and len(feed_items((workspace / "public/feed.xml").read_bytes())) == 2
    )


def test_two_concurrent_publishes_one_wins_nothing_is_lost(workspace):
    runs = [
        subprocess.Popen(
            command(workspace, "publish"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        for _ in range(2)
    ]
    results = [(r.wait(timeout=600), *r.communicate()) for r in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 1]), results
    for code, _out, err in results:
        assert "Traceback" not in err
        if code == 1:  # one line, naming who holds the workspace
            (line,) = err.strip().splitlines()
            assert line.startswith("error:") and "another podcast-pipe run is using" in line
    entries = feed_items((workspace / "public/feed.xml").read_bytes())
    assert len(entries) == 2
    for entry in entries:
        key = entry.enclosures[0].href.removeprefix("http://127.0.0.1:8000/")
        assert (workspace / "public" / key).stat().st_size == int(entry.enclosures[0].length)
    again = run(workspace, "publish")
    assert again.exit_code == 0 and "up to date" in again.output, again.output


def test_unlock_clears_a_dead_runs_locks(workspace):
    assert run(workspace, "publish").exit_code == 0
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    pid = int(dead.stdout)
    host = socket.gethostname()
    stale = {"owner": f"x@{host} (pid {pid})", "host": host, "pid": pid, "since": NOW.isoformat()}
    (workspace / "public" / LOCK_KEY).write_text(json.dumps(stale))
    (workspace / "build/publish.lock").write_text(json.dumps(stale))
    result = run(workspace, "unlock")
    assert result.exit_code == 0, result.output
    assert "cleared" in result.output and f"pid {pid}" in result.output
    assert not (workspace / "public" / LOCK_KEY).exists()
    assert (workspace / "build/publish.lock").read_text() == ""  # the file is the lock: kept
    assert run(workspace, "unlock").output.strip() == "no lock to clear"
    # a live holder on this machine is never unlocked
    alive = {**stale, "pid": os.getpid(), "owner": f"x@{host} (pid {os.getpid()})"}
    (workspace / "public" / LOCK_KEY).write_text(json.dumps(alive))
    result = run(workspace, "unlock")
    assert result.exit_code == 1 and "held by a running process" in result.output
    assert (workspace / "public" / LOCK_KEY).exists()
