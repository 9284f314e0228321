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


def plan(world, previous: Manifest = EMPTY, episodes=None) -> Plan:
    show, built, files = world
    return plan_release(
        show, built if episodes is None else episodes, previous, NOW, files.sources()
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


def test_a_remastered_episode_gets_a_new_key_and_the_old_one_is_deleted(world):
    first = plan(world)
    show, built, files = world
    izmir, record = built[0]
    louder = dataclasses.replace(record, sha256=sha(b"louder"), bytes=999)
    second = plan(world, first.manifest, [(izmir, louder), built[1]])
    new = second.manifest.by_slug()["izmir"]
    assert [u.key for u in second.uploads] == [new.media_key]
    assert second.deletes == [first.manifest.by_slug()["izmir"].media_key]
    assert new.guid == first.manifest.by_slug()["izmir"].guid


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
    assert second.deletes == [first.manifest.by_slug()["izmir"].media_key]


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
