"""Tags of the Opus and AAC renditions through mutagen: the values the MP3's ID3 table holds.

Opus carries Vorbis comments and its cover as a ``METADATA_BLOCK_PICTURE`` (a FLAC picture
block, base64); the M4A carries iTunes MP4 atoms with ``covr``. Written after the last encode,
like the MP3's (audio tools drop or mangle tags).

Chapters, where the container has them: Opus as the Vorbis comment chapter extension
(``CHAPTER001=00:01:02.500``, ``CHAPTER001NAME``, ``CHAPTER001URL``: Xiph's wiki; AntennaPod
reads them); the M4A both as a QuickTime chapter track (Apple) and a Nero ``chpl`` atom
(AntennaPod, VLC), which ffmpeg writes in one remux (``-c copy``, bit-exact: the same bytes for
the same chapters) before mutagen writes the tags.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from mutagen.flac import Picture
from mutagen.id3 import PictureType
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus

from . import mediatypes
from .artwork import embedded_cover
from .chapters import TimedChapter, timeline
from .config import Show
from .episodes import Episode
from .ffmpeg import find_ffmpeg, run
from .tags import FIELDS, TagSource

# The ID3 table's rows (tags.FIELDS) each container has a place for → its key there.
VORBIS = {
    "title": "TITLE",
    "artist": "ARTIST",
    "album_artist": "ALBUMARTIST",
    "show": "ALBUM",
    "episode": "TRACKNUMBER",
    "season": "DISCNUMBER",
    "genre": "GENRE",
    "language": "LANGUAGE",
}
MP4_TEXT = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album_artist": "aART",
    "show": "\xa9alb",
    "genre": "\xa9gen",
}
MP4_NUMBERS = {"episode": "trkn", "season": "disk"}  # (number, total) pairs


def write_rendition_tags(
    path: Path,
    name: str,
    show: Show,
    episode: Episode,
    *,
    duration_s: float,
    offset_s: float,
    ffmpeg: str | None = None,
) -> None:
    """Replace the tags and chapters of rendition ``name`` ("opus" or "aac") at ``path`` with
    the episode's (``offset_s``: the intro's length, which shifts the chapters; ``ffmpeg``:
    the ``[audio] ffmpeg`` setting)."""
    values = _values(show, episode, duration_s)
    cover = embedded_cover(episode.image or show.image)
    chapters = timeline(episode, duration_s=duration_s, offset_s=offset_s)
    if name == "opus":
        _tag_opus(path, values, cover, chapters)
    else:
        if chapters:
            _mp4_chapters(path, chapters, find_ffmpeg(ffmpeg))
        _tag_mp4(path, values, cover)


def _values(show: Show, episode: Episode, duration_s: float) -> dict[str, str]:
    """The ID3 table's values by row name (the encoder line is the MP3's own: left out)."""
    source = TagSource(show, episode, duration_s, 0.0, None, "")
    rows = ((field.name, field.value(source)) for field in FIELDS)
    return {name: value for name, value in rows if value}


def _tag_opus(
    path: Path, values: dict[str, str], cover: bytes, chapters: list[TimedChapter]
) -> None:
    audio = OggOpus(path)
    audio.delete()
    for name, key in VORBIS.items():
        if name in values:
            audio[key] = [values[name]]
    for n, timed in enumerate(chapters, 1):
        key = f"CHAPTER{n:03d}"
        audio[key] = [_clock(timed.start_s)]
        audio[f"{key}NAME"] = [timed.chapter.title]
        if timed.chapter.url:
            audio[f"{key}URL"] = [timed.chapter.url]
    picture = Picture()
    picture.type, picture.mime, picture.data = PictureType.COVER_FRONT, mediatypes.JPEG, cover
    audio["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()


def _tag_mp4(path: Path, values: dict[str, str], cover: bytes) -> None:
    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    for name, key in MP4_TEXT.items():
        if name in values:
            audio[key] = [values[name]]
    for name, key in MP4_NUMBERS.items():
        if name in values:
            audio[key] = [(int(values[name]), 0)]
    audio["pcst"] = True  # iTunes' podcast flag, as the MP3 carries it
    audio["covr"] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_JPEG)]
    audio.save()


def _clock(seconds: float) -> str:
    """``HH:MM:SS.mmm``, as the Vorbis chapter extension writes a time."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _mp4_chapters(path: Path, chapters: list[TimedChapter], exe: str) -> None:
    """Remux the M4A at ``path`` with ``chapters`` (audio copied, not encoded again)."""
    listing = path.with_name(f".{path.name}.chapters")
    remuxed = path.with_name(f".{path.name}.remux")
    listing.write_text(_ffmetadata(chapters), encoding="utf-8")
    try:
        args = ["-i", path, "-f", "ffmetadata", "-i", listing, "-map", "0:a", "-map_metadata", "1", "-map_chapters",
                "1", "-c", "copy", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "ipod"]  # fmt: skip
        run([*args, remuxed], subject=path, exe=exe)
        os.replace(remuxed, path)
    finally:
        listing.unlink(missing_ok=True)
        remuxed.unlink(missing_ok=True)


def _ffmetadata(chapters: list[TimedChapter]) -> str:
    """An FFMETADATA file of the chapters, in milliseconds (the title's ``=;#\\`` and line
    breaks escaped)."""
    lines = [";FFMETADATA1"]
    for timed in chapters:
        title = "".join(f"\\{c}" if c in "=;#\\\n" else c for c in timed.chapter.title)
        start, end = round(timed.start_s * 1000), round(timed.end_s * 1000)
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", f"title={title}"]
    return "\n".join(lines) + "\n"
