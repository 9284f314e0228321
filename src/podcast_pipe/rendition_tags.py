"""Tags of the Opus and AAC renditions through mutagen: the values the MP3's ID3 table holds.

Opus carries Vorbis comments and its cover as a ``METADATA_BLOCK_PICTURE`` (a FLAC picture
block, base64); the M4A carries iTunes MP4 atoms with ``covr``. Written after the last encode,
like the MP3's (audio tools drop or mangle tags).
"""

from __future__ import annotations

import base64
from pathlib import Path

from mutagen.flac import Picture
from mutagen.id3 import PictureType
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus

from . import mediatypes
from .artwork import embedded_cover
from .config import Show
from .episodes import Episode
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
    path: Path, name: str, show: Show, episode: Episode, duration_s: float
) -> None:
    """Replace the tags of rendition ``name`` ("opus" or "aac") at ``path`` with the episode's."""
    values = _values(show, episode, duration_s)
    cover = embedded_cover(episode.image or show.image)
    if name == "opus":
        _tag_opus(path, values, cover)
    else:
        _tag_mp4(path, values, cover)


def _values(show: Show, episode: Episode, duration_s: float) -> dict[str, str]:
    """The ID3 table's values by row name (the encoder line is the MP3's own: left out)."""
    source = TagSource(show, episode, duration_s, 0.0, None, "")
    rows = ((field.name, field.value(source)) for field in FIELDS)
    return {name: value for name, value in rows if value}


def _tag_opus(path: Path, values: dict[str, str], cover: bytes) -> None:
    audio = OggOpus(path)
    audio.delete()
    for name, key in VORBIS.items():
        if name in values:
            audio[key] = [values[name]]
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
