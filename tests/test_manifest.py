"""The manifest: byte-stable JSON, damage reported with the file, diffs by GUID."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from podcast_pipe.errors import PublishError
from podcast_pipe.manifest import (
    LiveEpisode,
    Manifest,
    diff,
    dump_manifest,
    parse_manifest,
    read_local,
    retired_objects,
    write_local,
)

WEEK = dt.timedelta(days=7)


def live(slug: str, guid: str, sha: str = "a" * 64, **more) -> LiveEpisode:
    return LiveEpisode(
        guid=guid,
        slug=slug,
        media_key=f"episodes/{slug}-{sha[:8]}.mp3",
        bytes=1234,
        sha256=sha,
        duration_s=61.5,
        source_sha256="s" * 64,
        published_at="2026-01-12T13:03:00+00:00",
        **more,
    )


MANIFEST = Manifest(
    episodes=(
        live(
            "izmir-ve-baku", "g1", season=1, episode=1, chapters_key="chapters/izmir-ve-baku.json"
        ),
        live("xezerden-salam", "g2", image_key="images/xezerden-salam-12345678.jpg"),
    ),
    cover_key="images/cover-87654321.jpg",
    feed_sha256="f" * 64,
    retired={"episodes/izmir-ve-baku-bbbbbbbb.mp3": "2026-11-26T12:00:00+00:00"},
    headers={"acl": "public-read", "headers": "0123abcd"},
)


def test_round_trip_is_byte_stable(tmp_path):
    data = dump_manifest(MANIFEST)
    assert parse_manifest(data, "manifest.json") == MANIFEST
    assert dump_manifest(parse_manifest(data, "manifest.json")) == data
    path = tmp_path / "feed/manifest.json"
    write_local(path, MANIFEST)
    assert path.read_bytes() == data
    assert read_local(path) == MANIFEST
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]


def test_keys_name_every_live_object():
    assert MANIFEST.keys == {
        "episodes/izmir-ve-baku-aaaaaaaa.mp3",
        "chapters/izmir-ve-baku.json",
        "episodes/xezerden-salam-aaaaaaaa.mp3",
        "images/xezerden-salam-12345678.jpg",
        "images/cover-87654321.jpg",
    }


def test_the_website_is_recorded_by_key_and_hash():
    site = {"index.html": "1" * 64, "images/card-show-22222222.jpg": "2" * 64}
    manifest = dataclasses.replace(MANIFEST, site=site)
    assert manifest.keys == MANIFEST.keys | set(site)  # retired pages are deleted like the rest
    data = dump_manifest(manifest)
    assert json.loads(data)["site"] == site
    assert parse_manifest(data, "m") == manifest != MANIFEST
    assert parse_manifest(dump_manifest(MANIFEST), "m").site == {}


def test_retired_objects_are_stored_not_live_and_listed_with_their_deadline():
    old = "episodes/izmir-ve-baku-bbbbbbbb.mp3"
    assert old not in MANIFEST.keys and MANIFEST.stored == MANIFEST.keys | {old}
    (retired,) = retired_objects(MANIFEST, dt.timedelta(days=7))
    left = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    assert (retired.key, retired.left_at, retired.delete_after) == (old, left, left + WEEK)
    # a manifest from before the grace period has none, and records no header settings
    raw = json.loads(dump_manifest(MANIFEST))
    del raw["retired"], raw["headers"]
    older = parse_manifest(json.dumps(raw).encode(), "m")
    assert (older.retired, older.headers) == ({}, {})


def test_missing_local_copy_is_an_empty_manifest(tmp_path):
    assert read_local(tmp_path / "manifest.json") == Manifest()


def test_unknown_keys_survive_a_rewrite():
    raw = json.loads(dump_manifest(MANIFEST))
    raw["added_by_a_newer_release"] = {"x": 1}
    again = json.loads(dump_manifest(parse_manifest(json.dumps(raw).encode(), "m")))
    assert again["added_by_a_newer_release"] == {"x": 1}


@pytest.mark.parametrize(
    "data",
    [
        b"{not json",
        b'{"episodes": [{"slug": "x"}]}',
        b"[]",
        b"\xff\xfe",
        b'{"episodes": [], "site": ["index.html"]}',
        b'{"episodes": [], "retired": ["x"]}',
    ],
)
def test_damaged_manifest_names_the_source(data):
    with pytest.raises(PublishError, match="damaged manifest") as caught:
        parse_manifest(data, "s3://bucket/show/manifest.json")
    assert caught.value.path == "s3://bucket/show/manifest.json"
    assert "feed/manifest.json" in caught.value.hint


def test_newer_manifest_version_is_refused():
    raw = json.loads(dump_manifest(MANIFEST))
    raw["version"] = 99
    with pytest.raises(PublishError, match="newer"):
        parse_manifest(json.dumps(raw).encode(), "m")


def test_diff_by_guid():
    old = MANIFEST
    renamed = dataclasses.replace(
        old.episodes[0], slug="izmir-baku", media_key="episodes/izmir-baku-aaaaaaaa.mp3"
    )
    new = Manifest(episodes=(renamed, live("sahil", "g3")))
    changes = diff(old, new)
    assert [e.slug for e in changes.added] == ["sahil"]
    assert [e.slug for e in changes.removed] == ["xezerden-salam"]
    assert [(a.slug, b.slug) for a, b in changes.renamed] == [("izmir-ve-baku", "izmir-baku")]
    assert changes.changed == ()
    remastered = dataclasses.replace(old.episodes[1], sha256="b" * 64)
    changes = diff(old, Manifest(episodes=(old.episodes[0], remastered)))
    assert [e.slug for e in changes.changed] == ["xezerden-salam"]
    assert changes and not diff(old, old)
