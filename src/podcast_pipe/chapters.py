"""Chapter and soundbite times in the published audio, and Podcasting 2.0 JSON chapters.

The ID3 form (CHAP + CTOC frames) is written by tags.py from the same timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .episodes import Chapter, Episode, Soundbite
from .errors import EpisodeError

JSON_VERSION = "1.2.0"


@dataclass(frozen=True)
class TimedChapter:
    """A chapter placed in the published audio: start and end in seconds."""

    chapter: Chapter
    start_s: float
    end_s: float


def timeline(episode: Episode, *, duration_s: float, offset_s: float) -> list[TimedChapter]:
    """Chapters shifted by ``offset_s`` (intro, trimmed silence), each ending where the next starts.

    The last one ends at ``duration_s``; one that would start after the end is an error.
    """
    if not episode.chapters:
        return []
    # A negative offset (leading silence trimmed, no intro) moves the first chapter to 0.
    starts = [max(0.0, chapter.start_s + offset_s) for chapter in episode.chapters]
    for n, (chapter, start) in enumerate(zip(episode.chapters, starts, strict=True), 1):
        if start >= duration_s:
            raise EpisodeError(
                f"chapter {chapter.title!r} starts at {start:.1f} s in the published audio, "
                f"which ends at {duration_s:.1f} s",
                path=episode.meta_path,
                field=f"chapters[{n}].start",
                hint="fix the time or remove the chapter",
            )
    ends = [*starts[1:], duration_s]
    return [
        TimedChapter(chapter, start, end)
        for chapter, start, end in zip(episode.chapters, starts, ends, strict=True)
    ]


def soundbite_timeline(
    episode: Episode, *, duration_s: float, offset_s: float
) -> list[tuple[Soundbite, float]]:
    """Each soundbite with its start in the published audio (shifted like the chapters).

    A clip that would run past the end of the audio is an error naming the soundbite.
    """
    placed = []
    for n, bite in enumerate(episode.soundbites, 1):
        start = max(0.0, bite.start_s + offset_s)
        if start + bite.duration_s > duration_s:
            raise EpisodeError(
                f"soundbite {n} runs to {start + bite.duration_s:.1f} s in the published audio, "
                f"which ends at {duration_s:.1f} s",
                path=episode.meta_path,
                field=f"soundbites[{n}]",
                hint="fix its start or duration, or remove it",
            )
        placed.append((bite, start))
    return placed


def chapters_json(
    episode: Episode,
    *,
    duration_s: float,
    offset_s: float,
    image_url: Callable[[Path], str] | None = None,
) -> dict[str, Any] | None:
    """Podcasting 2.0 JSON chapters (version 1.2.0), or None when there are no chapters.

    ``image_url`` maps a chapter image file to its public URL; without it ``img`` is left out.
    """
    timed = timeline(episode, duration_s=duration_s, offset_s=offset_s)
    if not timed:
        return None
    items: list[dict[str, Any]] = []
    for entry in timed:
        item: dict[str, Any] = {"startTime": _seconds(entry.start_s), "title": entry.chapter.title}
        if entry.chapter.url:
            item["url"] = entry.chapter.url
        if entry.chapter.image and image_url:
            item["img"] = image_url(entry.chapter.image)
        items.append(item)
    items[-1]["endTime"] = _seconds(duration_s)
    return {"version": JSON_VERSION, "chapters": items}


def _seconds(value: float) -> int | float:
    """Seconds to the millisecond, as an int when whole (``0`` rather than ``0.0``)."""
    value = round(float(value), 3)
    return int(value) if value.is_integer() else value
