"""ID3 through mutagen: one table of fields, each declared once with how it is stored.

``FIELDS`` says what goes in (the value) and how (the storage style: text, TXXX or the podcast
flag); ``write_tags`` writes it, ``read_tags`` reads it back, ``tag_key`` hashes it
for the build's cache. The tags are written after the last encode.

Audio tools drop or mangle tags and covers, so the build tags the final MP3 (QUIRKS: ID3).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import langcodes
from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    CTOC,
    ID3,
    TIT2,
    WXXX,
    CTOCFlags,
    Encoding,
    Frame,
    ID3NoHeaderError,
    ID3v1SaveOptions,
    PictureType,
)
from mutagen.mp3 import MP3, BitrateMode
from PIL import Image

from . import mediatypes
from .artwork import embedded_cover
from .chapters import timeline
from .config import Show
from .episodes import Chapter, Episode
from .errors import AudioError
from .files import sha256_bytes, sha256_file
from .id3styles import TEXT, PodcastFlag, Storage, TextFrame, UserText

GENRE = "Podcast"
TOC_TITLE = "Chapters"
CHAPTER_IMAGE_PX = 640
# Bump by hand when the same values would be written differently (frame layout, cover
# conversion, chapter frames): every MP3 is re-tagged once, and so re-published (CHANGELOG).
TAG_VERSION = 2  # 2: feed-only fields and the version number left the MP3
# CHAP offsets "not used": players seek by time (ID3 chapter frame addendum).
NO_OFFSET = 0xFFFFFFFF


@dataclass(frozen=True)
class TagSource:
    """Everything a tag value comes from."""

    show: Show
    episode: Episode
    duration_s: float
    offset_s: float  # the intro's length: shifts the chapters
    loudness: dict | None
    encoding: str  # what the MP3's own header says: bitrate, mode, sample rate, channels


@dataclass(frozen=True)
class TagField:
    """One row of the table: the name ``read_tags`` shows, how it is stored, its value's source."""

    name: str
    storage: Storage
    value: Callable[[TagSource], str | None]


def _number(value: int | None) -> str | None:
    return None if value is None else str(value)


def _loudness(s: TagSource) -> str | None:
    if not s.loudness:
        return None
    return ", ".join(
        f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
        for key, value in s.loudness.items()
    )


# What the MP3 carries: what identifies the audio in a player or a music library, and what is
# measured from the audio itself. The MP3's bytes are its URL (episodes/<slug>-<hash8>.mp3), so
# feed-only metadata stays out: show notes, summary, date, copyright, publisher, website, the feed
# URL and the GUIDs (derived from the feed URL until pinned) live in feed.xml, where editing them
# re-uploads only the feed.
# No version number either: an upgrade of podcast-pipe must not re-tag the back catalogue.
FIELDS: tuple[TagField, ...] = (
    TagField("title", TextFrame("TIT2"), lambda s: s.episode.title),
    TagField("artist", TextFrame("TPE1"), lambda s: s.show.author),
    TagField("album_artist", TextFrame("TPE2"), lambda s: s.show.author),
    TagField("show", TextFrame("TALB"), lambda s: s.show.title),
    TagField("episode", TextFrame("TRCK"), lambda s: _number(s.episode.episode)),
    TagField("season", TextFrame("TPOS"), lambda s: _number(s.episode.season)),
    TagField("genre", TextFrame("TCON"), lambda s: GENRE),
    TagField("language", TextFrame("TLAN"), lambda s: iso639_2(s.show.language)),
    # iTunes' podcast flag: some players file the MP3 under podcasts only with it.
    TagField("podcast", PodcastFlag(), lambda s: "1"),
    TagField("length_ms", TextFrame("TLEN"), lambda s: str(round(s.duration_s * 1000))),
    TagField("encoder", TextFrame("TSSE"), lambda s: s.encoding),
    TagField("loudness", UserText("LOUDNESS"), _loudness),
)


def iso639_2(language: str) -> str | None:
    """The three-letter code ID3 wants for a BCP 47 tag (``tr-TR`` → ``tur``), None if unknown."""
    try:
        return langcodes.Language.get(language).to_alpha3()
    except (LookupError, ValueError):
        return None


def write_tags(mp3: Path, show: Show, episode: Episode, **values: Any) -> None:
    """Replace the MP3's tags with the episode's: the table's fields, cover art and chapters.

    ``values``: ``duration_s`` (ends the last chapter), ``offset_s`` (the intro's
    length: shifts the chapters) and ``loudness`` (optional), as ``tag_source`` takes them.
    """
    source = tag_source(mp3, show, episode, **values)
    lang = iso639_2(show.language) or "und"
    tags = ID3()
    for field, value in _rows(source):
        tags.add(field.storage.make(value, lang))
    tags.add(_cover(embedded_cover(_cover_path(source))))
    for frame in _chapter_frames(episode, duration_s=source.duration_s, offset_s=source.offset_s):
        tags.add(frame)
    if show.audio.id3_version == 3:
        tags.update_to_v23()
    # v1=REMOVE: ID3v1 is Latin-1 only and would carry mangled titles.
    tags.save(mp3, v2_version=show.audio.id3_version, v1=ID3v1SaveOptions.REMOVE)


def tag_key(mp3: Path, show: Show, episode: Episode, **values: Any) -> str:
    """A hash of exactly what ``write_tags`` would write into ``mp3`` (with ``TAG_VERSION``).

    The rows of the table, the images by their bytes' hashes and the chapter frames' values:
    nothing else, so settings the tags do not hold (``[publish] concurrency``) re-tag nothing.
    ``values`` as for ``write_tags``.
    """
    source = tag_source(mp3, show, episode, **values)
    timed = timeline(episode, duration_s=source.duration_s, offset_s=source.offset_s)
    chapters = [
        (round(t.start_s * 1000), round(t.end_s * 1000), t.chapter.title, t.chapter.url,
         sha256_file(t.chapter.image) if t.chapter.image else None)
        for t in timed
    ]  # fmt: skip
    rows = [(field.name, value) for field, value in _rows(source)]
    written = [TAG_VERSION, show.audio.id3_version, rows, sha256_file(_cover_path(source))]
    return sha256_bytes(json.dumps([*written, chapters], ensure_ascii=False).encode())


def tag_source(
    mp3: Path,
    show: Show,
    episode: Episode,
    *,
    duration_s: float,
    offset_s: float,
    loudness: dict | None = None,
) -> TagSource:
    """What the tags of ``mp3`` are made from; the encoder line is read from its own header."""
    return TagSource(show, episode, duration_s, offset_s, loudness, _encoding(mp3))


def _rows(source: TagSource) -> list[tuple[TagField, str]]:
    """The table's fields that have a value for this episode, rendered."""
    rows = [(field, field.value(source)) for field in FIELDS]
    return [(field, value) for field, value in rows if value]


def _cover_path(source: TagSource) -> Path:
    return source.episode.image or source.show.image


def read_tags(mp3: Path) -> dict[str, Any]:
    """What a file carries: the table's fields, ID3 version, duration, cover and chapters."""
    try:
        duration_s = MP3(mp3).info.length
        tags = ID3(mp3)
    except ID3NoHeaderError:
        raise AudioError(
            "has no ID3 tag", path=mp3, hint="build it with `podcast-pipe build`"
        ) from None
    except MutagenError as exc:
        raise AudioError(
            f"cannot be read as an MP3 ({exc})", path=mp3, hint="pass a published .mp3 file"
        ) from None
    result: dict[str, Any] = {"id3_version": f"2.{tags.version[1]}", "duration_s": duration_s}
    for field in FIELDS:
        value = field.storage.read(tags)
        if value is not None:
            result[field.name] = value
    result["cover"] = _read_cover(tags)
    result["chapters"] = _read_chapters(tags)
    return result


def _encoding(mp3: Path) -> str:
    try:
        info = MP3(mp3).info
    except MutagenError as exc:
        raise AudioError(
            f"cannot be read as an MP3 ({exc})", path=mp3, hint="encode it again"
        ) from None
    mode = "VBR" if info.bitrate_mode == BitrateMode.VBR else "CBR"
    channels = "mono" if info.channels == 1 else "stereo"
    return (
        f"podcast-pipe: MP3 {round(info.bitrate / 1000)} kbps {mode}, "
        f"{info.sample_rate} Hz, {channels}"
    )


def _cover(data: bytes) -> APIC:
    # Type 3, front cover: ffmpeg writes 0 and some apps then show no art (QUIRKS: ID3).
    return APIC(
        encoding=Encoding.LATIN1,
        mime=mediatypes.JPEG,
        type=PictureType.COVER_FRONT,
        desc="",
        data=data,
    )


def _chapter_frames(episode: Episode, *, duration_s: float, offset_s: float) -> list[Frame]:
    """One CHAP per chapter plus the CTOC (top-level, ordered) without which apps ignore them."""
    timed = timeline(episode, duration_s=duration_s, offset_s=offset_s)
    if not timed:
        return []
    ids = [f"chp{n}" for n in range(len(timed))]
    chaps = [
        CHAP(
            element_id=element_id,
            start_time=round(entry.start_s * 1000),
            end_time=round(entry.end_s * 1000),
            start_offset=NO_OFFSET,
            end_offset=NO_OFFSET,
            sub_frames=_chapter_sub_frames(entry.chapter),
        )
        for element_id, entry in zip(ids, timed, strict=True)
    ]
    toc = CTOC(
        element_id="toc",
        flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
        child_element_ids=ids,
        sub_frames=[TIT2(encoding=TEXT, text=[TOC_TITLE])],
    )
    return [toc, *chaps]


def _chapter_sub_frames(chapter: Chapter) -> list[Frame]:
    frames: list[Frame] = [TIT2(encoding=TEXT, text=[chapter.title])]
    if chapter.url:
        frames.append(WXXX(encoding=TEXT, desc="", url=chapter.url))
    if chapter.image:
        frames.append(_cover(embedded_cover(chapter.image, max_px=CHAPTER_IMAGE_PX)))
    return frames


def _read_cover(tags: ID3) -> dict[str, Any] | None:
    pictures = tags.getall("APIC")
    if not pictures:
        return None
    picture = next((p for p in pictures if p.type == PictureType.COVER_FRONT), pictures[0])
    return {"type": int(picture.type), "mime": picture.mime, **_image_info(picture.data)}


def _image_info(data: bytes) -> dict[str, Any]:
    """Format, size and colour mode of an embedded picture (other tools may embed junk)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            size, fmt, mode = image.size, image.format, image.mode
    except (OSError, ValueError):
        size, fmt, mode = (0, 0), "unreadable", "-"
    return {"format": fmt, "width": size[0], "height": size[1], "mode": mode, "bytes": len(data)}


def _read_chapters(tags: ID3) -> list[dict[str, Any]]:
    """Chapters in the order of the top-level CTOC, else by start time."""
    chaps = {chap.element_id: chap for chap in tags.getall("CHAP")}
    toc = next((t for t in tags.getall("CTOC") if t.flags & CTOCFlags.TOP_LEVEL), None)
    if toc:
        order = [chaps[i] for i in toc.child_element_ids if i in chaps]
    else:
        order = sorted(chaps.values(), key=lambda c: c.start_time)
    return [_read_chapter(chap) for chap in order]


def _read_chapter(chap: CHAP) -> dict[str, Any]:
    title = chap.sub_frames.getall("TIT2")
    url = chap.sub_frames.getall("WXXX")
    pictures = chap.sub_frames.getall("APIC")
    return {
        "id": chap.element_id,
        "start_s": chap.start_time / 1000,
        "end_s": chap.end_time / 1000,
        "title": str(title[0]) if title else "",
        "url": url[0].url if url else None,
        "image": _image_info(pictures[0].data) if pictures else None,
    }
