"""ID3 through mutagen: one table of fields → frames, written after the last encode.

Audio tools drop or mangle tags and covers, so the build tags the final MP3 (QUIRKS: ID3).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import langcodes
from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    PCST,
    TIT2,
    TXXX,
    WXXX,
    CTOCFlags,
    Encoding,
    Frame,
    Frames,
    ID3NoHeaderError,
    ID3v1SaveOptions,
    PictureType,
)
from mutagen.mp3 import MP3, BitrateMode
from PIL import Image

from . import __version__
from .artwork import embedded_cover
from .chapters import timeline
from .config import Show
from .episodes import Chapter, Episode
from .errors import AudioError
from .notes import notes_text

# UTF-16: ID3 v2.3 has no UTF-8, and Latin-1 cannot hold İ ı ş ğ Ə ə.
TEXT = Encoding.UTF16
GENRE = "Podcast"
TOC_TITLE = "Chapters"
CHAPTER_IMAGE_PX = 640
# CHAP offsets "not used": players seek by time (ID3 chapter frame addendum).
NO_OFFSET = 0xFFFFFFFF


@dataclass(frozen=True)
class TagSource:
    """Everything a tag value comes from."""

    show: Show
    episode: Episode
    guid: str
    duration_s: float
    loudness: dict | None
    encoding: str  # what the MP3's own header says: bitrate, mode, sample rate, channels


@dataclass(frozen=True)
class TagField:
    """One row of the table: the name ``read_tags`` shows, the ID3 frame, where the value comes from.

    ``frame`` is an ID3 frame id, or ``TXXX:DESC`` / ``COMM:DESC`` for frames told apart by
    their description.
    """

    name: str
    frame: str
    value: Callable[[TagSource], str | None]


def _number(value: int | None) -> str | None:
    return None if value is None else str(value)


def _publisher(s: TagSource) -> str:
    owner = s.show.owner
    return owner.name if owner and owner.name else s.show.author


def _feed_url(s: TagSource) -> str | None:
    return s.show.publish.feed_url if s.show.publish.base_url else None


def _show_guid(s: TagSource) -> str | None:
    # Without a base_url the computed podcast:guid would be that of a placeholder URL.
    return s.show.podcast_guid if s.show.guid or s.show.publish.base_url else None


def _loudness(s: TagSource) -> str | None:
    if not s.loudness:
        return None
    return ", ".join(
        f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
        for key, value in s.loudness.items()
    )


FIELDS: tuple[TagField, ...] = (
    TagField("title", "TIT2", lambda s: s.episode.title),
    TagField("artist", "TPE1", lambda s: s.show.author),
    TagField("album_artist", "TPE2", lambda s: s.show.author),
    TagField("show", "TALB", lambda s: s.show.title),
    TagField("episode", "TRCK", lambda s: _number(s.episode.episode)),
    TagField("season", "TPOS", lambda s: _number(s.episode.season)),
    # The day in the episode's own time zone: v2.3 cannot store seconds or a zone.
    TagField("date", "TDRC", lambda s: s.episode.date.date().isoformat()),
    TagField("genre", "TCON", lambda s: GENRE),
    TagField("language", "TLAN", lambda s: iso639_2(s.show.language)),
    TagField("summary", "COMM:", lambda s: s.episode.summary),
    # Players show TDES as plain text: Markdown notes rendered as the feed's description.
    TagField("description", "TDES", lambda s: notes_text(s.episode.notes) or None),
    TagField("copyright", "TCOP", lambda s: s.show.copyright),
    TagField("publisher", "TPUB", _publisher),
    TagField("website", "WOAS", lambda s: s.show.website),
    # iTunes' podcast frames: the flag and the feed a file came from.
    TagField("podcast", "PCST", lambda s: "1"),
    TagField("feed", "WFED", _feed_url),
    TagField("guid", "TXXX:EPISODE_GUID", lambda s: s.guid),
    TagField("show_guid", "TXXX:PODCAST_GUID", _show_guid),
    TagField("length_ms", "TLEN", lambda s: str(round(s.duration_s * 1000))),
    TagField("encoder", "TSSE", lambda s: s.encoding),
    TagField("loudness", "TXXX:LOUDNESS", _loudness),
)


def iso639_2(language: str) -> str | None:
    """The three-letter code ID3 wants for a BCP 47 tag (``tr-TR`` → ``tur``), None if unknown."""
    try:
        return langcodes.Language.get(language).to_alpha3()
    except (LookupError, ValueError):
        return None


def write_tags(
    mp3: Path,
    show: Show,
    episode: Episode,
    *,
    guid: str,
    duration_s: float,
    offset_s: float,
    loudness: dict | None = None,
) -> None:
    """Replace the MP3's tags with the episode's: the table's fields, cover art and chapters.

    ``offset_s`` (the intro's length) shifts the chapters; ``duration_s`` ends the last one.
    """
    source = TagSource(show, episode, guid, duration_s, loudness, _encoding(mp3))
    lang = iso639_2(show.language) or "und"
    tags = ID3()
    for field in FIELDS:
        value = field.value(source)
        if value:
            tags.add(_frame(field.frame, value, lang))
    tags.add(_cover(embedded_cover(episode.image or show.image)))
    for frame in _chapter_frames(episode, duration_s=duration_s, offset_s=offset_s):
        tags.add(frame)
    if show.audio.id3_version == 3:
        tags.update_to_v23()
    # v1=REMOVE: ID3v1 is Latin-1 only and would carry mangled titles.
    tags.save(mp3, v2_version=show.audio.id3_version, v1=ID3v1SaveOptions.REMOVE)


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
        value = _read(tags, field.frame)
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
        f"podcast-pipe {__version__}: MP3 {round(info.bitrate / 1000)} kbps {mode}, "
        f"{info.sample_rate} Hz, {channels}"
    )


def _frame(spec: str, value: str, lang: str) -> Frame:
    frame_id, _, desc = spec.partition(":")
    if frame_id == "TXXX":
        return TXXX(encoding=TEXT, desc=desc, text=[value])
    if frame_id == "COMM":
        return COMM(encoding=TEXT, lang=lang, desc=desc, text=[value])
    if frame_id == "PCST":
        return PCST(value=int(value))
    if frame_id.startswith("W"):
        return Frames[frame_id](url=value)
    return Frames[frame_id](encoding=TEXT, text=[value])


def _read(tags: ID3, spec: str) -> str | None:
    frame_id, _, desc = spec.partition(":")
    for frame in tags.getall(frame_id):
        if getattr(frame, "desc", "") != desc:
            continue
        if hasattr(frame, "text"):
            return "/".join(str(t) for t in frame.text)
        return str(frame.url if hasattr(frame, "url") else frame.value)
    return None


def _cover(data: bytes) -> APIC:
    # Type 3, front cover: ffmpeg writes 0 and some apps then show no art (QUIRKS: ID3).
    return APIC(
        encoding=Encoding.LATIN1,
        mime="image/jpeg",
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


def tag_report(info: dict[str, Any]) -> str:
    """``read_tags``' result as the lines ``podcast-pipe tags`` prints."""
    skip = {"id3_version", "cover", "chapters", "duration_s"}
    lines = [f"ID3 v{info['id3_version']}, {clock(info['duration_s'])}"]
    width = max(len(name) for name in info)
    lines += [
        f"{name.ljust(width)}  {_one_line(value)}"
        for name, value in info.items()
        if name not in skip
    ]
    cover = info["cover"]
    if cover:
        lines.append(
            f"{'cover'.ljust(width)}  {_describe_image(cover)}, picture type {cover['type']}"
        )
    else:
        lines.append(f"{'cover'.ljust(width)}  none")
    lines.append(f"chapters ({len(info['chapters'])}):")
    for n, chapter in enumerate(info["chapters"], 1):
        extra = [
            chapter["url"] or "",
            _describe_image(chapter["image"]) if chapter["image"] else "",
        ]
        times = f"{clock(chapter['start_s'])} – {clock(chapter['end_s'])}"
        lines.append("  ".join([f"{n:>3}", times, chapter["title"], *filter(None, extra)]))
    return "\n".join(lines)


def clock(seconds: float) -> str:
    """``H:MM:SS.mmm``: chapter times to the millisecond, as ID3 stores them."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02}.{ms % 1000:03}"


def _describe_image(image: dict[str, Any]) -> str:
    size_kb = image["bytes"] / 1000
    return f"{image['width']}×{image['height']} {image['format']} {image['mode']}, {size_kb:.0f} KB"


def _one_line(text: str, limit: int = 76) -> str:
    """Show notes and other long text shortened to one line for the report."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
