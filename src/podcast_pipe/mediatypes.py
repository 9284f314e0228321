"""The one table of media types: file suffix → MIME type, and a constant per type we name."""

from __future__ import annotations

from pathlib import PurePosixPath

MP3 = "audio/mpeg"
M4A = "audio/mp4"
OPUS = "audio/ogg"
RSS = "application/rss+xml"
JPEG = "image/jpeg"
PNG = "image/png"
VTT = "text/vtt"
SRT = "application/x-subrip"
JSON = "application/json"
# Podcasting 2.0 JSON chapters must be served as this type (QUIRKS, Feed).
JSON_CHAPTERS = "application/json+chapters"
HTML = "text/html; charset=utf-8"
CSS = "text/css; charset=utf-8"
JS = "text/javascript; charset=utf-8"
XML = "application/xml"
SVG = "image/svg+xml"
TEXT = "text/plain"
OCTET_STREAM = "application/octet-stream"

BY_SUFFIX = {
    ".mp3": MP3,
    ".m4a": M4A,
    ".opus": OPUS,
    ".ogg": OPUS,
    ".xml": RSS,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".png": PNG,
    ".vtt": VTT,
    ".srt": SRT,
    ".json": JSON,
    ".html": HTML,
    ".css": CSS,
    ".js": JS,
    ".svg": SVG,
}
TRANSCRIPT_SUFFIXES = (".vtt", ".srt")
# The types a Podcasting 2.0 podcast:transcript may declare (its HTML is without a charset).
TRANSCRIPT_TYPES = (VTT, SRT, JSON, "text/html", TEXT)


def for_suffix(name: str) -> str:
    """The media type of a file or key by its suffix; ``application/octet-stream`` if unknown."""
    return BY_SUFFIX.get(PurePosixPath(name).suffix.lower(), OCTET_STREAM)
