"""Planning a publish: what is live, what to upload, what to delete — no target, no side effects.

``plan_release`` is a function of what it is handed: the show, the episodes with their build
records, the manifest that is live, the time, and ``Sources`` that read images and sidecars
(injected, so tests plan without a disk or a target). ``act.py`` carries a plan out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import mediatypes
from ..artwork import publishable_image
from ..config import Show
from ..episodes import Episode, episode_guid
from ..feed import feed_pages
from ..files import sha256_bytes, sha256_file
from ..manifest import LiveEpisode, LiveRendition, Manifest, ManifestDiff, diff, parse_time
from ..paging import FEED_NAME
from ..podcast_images import GeneratedImage, generate_images
from ..site import render_site
from . import layout

if TYPE_CHECKING:
    from ..build import BuildRecord
    from ..build.record import RenditionFile


@dataclass(frozen=True)
class Upload:
    """One object to put on the target: a file (the MP3) or bytes (images, sidecars, pages)."""

    key: str
    bytes: int
    sha256: str
    path: Path | None = None
    data: bytes | None = None

    @property
    def immutable(self) -> bool:
        return layout.is_immutable(self.key)

    @property
    def source(self) -> bytes | Path:
        return self.path if self.path is not None else self.data or b""


@dataclass
class Plan:
    """What a publish will do, computed before it does anything."""

    previous: Manifest
    manifest: Manifest  # what will be live afterwards
    items: list[tuple[Episode, LiveEpisode]]  # the feed's episodes
    feed: bytes  # feed.xml
    uploads: list[Upload]
    deletes: list[str]  # retired objects whose time has come (or all of them: --prune-now)
    # objects already there that get the current headers/ACL (copy in place)
    restyle: list[str] = field(default_factory=list)
    # every object out of the feed → when it left (the deletes too: a failed one stays)
    retired: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # things done or found on the way
    built: list[BuildRecord] = field(default_factory=list)  # episodes mastered or re-tagged now
    # the RFC 5005 archive pages, every one (uploaded only when changed): name → bytes
    archive: dict[str, bytes] = field(default_factory=dict)

    @property
    def changes(self) -> ManifestDiff:
        return diff(self.previous, self.manifest)

    @property
    def feed_changed(self) -> bool:
        return self.manifest.feed_sha256 != self.previous.feed_sha256

    @property
    def up_to_date(self) -> bool:
        """Nothing to write: no upload, no header change, no deletion, the same manifest."""
        nothing = not (self.uploads or self.deletes or self.restyle)
        return nothing and self.manifest == self.previous

    def describe(self) -> list[str]:
        """The plan in a producer's words: what the feed gains and loses, objects and bytes."""
        if self.up_to_date:
            return ["up to date: nothing to upload"]
        changes = self.changes
        lines = [f"feed gains: {e.slug}" for e in changes.added]
        lines += [f"feed loses: {e.slug}" for e in changes.removed]
        lines += [f"renamed: {a.slug} → {b.slug} (GUID kept)" for a, b in changes.renamed]
        lines += [f"updated: {e.slug}" for e in changes.changed]
        if self.uploads:
            total = sum(u.bytes for u in self.uploads)
            lines.append(f"upload {len(self.uploads)} object(s), {human_bytes(total)}:")
            lines += [f"  {u.key}  {human_bytes(u.bytes)}" for u in self.uploads]
        if self.restyle:
            acl = self.manifest.headers.get("acl")
            what = f"headers and ACL {acl!r}" if acl else "headers"
            lines.append(f"apply the current {what} to {len(self.restyle)} object(s) in place")
        lines.append(f"{layout.FEED_KEY}: {'changed' if self.feed_changed else 'unchanged'}")
        kept = sorted(set(self.manifest.retired) - set(self.previous.retired))
        if kept:
            lines.append(f"keep {len(kept)} object(s) out of the feed for cached feeds:")
            lines += [f"  {key}" for key in kept]
        if self.deletes:
            lines.append(f"delete {len(self.deletes)} object(s) out of the feed:")
            lines += [f"  {key}" for key in self.deletes]
        return lines


def human_bytes(n: int) -> str:
    """1234567 → "1.2 MB" (decimal units, as file managers show sizes)."""
    exponent = min(3, int(math.log10(max(n, 1)) // 3))
    return f"{n} B" if exponent == 0 else f"{n / 1000**exponent:.1f} {'kMG'[exponent - 1]}B"


@dataclass(frozen=True)
class Sources:
    """How planning reads the files it publishes besides the MP3s (which it only names).

    ``image(path)``: the publishable bytes and extension ("jpg"/"png"), None if there is no file;
    ``file(path)``: the bytes, None if there is no file; ``podcast_images(cover, purposes)``:
    the ``podcast:image`` variants drawn from the cover.
    """

    image: Callable[[Path], tuple[bytes, str] | None]
    file: Callable[[Path], bytes | None]
    podcast_images: Callable[[Path, tuple[str, ...]], list[GeneratedImage]] = generate_images


def _disk_image(path: Path) -> tuple[bytes, str] | None:
    return publishable_image(path) if path.is_file() else None


def _disk_file(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _disk_podcast_images(cover: Path, purposes: tuple[str, ...]) -> list[GeneratedImage]:
    return _drawn(cover, sha256_file(cover), purposes)


@functools.lru_cache(maxsize=2)
def _drawn(cover: Path, digest: str, purposes: tuple[str, ...]) -> list[GeneratedImage]:
    """Drawn once per cover content (``digest``): publish plans twice (before and under the lock)."""
    return generate_images(cover, purposes)


DISK = Sources(image=_disk_image, file=_disk_file, podcast_images=_disk_podcast_images)


# How an episode finds its live entry, strongest first. A renamed episode keeps its GUID:
# by its guid field, else its source audio, else its season and number (issue 7).
MATCH_RULES: tuple[Callable[[Episode, str | None, LiveEpisode], bool], ...] = (
    lambda ep, source, live: ep.guid is not None and ep.guid == live.guid,
    lambda ep, source, live: ep.slug == live.slug and source == live.source_sha256,
    lambda ep, source, live: source is not None and source == live.source_sha256,
    lambda ep, source, live: ep.slug == live.slug,
    lambda ep, source, live: (
        ep.episode is not None and (ep.season, ep.episode) == (live.season, live.episode)
    ),
)


def match_live(
    episodes: list[tuple[Episode, str | None]], live: tuple[LiveEpisode, ...]
) -> dict[str, LiveEpisode]:
    """Slug → the live entry each episode continues; every entry is claimed at most once."""
    free = list(live)
    matched: dict[str, LiveEpisode] = {}
    for rule in MATCH_RULES:
        for episode, source in episodes:
            if episode.slug in matched:
                continue
            hit = next((entry for entry in free if rule(episode, source, entry)), None)
            if hit:
                matched[episode.slug] = hit
                free.remove(hit)
    return matched


def plan_release(
    show: Show,
    episodes: list[tuple[Episode, BuildRecord | None]],
    previous: Manifest,
    now: dt.datetime,
    sources: Sources = DISK,
    *,
    stores_headers: bool = False,
    prune_now: bool = False,
) -> Plan:
    """The objects, feed and manifest for ``episodes`` (those that belong in the feed now).

    An episode without a build record stays as the manifest has it (the feed can be regenerated
    without the audio on this machine); one neither built nor published is left out.
    Objects that leave the feed are retired, and deleted once ``[publish] keep_old`` has passed
    (``prune_now``: at once). ``stores_headers``: the target keeps headers (S3), so changed
    header settings are applied to the objects already there.
    """
    matched = match_live(
        [(ep, rec.source_sha256 if rec else None) for ep, rec in episodes], previous.episodes
    )
    items: list[tuple[Episode, LiveEpisode]] = []
    uploads: dict[str, Upload] = {}
    for episode, record in episodes:
        old = matched.get(episode.slug)
        if record is None:
            if old is not None:
                items.append((episode, old))
            continue
        live, files = _live_episode(show, episode, record, old, now, sources)
        items.append((episode, live))
        uploads.update((u.key, u) for u in files)
    cover = _image_upload(sources, show.image, "cover")
    if cover:
        uploads[cover.key] = cover
    cover_key = cover.key if cover else None
    images = sources.podcast_images(show.image, show.images) if cover and show.images else []
    documents = feed_pages(show, items, cover_key=cover_key, images=[i.image for i in images])
    feed = documents.pop(FEED_NAME)
    extras = [_data_upload(key, data) for key, data in documents.items()]
    extras += [_data_upload(i.image.key, i.data) for i in images]
    site = _site_uploads(show, items, cover_key)
    uploads.update((u.key, u) for u in [*extras, *site])
    live = Manifest(
        episodes=tuple(live for _, live in items),
        cover_key=cover_key,
        feed_sha256=sha256_bytes(feed),
        site={u.key: u.sha256 for u in site},
        feed_objects={u.key: u.sha256 for u in extras},
    )
    retired = _retired(previous, live.keys, now)
    due = _due(retired, show.publish.keep_old, now, prune_now)
    stored = live.keys | set(retired) - set(due) | {layout.FEED_KEY}
    headers = layout.stored_with(show.publish.acl, stored) if stores_headers else {}
    manifest = dataclasses.replace(
        live,
        extra=previous.extra,
        retired={k: t for k, t in retired.items() if k not in due},
        headers=headers,
    )
    live_hashes = _sidecar_hashes(previous) | previous.site | previous.feed_objects
    needed = sorted(
        (
            u
            for u in uploads.values()
            if (u.key not in previous.stored if u.immutable else live_hashes.get(u.key) != u.sha256)
        ),
        key=lambda u: u.key,
    )
    restyle: list[str] = []
    if stores_headers and previous.stored and headers != previous.headers:
        sent = {u.key for u in needed} | (
            {layout.FEED_KEY} if live.feed_sha256 != previous.feed_sha256 else set()
        )
        restyle = sorted(
            key for key in stored - sent if layout.needs_restyle(key, headers, previous.headers)
        )
    return Plan(
        previous=previous,
        manifest=manifest,
        items=items,
        feed=feed,
        uploads=needed,
        deletes=due,
        restyle=restyle,
        retired=retired,
        archive=documents,
    )


def _retired(previous: Manifest, live: set[str], now: dt.datetime) -> dict[str, str]:
    """Objects out of the feed → when they left: those retired before, and those leaving now.

    An object back in the feed (an edit undone) is live again, not retired.
    """
    retired = {key: since for key, since in previous.retired.items() if key not in live}
    left = now.astimezone(dt.UTC).isoformat()
    retired.update((key, left) for key in sorted(previous.keys - live))
    return retired


def _due(
    retired: dict[str, str], keep_old: dt.timedelta, now: dt.datetime, prune_now: bool
) -> list[str]:
    """The retired objects to delete now: out of the feed for ``keep_old`` or longer."""
    return sorted(
        key for key, since in retired.items() if prune_now or now - parse_time(since) >= keep_old
    )


def _live_episode(
    show: Show,
    episode: Episode,
    record: BuildRecord,
    old: LiveEpisode | None,
    now: dt.datetime,
    sources: Sources,
) -> tuple[LiveEpisode, list[Upload]]:
    """The episode's entry once published, and the objects it needs."""
    key = layout.MEDIA.key(slug=episode.slug, hash8=record.sha256, ext=".mp3")
    media = Upload(key, record.bytes, record.sha256, path=record.mp3)
    image = _image_upload(sources, episode.image, episode.slug) if episode.image else None
    chapters = _file_upload(
        sources,
        record.mp3.with_name(f"{episode.slug}.chapters.json"),
        layout.CHAPTERS.key(slug=episode.slug),
    )
    transcript = None
    if episode.transcript:
        suffix = episode.transcript.suffix.lower()
        key = layout.TRANSCRIPT.key(slug=episode.slug, ext=suffix)
        transcript = _file_upload(sources, episode.transcript, key)
    renditions = tuple(_rendition(episode.slug, r) for r in record.renditions)
    files = [media, *(u for u in (image, chapters, transcript) if u)]
    files += [Upload(r.key, r.bytes, r.sha256, path=f.path)
              for r, f in zip(renditions, record.renditions, strict=True) if r.key != media.key]  # fmt: skip
    live = LiveEpisode(
        guid=old.guid if old else episode_guid(show, episode),
        slug=episode.slug,
        media_key=media.key,
        bytes=record.bytes,
        sha256=record.sha256,
        duration_s=record.duration_s,
        source_sha256=record.source_sha256,
        published_at=old.published_at if old else now.astimezone(dt.UTC).isoformat(),
        season=episode.season,
        episode=episode.episode,
        image_key=image.key if image else None,
        chapters_key=chapters.key if chapters else None,
        transcript_key=transcript.key if transcript else None,
        chapters_sha256=chapters.sha256 if chapters else None,
        transcript_sha256=transcript.sha256 if transcript else None,
        chapters_offset_s=record.intro_s,
        renditions=renditions,
    )
    return live, files


def _rendition(slug: str, made: RenditionFile) -> LiveRendition:
    """A built rendition as published, under its content-hashed media key."""
    key = layout.MEDIA.key(slug=slug, hash8=made.sha256, ext=made.path.suffix)
    return LiveRendition(made.name, key, made.bytes, made.sha256,
                         mediatypes.for_suffix(key), made.bitrate_kbps, made.integrity)  # fmt: skip


def _site_uploads(
    show: Show, items: list[tuple[Episode, LiveEpisode]], cover_key: str | None
) -> list[Upload]:
    """The website rendered from the feed's items (none when ``[site] enabled = false``)."""
    if not show.site.enabled:
        return []
    objects = render_site(show, items, cover_key=cover_key)
    return [_data_upload(key, data) for key, data in objects.items()]


def _data_upload(key: str, data: bytes) -> Upload:
    return Upload(key, len(data), sha256_bytes(data), data=data)


def _image_upload(sources: Sources, path: Path, name: str) -> Upload | None:
    found = sources.image(path)
    if found is None:
        return None
    data, ext = found
    digest = sha256_bytes(data)
    key = layout.IMAGE.key(name=name, hash8=digest, ext=f".{ext}")
    return Upload(key, len(data), digest, data=data)


def _file_upload(sources: Sources, path: Path, key: str) -> Upload | None:
    data = sources.file(path)
    return None if data is None else _data_upload(key, data)


def _sidecar_hashes(manifest: Manifest) -> dict[str, str]:
    """Key → sha256 of the live chapters and transcripts, which change in place."""
    pairs = [(e.chapters_key, e.chapters_sha256) for e in manifest.episodes]
    pairs += [(e.transcript_key, e.transcript_sha256) for e in manifest.episodes]
    return {key: digest for key, digest in pairs if key and digest}
