"""What is live on the target: per episode its GUID, object keys, sizes and hashes.

``manifest.json`` on the target is the truth about what is live; publish keeps a copy in
``feed/manifest.json`` so ``feed`` and ``status`` work without asking the target.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PublishError
from .files import write_atomic

LOCAL_NAME = "manifest.json"  # the local copy, in feed/ next to feed.xml
FORMAT_VERSION = 1


@dataclass(frozen=True)
class LiveRendition:
    """One published encoding of an episode: a ``podcast:alternateEnclosure``."""

    name: str  # "mp3" | "opus" | "aac"
    key: str  # episodes/<slug>-<hash8>.<mp3|opus|m4a>
    bytes: int
    sha256: str
    type: str  # its media type
    bitrate_kbps: int
    integrity: str  # SRI: sha384-<base64>


@dataclass(frozen=True)
class LiveEpisode:
    """One episode as published (or as it will be published by the current plan).

    Keys are relative to the target and to ``Show.publish.base_url``.
    """

    guid: str
    slug: str
    media_key: str  # episodes/<slug>-<hash8>.mp3
    bytes: int
    sha256: str  # of the published MP3
    duration_s: float
    source_sha256: str  # of the source audio, to match renamed episodes
    published_at: str  # ISO 8601, when this episode first went live
    season: int | None = None
    episode: int | None = None
    image_key: str | None = None  # images/<name>-<hash8>.<jpg|png>
    chapters_key: str | None = None  # chapters/<slug>.json
    transcript_key: str | None = None  # transcripts/<slug>.<vtt|srt>
    # chapters and transcripts keep their key when they change: their hashes tell a change.
    chapters_sha256: str | None = None
    transcript_sha256: str | None = None
    # Where the episode's own second 0 is in the MP3 (the intro's length): the feed's inline
    # chapters are shifted by it, as the build shifted the JSON and ID3 ones.
    chapters_offset_s: float = 0.0
    renditions: tuple[LiveRendition, ...] = ()  # with Opus or AAC: every one, the MP3 first

    def __post_init__(self) -> None:
        """Renditions read back from JSON are dicts: made LiveRenditions again."""
        made = tuple(r if isinstance(r, LiveRendition) else LiveRendition(**r)
                     for r in self.renditions)  # fmt: skip
        object.__setattr__(self, "renditions", made)

    @property
    def keys(self) -> list[str]:
        """Every object this episode needs on the target."""
        keys = [self.media_key, self.image_key, self.chapters_key, self.transcript_key]
        keys += [r.key for r in self.renditions if r.key != self.media_key]
        return [k for k in keys if k]


@dataclass(frozen=True)
class Manifest:
    """Everything live: the episodes, the show cover, the website and the hash of feed.xml.

    Also what is still on the target but out of the feed (``retired``: key → when it left, ISO
    8601; deleted after ``[publish] keep_old``, because directories serve cached feeds for hours)
    and the header settings the objects were stored with (``headers``: a changed ACL or cache
    policy is applied to the existing objects).
    """

    episodes: tuple[LiveEpisode, ...] = ()
    cover_key: str | None = None  # images/cover-<hash8>.<jpg|png>
    feed_sha256: str | None = None
    # The website's objects, key → sha256: pages change in place, their hashes tell a change.
    site: dict[str, str] = field(default_factory=dict)
    # What else the feed names, key → sha256: archive pages (feed-2.xml …, changed in place)
    # and the podcast:image variants of the cover (content-hashed keys).
    feed_objects: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    retired: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # {} = not recorded

    @property
    def keys(self) -> set[str]:
        """Every media, sidecar, feed and website object the manifest names as live."""
        keys = {k for e in self.episodes for k in e.keys} | set(self.site) | set(self.feed_objects)
        return keys | {self.cover_key} if self.cover_key else keys

    @property
    def stored(self) -> set[str]:
        """Every object the manifest says is on the target: live, or retired and not deleted."""
        return self.keys | set(self.retired)

    def by_slug(self) -> dict[str, LiveEpisode]:
        return {e.slug: e for e in self.episodes}


@dataclass(frozen=True)
class ManifestDiff:
    """How the episodes in the feed change from one manifest to the next (matched by GUID)."""

    added: tuple[LiveEpisode, ...]
    removed: tuple[LiveEpisode, ...]
    renamed: tuple[tuple[LiveEpisode, LiveEpisode], ...]  # (old, new): slug changed, same GUID
    changed: tuple[LiveEpisode, ...]  # new media or sidecars, same GUID and slug

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.changed)


def diff(old: Manifest, new: Manifest) -> ManifestDiff:
    """Episodes added, removed, renamed and changed between two manifests."""
    before = {e.guid: e for e in old.episodes}
    after = {e.guid: e for e in new.episodes}
    both = [(before[g], after[g]) for g in after if g in before]
    return ManifestDiff(
        added=tuple(e for g, e in after.items() if g not in before),
        removed=tuple(e for g, e in before.items() if g not in after),
        renamed=tuple((a, b) for a, b in both if a.slug != b.slug),
        changed=tuple(b for a, b in both if a.slug == b.slug and a != b),
    )


def dump_manifest(manifest: Manifest) -> bytes:
    """Byte-stable JSON: the same manifest always gives the same bytes."""
    data = {
        **manifest.extra,
        "version": FORMAT_VERSION,
        "generator": "podcast-pipe",
        "cover_key": manifest.cover_key,
        "feed_sha256": manifest.feed_sha256,
        "site": manifest.site,
        "feed_objects": manifest.feed_objects,
        "episodes": [dataclasses.asdict(e) for e in manifest.episodes],
        "retired": manifest.retired,
        "headers": manifest.headers,
    }
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def parse_manifest(data: bytes, source: str) -> Manifest:
    """Read a manifest, naming ``source`` (a file or target URL) if it is damaged."""
    hint = "restore it from a backup copy (feed/manifest.json is one), or ask for help"
    try:
        raw = json.loads(data.decode("utf-8"))
        fields = {f.name for f in dataclasses.fields(LiveEpisode)}
        episodes = tuple(
            LiveEpisode(**{k: v for k, v in e.items() if k in fields}) for e in raw["episodes"]
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise PublishError(f"damaged manifest: {exc}", path=source, hint=hint) from None
    if raw.get("version", FORMAT_VERSION) > FORMAT_VERSION:
        raise PublishError(
            f"manifest version {raw['version']} is newer than this podcast-pipe understands",
            path=source,
            hint="upgrade podcast-pipe",
        )
    # Keys a newer release may add are kept, so writing the manifest back does not drop them.
    known = {
        "version", "generator", "cover_key", "feed_sha256", "site", "feed_objects", "episodes",
        "retired", "headers",
    }  # fmt: skip
    extra = {k: v for k, v in raw.items() if k not in known}
    site, feed_objects = raw.get("site") or {}, raw.get("feed_objects") or {}
    retired, headers = raw.get("retired") or {}, raw.get("headers") or {}
    if not all(isinstance(value, dict) for value in (site, feed_objects, retired, headers)):
        raise PublishError(
            "damaged manifest: site/feed_objects/retired/headers are not objects",
            path=source,
            hint=hint,
        )
    return Manifest(
        episodes,
        raw.get("cover_key"),
        raw.get("feed_sha256"),
        site=site,
        feed_objects=feed_objects,
        extra=extra,
        retired={str(k): str(v) for k, v in retired.items()},
        headers={str(k): str(v) for k, v in headers.items()},
    )


@dataclass(frozen=True)
class RetiredObject:
    """An object out of the feed, kept for cached feeds until ``delete_after``."""

    key: str
    left_at: dt.datetime
    delete_after: dt.datetime


def retired_objects(manifest: Manifest, keep_old: dt.timedelta) -> list[RetiredObject]:
    """The manifest's retired objects, the oldest first (for `status` and the planner)."""
    objects = [
        RetiredObject(key, left, left + keep_old)
        for key, since in manifest.retired.items()
        for left in [parse_time(since)]
    ]
    return sorted(objects, key=lambda o: (o.left_at, o.key))


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 time from the manifest; an unreadable one counts as long ago (delete it)."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def read_local(path: Path) -> Manifest:
    """The local copy of the manifest; an empty one if there is none yet."""
    try:
        return parse_manifest(path.read_bytes(), str(path))
    except FileNotFoundError:
        return Manifest()


def write_local(path: Path, manifest: Manifest) -> None:
    """Replace the local copy atomically (a crash leaves the old or the new one, never half)."""
    write_atomic(path, dump_manifest(manifest))
