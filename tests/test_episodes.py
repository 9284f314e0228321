"""episodes/ → Episode: both layouts, strict front matter, slugs, pending audio."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from podcast_pipe.config import load_show
from podcast_pipe.episodes import (
    episode_guid,
    load_episodes,
    parse_timestamp,
    slugify,
)

SHOW_TOML = """
[show]
title = "Test Show"
description = "A show for tests."
author = "Tester"
language = "tr"
owner = { name = "Tester", email = "tester@example.org" }
"""

GOOD = """---
title: "İzmir ile Bakü: 40 Yıllık Kardeşlik"
date: 2026-01-12T16:03:00+03:00
episode: 1
season: 1
summary: "Kısa özet"
chapters:
  - {start: "00:00", title: "Giriş"}
  - {start: "02:15", title: "Tarihi bağ", url: "https://example.org"}
  - {start: "1:02:03.5", title: "Son"}
persons: [{name: "Perviz Altay", role: guest}]
---
Show **notes** with ğüşıöç.
"""


def make_show(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    (tmp_path / "podcast.toml").write_text(SHOW_TOML, encoding="utf-8")
    (tmp_path / "episodes").mkdir()
    for name, content in files.items():
        path = tmp_path / "episodes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


def catalog_of(tmp_path: Path, files: dict[str, str | bytes]):
    show = load_show(make_show(tmp_path, files))
    return show, load_episodes(show)


def messages(catalog) -> list[str]:
    return [str(e) for e in catalog.problems.errors]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("İzmir ve Bakü", "izmir-ve-baku"),
        ("Işık, Şehir & Göç", "isik-sehir-goc"),
        ("Əliyev və Ələkbərov", "eliyev-ve-elekberov"),
        ("ÇAĞRI ÖZÜ", "cagri-ozu"),
        ("01 - Kardeş  Şehirler!", "01-kardes-sehirler"),
        ("../../etc/passwd", "etc-passwd"),
        ("Straße Øresund", "strasse-oresund"),
    ],
)
def test_slugify_transliterates_turkish_and_azerbaijani(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_flat_and_bundle_layouts_mix(tmp_path: Path) -> None:
    show, catalog = catalog_of(
        tmp_path,
        {
            "İzmir ve Bakü.md": GOOD,
            "İzmir ve Bakü.flac": b"x",
            "İzmir ve Bakü.jpg": b"x",
            "İzmir ve Bakü.vtt": b"WEBVTT",
            "bundle/episode.md": GOOD.replace("episode: 1", "episode: 2"),
            "bundle/audio.opus": b"x",
            "bundle/art.png": b"x",
        },
    )
    assert messages(catalog) == []
    flat, bundle = sorted(catalog.episodes, key=lambda e: e.slug)[::-1]
    assert flat.slug == "izmir-ve-baku"
    assert flat.audio_path.name == "İzmir ve Bakü.flac"
    assert flat.image.name == "İzmir ve Bakü.jpg"
    assert flat.transcript.name == "İzmir ve Bakü.vtt"
    assert flat.date == dt.datetime(2026, 1, 12, 13, 3, tzinfo=dt.UTC)
    assert [c.start_s for c in flat.chapters] == [0, 135, 3723.5]
    assert flat.persons[0].name == "Perviz Altay" and flat.persons[0].role == "guest"
    assert flat.notes == "Show **notes** with ğüşıöç."
    assert bundle.slug == "bundle" and bundle.audio_path.name == "audio.opus"
    assert bundle.image.name == "art.png"


def test_audio_without_metadata_is_pending_not_an_error(tmp_path: Path) -> None:
    _, catalog = catalog_of(tmp_path, {"raw.wav": b"x", "folder/take.flac": b"x"})
    assert messages(catalog) == []
    assert sorted(p.name for p in catalog.pending) == ["raw.wav", "take.flac"]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("tittle: x\n", "tittle: unknown key — did you mean `title`?"),
        ("date: 2026-01-12T16:03:00\n", "date: 2026-01-12 16:03:00 has no time zone"),
        ("date: 2026-01-12\n", "date: 2026-01-12 has no time and no time zone"),
        ("episode: -1\n", "episode: must be a whole number"),
        ("episode: two\n", "episode: must be a whole number"),
        ("type: special\n", "type: unknown value 'special'"),
        ("explicit: maybe\n", "explicit: must be true or false"),
        ("image: missing.jpg\n", "image: file not found: missing.jpg"),
        ("chapters: {a: 1}\n", "chapters: must be a list"),
        (
            'chapters: [{start: "00:00", title: A}, {start: "00:00", title: B}]\n',
            "chapters[2].start: must be later",
        ),
        (
            'chapters: [{start: "00:05", title: A}]\n',
            "chapters[1].start: the first chapter must start at 00:00",
        ),
        ('chapters: [{start: "soon", title: A}]\n', "chapters[1].start: not a time"),
        ('chapters: [{start: "00:00"}]\n', "chapters[1].title: is required"),
        (
            'chapters: [{start: "00:00", title: A, ur: x}]\n',
            "chapters[1].ur: unknown key — did you mean `url`?",
        ),
        ("persons: [{role: guest}]\n", "persons[1]: needs a name"),
        ("soundbites: {start: 1}\n", "soundbites: must be a list"),
        ('soundbites: [{start: "later", duration: 30}]\n', "soundbites[1].start: not a time"),
        ("soundbites: [{start: 10, duration: 0}]\n", "soundbites[1].duration: not a length"),
        ("soundbites: [{start: 10, duration: 300}]\n", "soundbites[1].duration: not a length"),
        (
            "soundbites: [{start: 10, duration: 30, titel: x}]\n",
            "soundbites[1].titel: unknown key — did you mean `title`?",
        ),
        ("location: {name: Bakü, geo: 'north'}\n", "location.geo: not a geo URI: 'north'"),
        ("location: {geo: 'geo:40.4,49.8'}\n", "location.name: must be non-empty text"),
        ("license: {url: 'https://e.org/l'}\n", "license.identifier: must be non-empty text"),
        ("draft: 1\n", "draft: must be true or false"),
    ],
)
def test_front_matter_errors_name_file_field_and_fix(
    tmp_path: Path, front: str, expected: str
) -> None:
    base = 'title: "T"\ndate: 2026-01-12T16:03:00+03:00\n'
    keys = {line.split(":")[0] for line in front.splitlines()}
    lines = [line for line in base.splitlines() if line.split(":")[0] not in keys]
    text = "---\n" + "\n".join(lines) + "\n" + front + "---\nnotes\n"
    _, catalog = catalog_of(tmp_path, {"ep.md": text, "ep.wav": b"x"})
    found = messages(catalog)
    assert any(expected in m for m in found), found
    assert all(
        m.startswith(str(tmp_path / "episodes" / "ep.md")) or m.startswith("episodes")
        for m in found
    )
    assert catalog.episodes == []


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = "---\ntittle: x\ndate: 2026-01-12\nepisode: x\n---\n"
    _, catalog = catalog_of(tmp_path, {"ep.md": text})
    fields = [e.field for e in catalog.problems.errors]
    assert fields == ["tittle", "audio", "title", "date", "episode"]


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    text = '---\ntitle: "ok"\ndate: 2026-01-12T16:03:00+03:00\nsummary: [unclosed\n---\n'
    _, catalog = catalog_of(tmp_path, {"ep.md": text, "ep.wav": b"x"})
    assert "not valid YAML at line" in messages(catalog)[0]


def test_missing_front_matter_and_audio(tmp_path: Path) -> None:
    _, catalog = catalog_of(
        tmp_path, {"a.md": "just text", "b.md": GOOD, "b.wav": b"x", "b.mp3": b"x"}
    )
    found = "\n".join(messages(catalog))
    assert "a.md: has no front matter" in found
    assert "b.md: audio: more than one audio file named b.<ext>: b.mp3, b.wav" in found


def test_draft_may_wait_for_audio_but_others_may_not(tmp_path: Path) -> None:
    draft = GOOD.replace("season: 1", "season: 1\ndraft: true")
    _, catalog = catalog_of(
        tmp_path, {"a.md": draft, "b.md": GOOD.replace("episode: 1", "episode: 2")}
    )
    assert [e.slug for e in catalog.episodes] == ["a"]
    assert catalog.episodes[0].audio_path is None
    assert "draft has no audio file" in str(catalog.problems.warnings[0])
    assert "b.md: audio: no audio file named b.<ext>" in messages(catalog)[0]


def test_duplicate_slugs_and_episode_numbers(tmp_path: Path) -> None:
    _, catalog = catalog_of(
        tmp_path,
        {
            "Bakü.md": GOOD,
            "Bakü.wav": b"x",
            "baku/episode.md": GOOD.replace("episode: 1", "episode: 9"),
            "baku/a.wav": b"x",
            "other.md": GOOD,
            "other.wav": b"x",
        },
    )
    found = "\n".join(messages(catalog))
    assert "slug: slug 'baku' is also the slug of" in found
    assert "episode: episode 1 (season 1) is also used by" in found
    assert len(catalog.episodes) == 1


def test_same_number_in_another_season_or_as_a_bonus_is_fine(tmp_path: Path) -> None:
    _, catalog = catalog_of(
        tmp_path,
        {"a.md": GOOD, "a.wav": b"x",
         "b.md": GOOD.replace("season: 1", "season: 2"), "b.wav": b"x",
         "c.md": GOOD.replace("season: 1", "season: 1\ntype: bonus"), "c.wav": b"x"},
    )  # fmt: skip
    assert messages(catalog) == []
    assert len(catalog.episodes) == 3


def test_states_and_schedule(tmp_path: Path) -> None:
    future = GOOD.replace("2026-01-12", "2099-01-01")
    _, catalog = catalog_of(
        tmp_path,
        {
            "a.md": GOOD,
            "a.wav": b"x",
            "b.md": future.replace("episode: 1", "episode: 2"),
            "b.wav": b"x",
        },
    )
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert {e.slug: e.state(now) for e in catalog.episodes} == {"a": "ready", "b": "scheduled"}
    assert [e.slug for e in catalog.ready(now)] == ["a"]


def test_guid_field_wins_else_stable_uuid5(tmp_path: Path) -> None:
    show, catalog = catalog_of(
        tmp_path,
        {"a.md": GOOD.replace("season: 1", 'season: 1\nguid: "old-guid-1"'), "a.wav": b"x",
         "b.md": GOOD.replace("episode: 1", "episode: 2"), "b.wav": b"x"},
    )  # fmt: skip
    a, b = catalog.episodes
    assert episode_guid(show, a) == "old-guid-1"
    assert episode_guid(show, b) == episode_guid(show, b)
    assert episode_guid(show, b) != episode_guid(show, a)
    assert len(episode_guid(show, b)) == 36


def test_timestamps() -> None:
    assert parse_timestamp("02:15") == 135
    assert parse_timestamp("1:02:03.250") == 3723.25
    assert parse_timestamp(135) == 135  # YAML 1.1 reads unquoted 02:15 as 135
    assert parse_timestamp("2:75") is None
    assert parse_timestamp(True) is None


def test_soundbites_location_and_license_from_front_matter(tmp_path: Path) -> None:
    front = GOOD.replace(
        "persons:",
        'soundbites:\n  - {start: "01:08", duration: 45.5, title: "İlk gün"}\n'
        "  - {start: 300, duration: 30}\n"
        'location: {name: "Bakü", geo: "geo:40.4093,49.8671", osm: R1913779}\n'
        'license: "CC-BY-SA-4.0"\npersons:',
    )
    _, catalog = catalog_of(tmp_path, {"ep.md": front, "ep.wav": b"x"})
    assert messages(catalog) == []
    [episode] = catalog.episodes
    assert [(b.start_s, b.duration_s, b.title) for b in episode.soundbites] == [
        (68.0, 45.5, "İlk gün"),
        (300.0, 30.0, None),
    ]
    assert (episode.location.name, episode.location.osm) == ("Bakü", "R1913779")
    assert episode.license.identifier == "CC-BY-SA-4.0"
