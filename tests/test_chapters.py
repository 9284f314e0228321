"""Chapter timeline and Podcasting 2.0 JSON chapters (version 1.2.0)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from podcast_pipe.chapters import chapters_json, timeline
from podcast_pipe.episodes import Chapter, Episode
from podcast_pipe.errors import EpisodeError

# The JSON chapters format as the Podcasting 2.0 spec (chapters/jsonChapters.md) describes it.
CHAPTERS_SCHEMA = {
    "type": "object",
    "required": ["version", "chapters"],
    "properties": {
        "version": {"type": "string", "pattern": r"^1\.2\.0$"},
        "chapters": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["startTime"],
                "properties": {
                    "startTime": {"type": "number", "minimum": 0},
                    "endTime": {"type": "number", "minimum": 0},
                    "title": {"type": "string", "minLength": 1},
                    "img": {"type": "string", "pattern": "^https?://"},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "toc": {"type": "boolean"},
                },
                "additionalProperties": False,
            },
        },
    },
}


def episode_with(*chapters: Chapter, meta: Path = Path("episodes/bolum.md")) -> Episode:
    return Episode(
        slug="bolum",
        meta_path=meta,
        audio_path=meta.with_suffix(".wav"),
        title="Bölüm",
        date=dt.datetime(2026, 1, 12, 16, 3, tzinfo=dt.UTC),
        chapters=chapters,
    )


CHAPTERS = (
    Chapter(0, "Giriş"),
    Chapter(135.25, "Tarihi bağ", url="https://example.org/tarih"),
    Chapter(600, "Kapanış: İzmir ve Bakü", image=Path("kapanis.jpg")),
)


def test_json_chapters_validate_and_are_shifted_by_the_intro() -> None:
    document = chapters_json(
        episode_with(*CHAPTERS),
        duration_s=912.5,
        offset_s=8.4,
        image_url=lambda path: f"https://cdn.example.org/images/{path.stem}-0123abcd.jpg",
    )
    jsonschema.validate(document, CHAPTERS_SCHEMA)
    # Round-trips through JSON text unchanged, non-ASCII titles included.
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document
    assert document == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 8.4, "title": "Giriş"},
            {"startTime": 143.65, "title": "Tarihi bağ", "url": "https://example.org/tarih"},
            {
                "startTime": 608.4,
                "title": "Kapanış: İzmir ve Bakü",
                "img": "https://cdn.example.org/images/kapanis-0123abcd.jpg",
                "endTime": 912.5,
            },
        ],
    }
    starts = [c["startTime"] for c in document["chapters"]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_no_chapters_no_document() -> None:
    assert chapters_json(episode_with(), duration_s=60, offset_s=0) is None


def test_whole_seconds_are_integers_and_img_needs_a_url() -> None:
    document = chapters_json(episode_with(*CHAPTERS), duration_s=700, offset_s=0)
    assert document["chapters"][0]["startTime"] == 0
    assert isinstance(document["chapters"][0]["startTime"], int)
    assert "img" not in document["chapters"][2]


def test_timeline_ends_each_chapter_at_the_next_and_the_last_at_the_end() -> None:
    timed = timeline(episode_with(*CHAPTERS), duration_s=700, offset_s=5)
    assert [(t.start_s, t.end_s) for t in timed] == [(5, 140.25), (140.25, 605), (605, 700)]


def test_trimmed_leading_silence_moves_the_first_chapter_to_zero() -> None:
    timed = timeline(episode_with(*CHAPTERS), duration_s=700, offset_s=-1.5)
    assert [t.start_s for t in timed] == [0.0, 133.75, 598.5]


def test_a_chapter_past_the_end_names_file_and_field() -> None:
    with pytest.raises(EpisodeError) as caught:
        timeline(episode_with(*CHAPTERS), duration_s=605, offset_s=10)
    assert caught.value.field == "chapters[3].start"
    assert str(caught.value).startswith("episodes/bolum.md: chapters[3].start: chapter 'Kapanış")
