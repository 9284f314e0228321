"""Publishing: plan, order, guards and resume, against a folder and a real moto S3 server.

Until ``build`` lands in a test, the build step is stood in for by copying each episode's
(already MP3) source audio to build/ and writing the record a build would.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import feedparser
import pytest
from PIL import Image

from conftest import FAKE_KEY_ID, FAKE_SECRET, Record, s3_error
from podcast_pipe.config import load_show
from podcast_pipe.episodes import load_episodes
from podcast_pipe.errors import PublishError, StorageError
from podcast_pipe.localfeed import write_feed
from podcast_pipe.manifest import parse_manifest
from podcast_pipe.publish import open_show_target, release
from podcast_pipe.publish.layout import FEED_KEY, LOCK_KEY
from podcast_pipe.publish.lock import PublishLock
from podcast_pipe.publish.plan import match_live
from podcast_pipe.status import publish_states

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
EPISODE = """---
title: "{title}"
date: {date}
episode: {number}
season: 1
{more}---
Bölüm notları: **{title}**.
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_show(root: Path, target: str, site: bool = False) -> None:
    """podcast.toml for ``target``; without the website unless asked (test_publish_site.py)."""
    base = "https://cdn.example.org/show/" if target.startswith("s3://") else ""
    (root / "podcast.toml").write_text(
        f"""[show]
title = "İzmir–Bakü"
description = "Kardeş şehirler."
author = "İZAZDER"
language = "tr"
categories = ["History"]
owner = {{ name = "İZAZDER", email = "podcast@example.org" }}

[publish]
target = "{target}"
{f'base_url = "{base}"' if base else ""}
max_attempts = 4

[site]
enabled = {"true" if site else "false"}
""",
        encoding="utf-8",
    )


def add_episode(root: Path, make_mp3, stem: str, number: int, hz: int, more: str = "") -> None:
    episodes = root / "episodes"
    episodes.mkdir(exist_ok=True)
    date = f"2026-0{number}-12T10:00:00+03:00"
    text = EPISODE.format(title=f"Bölüm {number}", date=date, number=number, more=more)
    (episodes / f"{stem}.md").write_text(text, encoding="utf-8")
    shutil.copy(make_mp3(f"src-{hz}.mp3", seconds=1.0, hz=hz), episodes / f"{stem}.mp3")


@pytest.fixture
def workspace(tmp_path, make_mp3):
    """A small show: two episodes, the second with art, chapters and a transcript."""
    root = tmp_path / "show"
    (root / "feed").mkdir(parents=True)
    Image.new("RGB", (1400, 1400), (200, 30, 40)).save(root / "feed/cover.jpg", quality=60)
    add_episode(root, make_mp3, "izmir", 1, 440)
    chapters = 'chapters:\n  - {start: "00:00", title: "Giriş"}\n'
    add_episode(root, make_mp3, "baku", 2, 660, more=chapters)
    Image.new("RGB", (1400, 1400), (20, 30, 200)).save(root / "episodes/baku.jpg", quality=60)
    (root / "episodes/baku.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:00.400\nSalam\n")
    write_show(root, "file://public")
    return root


def fake_build(root: Path) -> list:
    """(Episode, record) for every ready episode, as build would leave them."""
    show = load_show(root)
    out = []
    for episode in load_episodes(show).ready(NOW):
        mp3 = show.build_dir / f"{episode.slug}.mp3"
        mp3.parent.mkdir(exist_ok=True)
        shutil.copy(episode.audio_path, mp3)
        if episode.chapters:
            chapters = {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Giriş"}]}
            mp3.with_name(f"{episode.slug}.chapters.json").write_text(json.dumps(chapters))
        record = Record(
            episode.slug, mp3, mp3.stat().st_size, sha(mp3), 0.5, sha(episode.audio_path)
        )
        out.append((episode, record))
    return out


def do_release(root: Path, now: dt.datetime = NOW, **options):
    show = load_show(root)
    target = open_show_target(show)
    return release(show, target, fake_build(root), now=now, **options)


def feed_items(data: bytes):
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed.entries


def test_first_publish_to_s3(workspace, s3):
    write_show(workspace, f"s3://{s3.bucket}/show")
    plan = do_release(workspace)
    objects = s3.objects("show/")
    feed = s3.client.get_object(Bucket=s3.bucket, Key="show/feed.xml")["Body"].read()
    entries = feed_items(feed)
    assert len(entries) == 2
    for entry in entries:
        (enclosure,) = entry.enclosures
        key = "show/" + enclosure.href.removeprefix("https://cdn.example.org/show/")
        assert objects[key]["ContentLength"] == int(enclosure.length)
        assert objects[key]["ContentType"] == enclosure.type == "audio/mpeg"
        assert "immutable" in objects[key]["CacheControl"]
    types = {k.removeprefix("show/"): o["ContentType"] for k, o in objects.items()}
    assert types[FEED_KEY] == "application/rss+xml"
    assert types["manifest.json"] == "application/json"
    assert types["chapters/baku.json"] == "application/json+chapters"
    assert types["transcripts/baku.vtt"] == "text/vtt"
    assert sum(t == "image/jpeg" for t in types.values()) == 2  # cover and episode art
    assert LOCK_KEY not in types
    assert "immutable" not in objects["show/feed.xml"]["CacheControl"]
    manifest = parse_manifest(
        s3.client.get_object(Bucket=s3.bucket, Key="show/manifest.json")["Body"].read(), "m"
    )
    assert manifest == plan.manifest
    assert {e.guid for e in entries} == {e.guid for e in manifest.episodes}
    # the local copies match what went up
    assert (workspace / "feed/feed.xml").read_bytes() == feed
    assert (workspace / "feed/manifest.json").read_bytes() == s3.client.get_object(
        Bucket=s3.bucket, Key="show/manifest.json"
    )["Body"].read()


def test_second_publish_uploads_nothing(workspace, s3, fault_proxy):
    write_show(workspace, f"s3://{s3.bucket}/show")
    do_release(workspace)
    fault_proxy.log.clear()
    plan = do_release(workspace)
    assert plan.up_to_date and plan.describe() == ["up to date: nothing to upload"]
    # not even the lock: a read-only plan found nothing to write
    assert fault_proxy.log and fault_proxy.mutating == []


def test_dry_run_makes_no_mutating_request(workspace, s3, fault_proxy):
    write_show(workspace, f"s3://{s3.bucket}/show")
    plan = do_release(workspace, dry_run=True)
    assert fault_proxy.log and fault_proxy.mutating == []
    text = "\n".join(plan.describe())
    assert "feed gains: izmir" in text and "feed gains: baku" in text
    assert "upload 6 object(s)" in text and "feed.xml: changed" in text
    assert s3.objects() == {}
    assert not (workspace / "feed/manifest.json").exists()


def test_rename_keeps_guid_and_leaves_one_item(workspace):
    first = do_release(workspace)
    guid = first.manifest.by_slug()["izmir"].guid
    old_key = first.manifest.by_slug()["izmir"].media_key
    for suffix in (".md", ".mp3"):
        (workspace / f"episodes/izmir{suffix}").rename(workspace / f"episodes/izmir-koy{suffix}")
    plan = do_release(workspace)
    assert [(a.slug, b.slug) for a, b in plan.changes.renamed] == [("izmir", "izmir-koy")]
    assert plan.manifest.by_slug()["izmir-koy"].guid == guid
    entries = feed_items((workspace / "public/feed.xml").read_bytes())
    assert sorted(e.guid for e in entries) == sorted(e.guid for e in first.manifest.episodes)
    assert (workspace / "public" / plan.manifest.by_slug()["izmir-koy"].media_key).is_file()
    # the old URL outlives the feeds directories cached: deleted after keep_old (7 days)
    assert (workspace / "public" / old_key).is_file()
    assert do_release(workspace, now=NOW + dt.timedelta(days=6)).up_to_date
    assert (workspace / "public" / old_key).is_file()
    later = do_release(workspace, now=NOW + dt.timedelta(days=7))
    assert later.deletes == [old_key] and not (workspace / "public" / old_key).exists()
    local = parse_manifest((workspace / "feed/manifest.json").read_bytes(), "m")
    assert local.retired == {} and local == later.manifest


def test_match_by_guid_then_source_then_number(workspace):
    plan = do_release(workspace)
    by_slug = plan.manifest.by_slug()
    episodes = {ep.slug: ep for ep, _ in fake_build(workspace)}
    moved = dataclasses.replace(episodes["izmir"], slug="new-name")
    assert match_live([(moved, None)], plan.manifest.episodes)["new-name"] == by_slug["izmir"]
    guid_field = dataclasses.replace(episodes["baku"], slug="x", guid=by_slug["izmir"].guid)
    assert match_live([(guid_field, None)], plan.manifest.episodes)["x"] == by_slug["izmir"]
    source = by_slug["baku"].source_sha256
    other = dataclasses.replace(episodes["izmir"], slug="y", episode=9)
    assert match_live([(other, source)], plan.manifest.episodes)["y"] == by_slug["baku"]
    assert (
        match_live([(dataclasses.replace(other, episode=None), None)], plan.manifest.episodes) == {}
    )


def test_removal_refused_then_allowed(workspace):
    do_release(workspace)
    meta = workspace / "episodes/izmir.md"
    meta.write_text(meta.read_text().replace("season: 1\n", "season: 1\ndraft: true\n"))
    with pytest.raises(PublishError, match="would drop live episode.*izmir") as caught:
        do_release(workspace)
    assert "--allow-removal" in caught.value.hint
    assert len(feed_items((workspace / "public/feed.xml").read_bytes())) == 2
    assert not (workspace / f"public/{LOCK_KEY}").exists()
    plan = do_release(workspace, allow_removal=True)
    assert [e.slug for e in plan.changes.removed] == ["izmir"]
    entries = feed_items((workspace / "public/feed.xml").read_bytes())
    assert [e.title for e in entries] == ["Bölüm 2"]
    assert list((workspace / "public/episodes").glob("izmir-*"))  # kept for cached feeds
    assert do_release(workspace, prune_now=True).deletes
    assert not list((workspace / "public/episodes").glob("izmir-*"))


def test_remastered_episode_gets_a_new_key_and_keeps_its_guid(workspace, make_mp3):
    first = do_release(workspace)
    shutil.copy(make_mp3("louder.mp3", seconds=1.2, hz=440), workspace / "episodes/izmir.mp3")
    plan = do_release(workspace)
    old, new = first.manifest.by_slug()["izmir"], plan.manifest.by_slug()["izmir"]
    assert new.guid == old.guid and new.published_at == old.published_at
    assert new.media_key != old.media_key
    assert [u.key for u in plan.uploads] == [new.media_key]
    assert plan.deletes == [] and list(plan.manifest.retired) == [old.media_key]


def test_a_failed_publish_leaves_the_old_feed_and_the_next_one_resumes(workspace, s3, fault_proxy):
    write_show(workspace, f"s3://{s3.bucket}/show")
    first = do_release(workspace)
    old_feed = s3.client.get_object(Bucket=s3.bucket, Key="show/feed.xml")["Body"].read()
    shutil.copy(workspace / "episodes/izmir.mp3", workspace / "episodes/sahil.mp3")
    (workspace / "episodes/sahil.md").write_text(
        EPISODE.format(title="Sahil", date="2026-03-12T10:00:00+03:00", number=3, more="")
    )
    (workspace / "episodes/izmir.md").unlink()
    (workspace / "episodes/izmir.mp3").unlink()
    # sahil has izmir's source audio: it is izmir renamed, and keeps its GUID
    fault_proxy.broken = lambda method, path: method == "PUT" and path.endswith("/feed.xml")
    with pytest.raises(StorageError):
        do_release(workspace, allow_removal=True)
    assert s3.client.get_object(Bucket=s3.bucket, Key="show/feed.xml")["Body"].read() == old_feed
    live = s3.objects("show/")
    for entry in feed_items(old_feed):  # every enclosure of the live feed is still there
        key = "show/" + entry.enclosures[0].href.removeprefix("https://cdn.example.org/show/")
        assert live[key]["ContentLength"] == int(entry.enclosures[0].length)
    assert (
        parse_manifest(
            live
            and s3.client.get_object(Bucket=s3.bucket, Key="show/manifest.json")["Body"].read(),
            "m",
        )
        == first.manifest
    )
    fault_proxy.broken = None
    fault_proxy.log.clear()
    plan = do_release(workspace, allow_removal=True)
    puts = [p for m, p in fault_proxy.log if m == "PUT"]
    assert not any("/episodes/" in p for p in puts)  # uploaded by the failed run, not again
    assert [(a.slug, b.slug) for a, b in plan.changes.renamed] == [("izmir", "sahil")]
    old_key = first.manifest.by_slug()["izmir"].media_key
    assert "show/" + old_key in s3.objects("show/") and old_key in plan.manifest.retired


def test_throttling_and_resets_during_publish_are_retried(workspace, s3, fault_proxy):
    write_show(workspace, f"s3://{s3.bucket}/show")
    fault_proxy.slow_down, fault_proxy.resets = 2, 1
    plan = do_release(workspace)
    assert (fault_proxy.slow_down, fault_proxy.resets) == (0, 0)
    for live in plan.manifest.episodes:
        body = s3.client.get_object(Bucket=s3.bucket, Key="show/" + live.media_key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == live.sha256


def test_refuses_a_non_empty_target_without_manifest(workspace):
    (workspace / "public").mkdir()
    (workspace / "public/old-episode.mp3").write_bytes(b"x")
    with pytest.raises(PublishError, match="no manifest.json"):
        do_release(workspace)
    assert not (workspace / "public/feed.xml").exists()


def test_lock_refuses_a_running_publish_and_takes_over_a_stale_one(workspace):
    show = load_show(workspace)
    target = open_show_target(show)
    with PublishLock(target, NOW):
        with pytest.raises(PublishError, match="another publish is running"):
            do_release(workspace)
    assert target.get(LOCK_KEY) is None
    stale = {"owner": "ci@runner (pid 7)", "since": (NOW - dt.timedelta(hours=2)).isoformat()}
    target.put(LOCK_KEY, json.dumps(stale).encode(), content_type="x/y", cache_control="no")
    plan = do_release(workspace)
    assert any("stale lock from ci@runner" in note for note in plan.notes)
    assert target.get(LOCK_KEY) is None


def test_secrets_never_reach_files(workspace, s3):
    write_show(workspace, f"s3://{s3.bucket}/show")
    do_release(workspace)
    files = [p for p in workspace.rglob("*") if p.is_file()]
    bodies = [s3.client.get_object(Bucket=s3.bucket, Key=k)["Body"].read() for k in s3.objects()]
    for data in [p.read_bytes() for p in files] + bodies:
        assert FAKE_SECRET.encode() not in data and FAKE_KEY_ID.encode() not in data


def test_local_feed_and_states_from_the_local_manifest(workspace, monkeypatch):
    import podcast_pipe.localfeed as localfeed
    import podcast_pipe.status as status

    records = {ep.slug: rec for ep, rec in fake_build(workspace)}
    show = load_show(workspace)
    episodes = load_episodes(show).ready(NOW)
    for module in (localfeed, status):
        monkeypatch.setattr(module, "read_record", lambda show, slug: records.get(slug))
    assert publish_states(show, episodes) == {"izmir": "built", "baku": "built"}
    do_release(workspace)
    published = (workspace / "feed/feed.xml").read_bytes()
    (workspace / "feed/feed.xml").unlink()
    write_feed(show, episodes, NOW)
    assert (workspace / "feed/feed.xml").read_bytes() == published
    assert publish_states(show, episodes) == {"izmir": "published", "baku": "published"}
    records["izmir"] = dataclasses.replace(records["izmir"], sha256="0" * 64)
    assert publish_states(show, episodes)["izmir"] == "changed since publish"


# --- end to end: the real build, through the command line -----------------------------------------


def run(root: Path, *args: str):
    from click.testing import CliRunner

    from podcast_pipe.cli import cli

    return CliRunner().invoke(cli, ["-C", str(root), *args])


def test_publish_command_end_to_end_on_s3(workspace, s3, fault_proxy):
    write_show(workspace, f"s3://{s3.bucket}/show")
    result = run(workspace, "publish", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "feed gains: izmir" in result.output and "dry run: nothing was changed" in result.output
    assert fault_proxy.mutating == [] and s3.objects() == {}
    result = run(workspace, "publish")
    assert result.exit_code == 0, result.output
    assert "published: https://cdn.example.org/show/feed.xml" in result.output
    built = load_show(workspace).build_dir
    feed = s3.client.get_object(Bucket=s3.bucket, Key="show/feed.xml")["Body"].read()
    for entry in feed_items(feed):  # the enclosures are the built, tagged MP3s, byte for byte
        key = entry.enclosures[0].href.removeprefix("https://cdn.example.org/show/")
        body = s3.client.get_object(Bucket=s3.bucket, Key="show/" + key)["Body"].read()
        slug = key.removeprefix("episodes/").rsplit("-", 1)[0]
        assert body == (built / f"{slug}.mp3").read_bytes()
        assert len(body) == int(entry.enclosures[0].length)
    fault_proxy.log.clear()
    result = run(workspace, "publish")
    assert result.exit_code == 0 and "up to date" in result.output
    assert fault_proxy.log and fault_proxy.mutating == []  # a no-op publish writes nothing
    result = run(workspace, "status")
    assert result.output.count("published") == 2, result.output


def test_storage_errors_through_the_command_are_one_line_without_secrets(
    workspace, s3, fault_proxy
):
    write_show(workspace, f"s3://{s3.bucket}/show")
    fault_proxy.broken = lambda method, path: True
    fault_proxy.broken_reply = (
        403,
        s3_error("SignatureDoesNotMatch", f"{FAKE_KEY_ID}:{FAKE_SECRET}"),
    )
    result = run(workspace, "publish")
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "secret key does not match" in line and "AWS_PROFILE" in line
    assert FAKE_SECRET not in result.output and FAKE_KEY_ID not in result.output


def test_feed_command_and_status_on_a_file_target(workspace):
    result = run(workspace, "feed")
    assert result.exit_code == 0 and result.output.strip().endswith("feed/feed.xml")
    assert feed_items((workspace / "feed/feed.xml").read_bytes()) == []  # nothing built yet
    result = run(workspace, "publish")
    assert result.exit_code == 0, result.output
    assert "published: http://127.0.0.1:8000/feed.xml" in result.output
    published = (workspace / "public/feed.xml").read_bytes()
    assert (workspace / "feed/feed.xml").read_bytes() == published
    (workspace / "feed/feed.xml").unlink()
    assert run(workspace, "feed").exit_code == 0
    assert (workspace / "feed/feed.xml").read_bytes() == published


def test_served_file_target_answers_the_feeds_enclosures_with_ranges(workspace):
    import threading
    import urllib.request

    from podcast_pipe.serve import make_server, preview_dir

    assert run(workspace, "publish").exit_code == 0
    server = make_server(preview_dir(load_show(workspace)), port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    here = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        feed = urllib.request.urlopen(here + "feed.xml", timeout=10).read()
        for entry in feed_items(feed):
            url = entry.enclosures[0].href.replace("http://127.0.0.1:8000/", here)
            request = urllib.request.Request(url, headers={"Range": "bytes=10-19"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 206 and response.headers["Content-Type"] == "audio/mpeg"
                path = workspace / "public" / url.removeprefix(here)
                assert response.read() == path.read_bytes()[10:20]
                assert response.headers["Content-Range"].endswith(f"/{entry.enclosures[0].length}")
    finally:
        server.shutdown()
        server.server_close()


def test_publish_refuses_a_show_with_problems_and_lists_them(workspace):
    meta = workspace / "episodes/izmir.md"
    meta.write_text(meta.read_text().replace("season: 1\n", "season: 1\ntittle: x\n"))
    (workspace / "episodes/baku.md").write_text("---\ntitle: B\n---\n")
    result = run(workspace, "publish")
    assert result.exit_code == 1
    assert "2 problem(s) to fix before publishing" in result.output
    assert "tittle" in result.output and "date" in result.output
    assert not (workspace / "public").exists() and not (workspace / "build").exists()


def test_publish_reads_podcast_toml_once_and_reports_each_object(workspace, monkeypatch):
    import tomllib

    reads = []
    real = tomllib.loads
    monkeypatch.setattr(tomllib, "loads", lambda text, **kw: reads.append(text) or real(text, **kw))
    result = run(workspace, "publish")
    assert result.exit_code == 0, result.output
    assert sum("[show]" in text for text in reads) == 1
    manifest = parse_manifest((workspace / "public/manifest.json").read_bytes(), "m")
    lines = result.output.splitlines()  # not a terminal: one plain line per object
    for key in [e.media_key for e in manifest.episodes] + [FEED_KEY, "manifest.json"]:
        assert f"uploaded {key}" in lines
