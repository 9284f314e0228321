"""The Target protocol: the few object-store operations a publish needs, and the headers per key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# Media and images carry a content hash in their key (SPEC, published layout): cache them forever.
IMMUTABLE = "public, max-age=31536000, immutable"
# feed.xml, manifest.json, chapters and transcripts change in place: apps must re-check soon.
SHORT = "public, max-age=300"
IMMUTABLE_PREFIXES = ("episodes/", "images/")

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".xml": "application/rss+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",  # the website's (browsers refuse other stylesheet types)
    ".js": "text/javascript; charset=utf-8",
}
# Podcasting 2.0 chapters must be served as application/json+chapters (QUIRKS, Feed).
CHAPTERS_PREFIX = "chapters/"
CHAPTERS_TYPE = "application/json+chapters"

Progress = Callable[[int], None]  # called with the bytes sent since the last call


def content_type(key: str) -> str:
    """The Content-Type a podcast app expects for an object key (S3's default breaks apps)."""
    if key.startswith(CHAPTERS_PREFIX) and key.endswith(".json"):
        return CHAPTERS_TYPE
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def cache_control(key: str) -> str:
    return IMMUTABLE if key.startswith(IMMUTABLE_PREFIXES) else SHORT


@dataclass(frozen=True)
class ObjectInfo:
    """What HEAD says about an object."""

    key: str
    bytes: int
    content_type: str


class Target(Protocol):
    """A place to publish to. Keys are ``/``-separated and relative to the target's root."""

    url: str  # for messages; never carries credentials

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None if it does not exist."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """Size and content type, or None if the object does not exist."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write a small object whole, with the key's content type and cache policy."""
        ...

    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        """Upload a file (streamed, bounded memory), with the key's content type and cache policy."""
        ...

    def delete(self, keys: list[str]) -> None:
        """Delete objects; missing ones are not an error."""
        ...

    def list_keys(self, limit: int) -> list[str]:
        """Up to ``limit`` keys that exist under the target (to tell an empty target)."""
        ...
