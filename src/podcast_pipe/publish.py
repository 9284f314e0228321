"""check → build → plan → upload media and sidecars → feed.xml → manifest.json → delete old objects.

The order is the never-broken-feed promise (SPEC): every object the new feed names is uploaded
and verified before the feed; the feed before the manifest; objects the old feed named are
deleted only once the new feed is live. A publish that fails anywhere leaves the previous feed
live, and the next publish resumes (objects already uploaded are not sent again).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import math
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .artwork import publishable_image
from .build import BuildRecord, build_episodes, read_record
from .check import check_workspace
from .config import Show
from .episodes import Episode, episode_guid
from .errors import PublishError, StorageError
from .events import QUIET, Reporter
from .feed import render_feed
from .files import write_atomic
from .manifest import (
    MANIFEST_KEY,
    LiveEpisode,
    Manifest,
    ManifestDiff,
    diff,
    dump_manifest,
    parse_manifest,
    read_local,
    write_local,
)
from .storage import Target, content_type, open_target
from .storage.base import IMMUTABLE_PREFIXES

FEED_KEY = "feed.xml"
LOCK_KEY = "publish.lock"
# A publish of the sample show takes seconds; a lock this old was left by one that crashed.
STALE_LOCK = dt.timedelta(hours=1)
LOCAL_MANIFEST = "manifest.json"  # in feed/, next to feed.xml


@dataclass(frozen=True)
class Upload:
    """One object to put on the target: a file (the MP3) or bytes (images, chapters, transcripts)."""

    key: str
    bytes: int
    sha256: str
    path: Path | None = None
    data: bytes | None = None

    @property
    def immutable(self) -> bool:
        """Media and images carry their hash in the key: if the key exists, it is this object."""
        return self.key.startswith(IMMUTABLE_PREFIXES)


@dataclass
class Plan:
    """What a publish will do, computed before it does anything."""

    previous: Manifest
    manifest: Manifest  # what will be live afterwards
    items: list[tuple[Episode, LiveEpisode]]  # the feed's episodes
    feed: bytes
    uploads: list[Upload]
    deletes: list[str]
    notes: list[str] = field(default_factory=list)  # things done or found on the way
    built: list[BuildRecord] = field(default_factory=list)  # episodes mastered or re-tagged now

    @property
    def changes(self) -> ManifestDiff:
        return diff(self.previous, self.manifest)

    @property
    def feed_changed(self) -> bool:
        return self.manifest.feed_sha256 != self.previous.feed_sha256

    @property
    def up_to_date(self) -> bool:
        return not self.uploads and not self.deletes and self.manifest == self.previous

    def describe(self) -> list[str]:
        """The plan in a producer's words: what the feed gains and loses, objects and bytes."""
        if self.up_to_date:
            return ["up to date: nothing to upload"]
        changes = self.changes
        lines = [f"feed gains: {e.slug}" for e in changes.added]
        lines += [f"feed loses: {e.slug}" for e in changes.removed]
        lines += [f"renamed: {a.slug} → {b.slug} (GUID kept)" for a, b in changes.renamed]
        lines += [f"updated: {e.slug}" for e in changes.changed]
        total = sum(u.bytes for u in self.uploads)
        lines.append(f"upload {len(self.uploads)} object(s), {human_bytes(total)}:")
        lines += [f"  {u.key}  {human_bytes(u.bytes)}" for u in self.uploads]
        lines.append(f"{FEED_KEY}: {'changed' if self.feed_changed else 'unchanged'}")
        if self.deletes:
            lines.append(f"delete {len(self.deletes)} object(s) once the new feed is live:")
            lines += [f"  {key}" for key in self.deletes]
        return lines


def human_bytes(n: int) -> str:
    """1234567 → "1.2 MB" (decimal units, as file managers show sizes)."""
    exponent = min(3, int(math.log10(max(n, 1)) // 3))
    return f"{n} B" if exponent == 0 else f"{n / 1000**exponent:.1f} {'kMG'[exponent - 1]}B"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the plan -----------------------------------------------------------------------------------

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
) -> Plan:
    """The objects, feed and manifest for ``episodes`` (those that belong in the feed now).

    An episode without a build record stays as the manifest has it (the feed can be regenerated
    without the audio on this machine); one neither built nor published is left out.
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
        live, files = _live_episode(show, episode, record, old, now)
        items.append((episode, live))
        uploads.update((u.key, u) for u in files)
    cover = _image_upload(show.image, "cover") if show.image.is_file() else None
    if cover:
        uploads[cover.key] = cover
    cover_key = cover.key if cover else None
    feed = render_feed(show, items, cover_key=cover_key)
    manifest = Manifest(
        episodes=tuple(live for _, live in items),
        cover_key=cover_key,
        feed_sha256=sha256_hex(feed),
        extra=previous.extra,
    )
    live_hashes = _sidecar_hashes(previous)
    needed = [
        u
        for u in uploads.values()
        if (u.key not in previous.keys if u.immutable else live_hashes.get(u.key) != u.sha256)
    ]
    return Plan(
        previous=previous,
        manifest=manifest,
        items=items,
        feed=feed,
        uploads=sorted(needed, key=lambda u: u.key),
        deletes=sorted(previous.keys - manifest.keys),
    )


def _live_episode(
    show: Show, episode: Episode, record: BuildRecord, old: LiveEpisode | None, now: dt.datetime
) -> tuple[LiveEpisode, list[Upload]]:
    """The episode's entry once published, and the objects it needs."""
    media = Upload(
        f"episodes/{episode.slug}-{record.sha256[:8]}.mp3", record.bytes, record.sha256, record.mp3
    )
    files = [media]
    image = _image_upload(episode.image, episode.slug) if episode.image else None
    chapters = _file_upload(
        record.mp3.with_name(f"{episode.slug}.chapters.json"), f"chapters/{episode.slug}.json"
    )
    transcript = None
    if episode.transcript:
        suffix = episode.transcript.suffix.lower()
        transcript = _file_upload(episode.transcript, f"transcripts/{episode.slug}{suffix}")
    files += [u for u in (image, chapters, transcript) if u]
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
    )
    return live, files


def _image_upload(path: Path, name: str) -> Upload:
    data, ext = publishable_image(path)
    digest = sha256_hex(data)
    return Upload(f"images/{name}-{digest[:8]}.{ext}", len(data), digest, data=data)


def _file_upload(path: Path, key: str) -> Upload | None:
    if not path.is_file():
        return None
    data = path.read_bytes()
    return Upload(key, len(data), sha256_hex(data), data=data)


def _sidecar_hashes(manifest: Manifest) -> dict[str, str]:
    """Key → sha256 of the live chapters and transcripts, which change in place."""
    pairs = [(e.chapters_key, e.chapters_sha256) for e in manifest.episodes]
    pairs += [(e.transcript_key, e.transcript_sha256) for e in manifest.episodes]
    return {key: digest for key, digest in pairs if key and digest}


# --- acting on it ---------------------------------------------------------------------------------


def publish_show(
    show: Show,
    *,
    dry_run: bool = False,
    allow_removal: bool = False,
    progress: bool = True,
    reporter: Reporter = QUIET,
    now: dt.datetime | None = None,
) -> Plan:
    """check → build → plan → act. Returns the plan (done, or only shown with ``dry_run``)."""
    now = now or dt.datetime.now(dt.UTC)
    ready = checked_episodes(show, now)
    target = open_target(show.publish.target, show.publish, root=show.root)
    remote_manifest(target, show)  # fail fast (bucket, credentials, endpoint) before a long build
    built = build_episodes(show, ready, reporter=reporter)
    episodes = [(ep, read_record(show, ep.slug)) for ep in ready]
    options = dict(dry_run=dry_run, allow_removal=allow_removal, progress=progress)
    plan = release(show, target, episodes, now=now, **options)
    plan.built = [record for record in built if record.action != "up to date"]
    return plan


def release(
    show: Show,
    target: Target,
    episodes: list[tuple[Episode, BuildRecord | None]],
    *,
    now: dt.datetime,
    dry_run: bool = False,
    allow_removal: bool = False,
    progress: bool = True,
) -> Plan:
    """Lock the target, plan against its manifest, refuse removals, act, keep local copies."""
    with PublishLock(target, now, dry_run) as notes:
        plan = plan_release(show, episodes, remote_manifest(target, show), now)
        plan.notes += notes
        removed = plan.changes.removed
        if removed and not allow_removal:
            raise PublishError(
                "would drop live episode(s) from the feed: " + ", ".join(e.slug for e in removed),
                path=show.episodes_dir,
                hint="restore them (or undo `draft: true`), or run `publish --allow-removal` "
                "if they should leave the feed",
            )
        if not dry_run:
            execute(plan, target, concurrency=show.publish.concurrency, progress=progress)
            save_local(show, plan)
    return plan


def checked_episodes(show: Show, now: dt.datetime) -> list[Episode]:
    """The episodes that belong in the feed now; refuse with every problem if there is any."""
    checked = check_workspace(show.root)
    errors = checked.problems.errors
    if errors:
        listing = "".join(f"\n  {problem}" for problem in errors)
        raise PublishError(
            f"{len(errors)} problem(s) to fix before publishing:{listing}",
            hint="nothing was uploaded; `podcast-pipe check` shows them again",
        )
    return checked.catalog.ready(now)


def remote_manifest(target: Target, show: Show) -> Manifest:
    """The manifest on the target; an empty one only if the target is empty too."""
    data = target.get(MANIFEST_KEY)
    if data is not None:
        return parse_manifest(data, target.url + MANIFEST_KEY)
    others = [key for key in target.list_keys(2) if key != LOCK_KEY]
    if others:
        local = show.feed_dir / LOCAL_MANIFEST
        restore = f"restore it from {local}" if local.is_file() else "point it at an empty place"
        raise PublishError(
            f"the target holds objects (e.g. {others[0]}) but no {MANIFEST_KEY}, so what is live "
            "is unknown",
            path=target.url,
            hint=f"{restore}, or empty the target: publishing blind could duplicate episodes",
        )
    return Manifest()


def execute(plan: Plan, target: Target, *, concurrency: int = 4, progress: bool = True) -> None:
    """Upload and verify the objects, then the feed, then the manifest, then delete."""
    with tqdm(
        total=sum(u.bytes for u in plan.uploads),
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc="upload",
        disable=True if not (progress and plan.uploads) else None,  # None: only on a terminal
    ) as bar:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            # list() re-raises the first failure; the feed is not touched after one.
            list(pool.map(lambda u: _upload(target, u, bar.update), plan.uploads))
    if plan.feed_changed:
        target.put_bytes(FEED_KEY, plan.feed)
    if plan.manifest != plan.previous:
        target.put_bytes(MANIFEST_KEY, dump_manifest(plan.manifest))
    if plan.deletes:
        target.delete(plan.deletes)


def _upload(target: Target, upload: Upload, progress: Callable[[int], None]) -> None:
    """Put one object unless an immutable copy is already there, then verify it with HEAD."""
    if upload.immutable:
        existing = target.head(upload.key)
        if existing and existing.bytes == upload.bytes:  # left by a publish that failed later
            progress(upload.bytes)
            return
    if upload.path is not None:
        target.put_file(upload.key, upload.path, progress)
    else:
        target.put_bytes(upload.key, upload.data or b"")
        progress(upload.bytes)
    info = target.head(upload.key)
    expected = content_type(upload.key)
    if info is None or info.bytes != upload.bytes or info.content_type != expected:
        got = f"{info.bytes} bytes, {info.content_type}" if info else "nothing"
        raise StorageError(
            f"{upload.key} reads back as {got}, not {upload.bytes} bytes, {expected}",
            path=target.url,
            hint="the feed was not changed; publish again, and check the provider if it persists",
        )


def save_local(show: Show, plan: Plan) -> None:
    """Keep the published feed and manifest in feed/ (for `feed`, `status` and backups)."""
    write_local(show.feed_dir / LOCAL_MANIFEST, plan.manifest)
    write_if_changed(show.feed_path, plan.feed)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds exactly that."""
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


class PublishLock:
    """The target's publish lock (skipped for a dry run, which must not write anything).

    S3 has no portable compare-and-swap, so this is write-then-read-back: it stops the
    common case (two people or two CI jobs publishing at once), not a deliberate race.
    """

    def __init__(self, target: Target, now: dt.datetime, dry_run: bool) -> None:
        self.target, self.now, self.dry_run = target, now, dry_run
        self.token = uuid.uuid4().hex

    def __enter__(self) -> list[str]:
        if self.dry_run:
            return []
        notes = []
        held = read_lock(self.target.get(LOCK_KEY))
        if held:
            since = dt.datetime.fromisoformat(held["since"])
            age = self.now - since
            if age < STALE_LOCK:
                raise PublishError(
                    f"another publish is running: locked by {held['owner']} since {held['since']}",
                    path=self.target.url + LOCK_KEY,
                    hint="wait for it to finish; if none is running (one was killed), delete "
                    f"{LOCK_KEY} there; a lock older than 1 hour is taken over by itself",
                )
            notes.append(
                f"took over a stale lock from {held['owner']} (since {held['since']}): "
                "that publish crashed or was stopped; this one resumes its work"
            )
        lock = {"owner": _owner(), "since": self.now.isoformat(), "token": self.token}
        self.target.put_bytes(LOCK_KEY, json.dumps(lock).encode())
        if (read_lock(self.target.get(LOCK_KEY)) or {}).get("token") != self.token:
            raise PublishError(
                "another publish took the lock at the same moment",
                path=self.target.url + LOCK_KEY,
                hint="let it finish, then publish again",
            )
        return notes

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        if self.dry_run:
            return
        try:
            self.target.delete([LOCK_KEY])
        except StorageError:
            if exc_type is None:
                raise
            # The failure that got us here is the one to report; this lock goes stale in an hour.


def read_lock(data: bytes | None) -> dict[str, str] | None:
    """The lock's owner and time; an unreadable lock counts as very old."""
    if data is None:
        return None
    try:
        lock = json.loads(data)
        dt.datetime.fromisoformat(lock["since"])
        return {"owner": str(lock["owner"]), "since": lock["since"], "token": lock.get("token")}
    except (ValueError, KeyError, TypeError):
        return {"owner": "unknown", "since": dt.datetime.min.replace(tzinfo=dt.UTC).isoformat()}


def _owner() -> str:
    """Who holds the lock, for the message another publish shows: user@host, pid."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "someone"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


# --- local views: `feed` and `status` ---------------------------------------------------------------


def local_plan(show: Show, episodes: list[Episode], now: dt.datetime) -> Plan:
    """The plan against the local manifest copy: what the feed is once everything is published."""
    previous = read_local(show.feed_dir / LOCAL_MANIFEST)
    return plan_release(show, [(ep, read_record(show, ep.slug)) for ep in episodes], previous, now)


def write_feed(show: Show, episodes: list[Episode], now: dt.datetime) -> Path:
    """Regenerate feed/feed.xml from metadata, build records and the local manifest copy."""
    write_if_changed(show.feed_path, local_plan(show, episodes, now).feed)
    return show.feed_path


def publish_states(show: Show, episodes: list[Episode]) -> dict[str, str]:
    """Slug → built / published / changed since publish, from build records and feed/manifest.json."""
    live = read_local(show.feed_dir / LOCAL_MANIFEST)
    records = {ep.slug: read_record(show, ep.slug) for ep in episodes}
    matched = match_live(
        [(ep, r.source_sha256 if (r := records[ep.slug]) else None) for ep in episodes],
        live.episodes,
    )
    states = {}
    for episode in episodes:
        record, entry = records[episode.slug], matched.get(episode.slug)
        if entry and (
            record is None or (entry.sha256, entry.slug) == (record.sha256, episode.slug)
        ):
            states[episode.slug] = "published"
        elif entry:
            states[episode.slug] = "changed since publish"
        elif record:
            states[episode.slug] = "built"
    return states
