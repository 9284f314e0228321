"""Planning without a target or a disk: files come from a dict, MP3s are only named.

Every path here is under a folder that is never created, so a plan that read the disk
(or the MP3s) would fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from conftest import Record
from podcast_pipe.chapters import Chapter
from podcast_pipe.config import SiteSettings
from podcast_pipe.manifest import Manifest
from podcast_pipe.publish import layout
from podcast_pipe.publish.plan import Plan, Sources, plan_release

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


class Files:
    """In-memory Sources: path → bytes; images are published as they are (jpg)."""

    def __init__(self, files: dict[Path, bytes]) -> None:
        self.files = files
        self.read: list[Path] = []

    def _read(self, path: Path) -> bytes | None:
        self.read.append(path)
        return self.files.get(path)

    def sources(self) -> Sources:
        def image(path: Path) -> tuple[bytes, str] | None:
            data = self._read(path)
            return None if data is None else (data, "jpg")

        return Sources(image=image, file=self._read)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def world(tmp_path: Path, make_show: Callable, make_episode: Callable):
    """A show with two built episodes, the second with art, chapters and a transcript.

    Without its website: the site's planning is tested with ``site_world``.
    """
    nowhere = tmp_path / "never-created"
    show = make_show(
        root=nowhere, image=nowhere / "feed/cover.jpg", site=SiteSettings(enabled=False)
    )
    izmir = make_episode("izmir", episode=1, date=dt.datetime(2026, 1, 12, tzinfo=dt.UTC))
    baku = make_episode(
        "baku",
        episode=2,
        date=dt.datetime(2026, 2, 12, tzinfo=dt.UTC),
        image=nowhere / "episodes/baku.jpg",
        transcript=nowhere / "episodes/baku.VTT",
        chapters=(Chapter(0, "Giriş"),),
    )
    records = {
        slug: Record(slug, nowhere / f"build/{slug}.mp3", 1000 + n, sha(slug.encode()), 60, f"s{n}")
        for n, slug in enumerate(["izmir", "baku"])
    }
    files = Files(
        {
            show.image: b"cover",
            baku.image: b"baku art",
            baku.transcript: b"WEBVTT\n",
            nowhere / "build/baku.chapters.json": b'{"chapters": []}',
        }
    )
    return show, [(izmir, records["izmir"]), (baku, records["baku"])], files


EMPTY = Manifest()


def plan(world, previous: Manifest = EMPTY, episodes=None, now=NOW, **options) -> Plan:
    show, built, files = world
    return plan_release(
        show, built if episodes is None else episodes, previous, now, files.sources(), **options
    )


def test_first_plan_uploads_everything_under_layout_keys(world):
    first = plan(world)
    media = {e.slug: e.media_key for e in first.manifest.episodes}
    assert media["izmir"] == "episodes/izmir-" + sha(b"izmir")[:8] + ".mp3"
    keys = [u.key for u in first.uploads]
    assert keys == sorted(
        [
            media["izmir"],
            media["baku"],
            "images/cover-" + sha(b"cover")[:8] + ".jpg",
            "images/baku-" + sha(b"baku art")[:8] + ".jpg",
            "chapters/baku.json",
            "transcripts/baku.vtt",
        ]
    )
    assert all(layout.row_for(key) for key in keys)
    # the MP3s are named by path, never read; the sidecars are the bytes the sources gave
    by_key = {u.key: u for u in first.uploads}
    assert by_key[media["baku"]].path == world[1][1][1].mp3 and by_key[media["baku"]].data is None
    assert by_key["transcripts/baku.vtt"].data == b"WEBVTT\n"
    assert first.deletes == [] and first.feed_changed
    entries = feedparser.parse(first.feed).entries
    assert [e.title for e in entries] == ["Bölüm: baku", "Bölüm: izmir"]
    assert first.manifest.feed_sha256 == sha(first.feed)
    show, built, files = world
    assert files.read and not [p for p in files.read if p.suffix == ".mp3"]


def test_planning_again_against_its_own_manifest_changes_nothing(world):
    first = plan(world)
    again = plan(world, first.manifest)
    assert again.up_to_date and again.uploads == [] and again.deletes == []
    assert again.feed == first.feed


def test_a_changed_sidecar_is_sent_again_under_the_same_key(world):
    first = plan(world)
    files = world[2]
    files.files[world[0].root / "build/baku.chapters.json"] = b'{"chapters": [1]}'
    second = plan(world, first.manifest)
    assert [u.key for u in second.uploads] == ["chapters/baku.json"]
    assert second.deletes == [] and [e.slug for e in second.changes.changed] == ["baku"]


def remastered(world) -> tuple[Plan, list, Plan]:
    """The first plan; the episodes with izmir re-mastered; the plan for them against the first."""
    first = plan(world)
    (izmir, record), baku = world[1]
    louder = [(izmir, dataclasses.replace(record, sha256=sha(b"louder"), bytes=999)), baku]
    return first, louder, plan(world, first.manifest, louder)


def test_a_remastered_episode_gets_a_new_key_and_the_old_one_is_kept_for_keep_old(world):
    first, louder, second = remastered(world)
    show, built, files = world
    new = second.manifest.by_slug()["izmir"]
    old_key = first.manifest.by_slug()["izmir"].media_key
    assert [u.key for u in second.uploads] == [new.media_key]
    assert new.guid == first.manifest.by_slug()["izmir"].guid
    # out of the feed, still on the target: cached feeds name it for hours
    assert second.deletes == [] and second.manifest.retired == {old_key: NOW.isoformat()}
    assert f"  {old_key}" in second.describe()
    assert old_key not in feedparser.parse(second.feed).entries[1].enclosures[0].href
    # 6 days later: nothing to do (no write); 7 days later: deleted
    later = plan(world, second.manifest, louder, now=NOW + dt.timedelta(days=6, hours=23))
    assert later.up_to_date and later.manifest.retired == second.manifest.retired
    due = plan(world, second.manifest, louder, now=NOW + dt.timedelta(days=7))
    assert due.deletes == [old_key] and due.manifest.retired == {} and not due.up_to_date
    assert due.retired == {old_key: NOW.isoformat()}  # a failed deletion is recorded again
    assert due.uploads == [] and not due.feed_changed
    # --prune-now deletes at once; keep_old = 0 likewise
    assert plan(world, first.manifest, louder, prune_now=True).deletes == [old_key]
    world = (replace_publish(show, keep_old=dt.timedelta(0)), built, files)
    assert plan(world, first.manifest, louder).deletes == [old_key]


def replace_publish(show, **settings):
    return dataclasses.replace(show, publish=dataclasses.replace(show.publish, **settings))


def test_an_object_back_in_the_feed_is_live_again_and_not_uploaded(world):
    first, _, second = remastered(world)
    undone = plan(world, second.manifest, world[1], now=NOW + dt.timedelta(days=1))
    back = first.manifest.by_slug()["izmir"].media_key
    assert undone.uploads == []  # still on the target
    assert undone.manifest.retired == {
        second.manifest.by_slug()["izmir"].media_key: (NOW + dt.timedelta(days=1)).isoformat()
    }
    assert back in undone.manifest.keys and undone.deletes == []


def test_changed_header_settings_are_applied_to_the_objects_already_there(world):
    first = plan(world, stores_headers=True)
    assert first.restyle == [] and first.manifest.headers["acl"] == ""
    assert plan(world, first.manifest, stores_headers=True).up_to_date
    show, built, files = world
    public = (replace_publish(show, acl="public-read"), built, files)
    second = plan(public, first.manifest, stores_headers=True)
    assert second.uploads == [] and not second.feed_changed and second.deletes == []
    assert second.restyle == sorted(first.manifest.keys | {layout.FEED_KEY})
    assert second.manifest.headers["acl"] == "public-read"
    text = "\n".join(second.describe())
    assert "headers and ACL 'public-read' to 7 object(s)" in text and "upload" not in text
    assert plan(public, second.manifest, stores_headers=True).up_to_date
    # a folder keeps no headers: nothing to apply, nothing recorded
    assert plan(public, first.manifest).restyle == []


def test_a_renamed_episode_keeps_its_guid_by_its_source_audio(world):
    first = plan(world)
    show, built, files = world
    (izmir, record), baku = built
    moved = dataclasses.replace(izmir, slug="izmir-koy", episode=7)
    second = plan(
        world, first.manifest, [(moved, dataclasses.replace(record, slug="izmir-koy")), baku]
    )
    assert [(a.slug, b.slug) for a, b in second.changes.renamed] == [("izmir", "izmir-koy")]
    assert second.manifest.by_slug()["izmir-koy"].guid == first.manifest.by_slug()["izmir"].guid
    assert list(second.manifest.retired) == [first.manifest.by_slug()["izmir"].media_key]


def test_episodes_without_a_build_stay_as_live_or_stay_out(world):
    first = plan(world)
    show, built, files = world
    (izmir, _), (baku, _) = built
    kept = plan(world, first.manifest, [(izmir, None), (baku, None)])
    assert kept.manifest.episodes == first.manifest.episodes and kept.uploads == []
    assert plan(world, Manifest(), [(izmir, None)]).manifest.episodes == ()


def test_no_cover_and_no_sidecars_when_the_sources_have_none(world):
    world[2].files.clear()
    bare = plan(world)
    assert bare.manifest.cover_key is None
    assert [u.key for u in bare.uploads] == sorted(e.media_key for e in bare.manifest.episodes)
