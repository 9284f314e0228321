"""The published layout: which key holds what, with which headers, and what never changes.

One row per kind of object. A key is made from a row's pattern and read back by matching it,
so ``publish`` (what to upload, how to send it) and ``serve`` (how to answer for it) agree.
Content-hashed keys are immutable (cached for a year); the rest change in place (5 minutes).
New kinds of objects (feed archive pages, other renditions) are new rows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .. import mediatypes
from ..files import sha256_bytes

IMMUTABLE = "public, max-age=31536000, immutable"
# feed.xml, manifest.json, chapters and transcripts change in place: apps must re-check soon.
SHORT = "public, max-age=300"

# What a pattern's fields may hold: slugs and names never contain "/", hashes are 8 hex digits.
FIELDS = {"hash8": "[0-9a-f]{8}", "ext": r"\.[a-z0-9]+", "picture": "(?:card|thumb)"}
ANY_NAME = "[^/]+"


@dataclass(frozen=True)
class Row:
    """One kind of published object: its key pattern, whether it is immutable, its type.

    ``content_type`` None means: by the key's suffix (mediatypes).
    """

    kind: str
    pattern: str  # e.g. "episodes/{slug}-{hash8}{ext}"
    immutable: bool = False
    content_type: str | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{(\w+)\}", self.pattern)
        source = "".join(
            FIELDS.get(part, ANY_NAME) if odd else re.escape(part)
            for odd, part in ((i % 2, p) for i, p in enumerate(parts))
        )
        object.__setattr__(self, "regex", re.compile(source))

    def key(self, **fields: str) -> str:
        """The key for these fields; ``hash8`` may be given a whole sha256 (cut to 8)."""
        if "hash8" in fields:
            fields["hash8"] = fields["hash8"][:8]
        return self.pattern.format(**fields)


MEDIA = Row("media", "episodes/{slug}-{hash8}{ext}", immutable=True)
IMAGE = Row("image", "images/{name}-{hash8}{ext}", immutable=True)
# Podcasting 2.0 chapters must be served as application/json+chapters (QUIRKS, Feed).
CHAPTERS = Row("chapters", "chapters/{slug}.json", content_type=mediatypes.JSON_CHAPTERS)
TRANSCRIPT = Row("transcript", "transcripts/{slug}{ext}")
FEED = Row("feed", "feed.xml")
MANIFEST = Row("manifest", "manifest.json")
LOCK = Row("lock", "publish.lock")
# The website (site/): pages change in place; its pictures (share cards, page thumbnails) carry
# their hash like the show's images. A row's key pattern is the one site/render.py writes.
SITE_PAGE = Row("site page", "index.html")
EPISODE_PAGE = Row("episode page", "episodes/{slug}/index.html")
EMBED_PAGE = Row("embed page", "episodes/{slug}/embed.html")
SITE_CSS = Row("site stylesheet", "site.css")
SITE_JS = Row("site script", "site.js")
SITEMAP = Row("sitemap", "sitemap.xml", content_type=mediatypes.XML)  # not .xml's RSS type
SITE_PICTURE = Row("site picture", "images/{picture}-{name}-{hash8}{ext}", immutable=True)
# First match wins: a site picture's key would also match IMAGE.
ROWS = (
    MEDIA, SITE_PICTURE, IMAGE, CHAPTERS, TRANSCRIPT, FEED, MANIFEST, LOCK,
    SITE_PAGE, EPISODE_PAGE, EMBED_PAGE, SITE_CSS, SITE_JS, SITEMAP,
)  # fmt: skip

FEED_KEY = FEED.key()
MANIFEST_KEY = MANIFEST.key()
LOCK_KEY = LOCK.key()


def row_for(key: str) -> Row | None:
    """The row a key belongs to, or None for a key the layout does not name."""
    return next((row for row in ROWS if row.regex.fullmatch(key)), None)


def is_immutable(key: str) -> bool:
    """Media and images carry their hash in the key: if the key exists, it is this object."""
    row = row_for(key)
    return row is not None and row.immutable


def content_type(key: str) -> str:
    """The Content-Type a podcast app expects for a key (S3's default breaks apps)."""
    row = row_for(key)
    return (row and row.content_type) or mediatypes.for_suffix(key)


def cache_control(key: str) -> str:
    return IMMUTABLE if is_immutable(key) else SHORT


def headers(key: str) -> dict[str, str]:
    """The headers to store ``key`` with: the keyword arguments of ``Target.put``."""
    return {"content_type": content_type(key), "cache_control": cache_control(key)}


def stored_with(acl: str | None) -> dict[str, str]:
    """The header settings objects are stored with, as the manifest records them.

    The ACL and a fingerprint of this table's headers: when either differs from what the live
    manifest recorded, publish applies the new headers to the objects already there.
    """
    table = [(r.kind, r.pattern, r.content_type, r.immutable) for r in ROWS]
    data = json.dumps([table, sorted(mediatypes.BY_SUFFIX.items()), IMMUTABLE, SHORT]).encode()
    return {"acl": acl or "", "headers": sha256_bytes(data)[:8]}
