"""Orchestration: which episodes to build, and for each, master if needed and tag if needed.

Two caches, so each change costs only what it must:

- the untagged master, ``build/.cache/<slug>-<key>.mp3``, keyed by the audio inputs' hashes
  (episode audio, intro, outro), ``AudioSettings.mastering()`` and ``MASTER_VERSION``: the
  key of a pure ``job.MasterJob``, made by an executor (executors.py: this machine or a Dask
  cluster) and shared through ``[build] cache`` (cache.py) when there is one;
- the tagged output ``build/<slug>.mp3``, re-made from the master (a copy and a re-tag, no
  re-encode) when ``tags.tag_key`` (a hash of exactly what the tags hold) changed.

Every file is written to a temporary name and renamed, so a killed build never leaves a half
MP3 that looks done, and the previous output stays intact.
"""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..audio.master import MASTER_VERSION
from ..audio.program import choose_clip
from ..audio.renditions import CODECS, rendition_path
from ..chapters import chapters_json
from ..config import Show
from ..episodes import Catalog, Episode
from ..errors import EpisodeError, PodcastError, Problems
from ..events import QUIET, Reporter
from ..ffmpeg import find_ffmpeg
from ..files import atomic_path, sha256_file, sri_sha384_file, write_atomic
from ..lint import missing_cover
from ..rendition_tags import write_rendition_tags
from ..report import inspect_episode, write_show
from ..tags import tag_key, write_tags
from ..validate import did_you_mean
from .cache import StoreCache, WorkspaceCache, shared_cache, workspace_cache
from .executors import Executor, LocalExecutor, fan_out
from .job import Blob, MasterJob, digest
from .record import (
    BuildRecord,
    CachedMaster,
    RenditionFile,
    json_bytes,
    read_record,
    write_record,
    write_report,
)


def select_episodes(catalog: Catalog, slugs: Iterable[str]) -> list[Episode]:
    """The episodes named by slug, or all but drafts; raises the catalog's first problem."""
    catalog.problems.raise_first()
    slugs = list(slugs)
    if not slugs:
        return [e for e in catalog.episodes if not e.draft]
    known = {e.slug: e for e in catalog.episodes}
    for slug in slugs:
        if slug not in known:
            hint = did_you_mean(slug, known, "run `podcast-pipe status` to see the slugs")
            raise EpisodeError(f"no episode with the slug {slug!r}", field="slug", hint=hint)
    return [known[slug] for slug in slugs]


def build_episodes(
    show: Show,
    episodes: Iterable[Episode],
    *,
    jobs: int | None = None,
    force: bool = False,
    reporter: Reporter = QUIET,
    executor: Executor | None = None,
) -> list[BuildRecord]:
    """Build every episode that changed and write build/report.json.

    Masters are made by ``executor`` (default: this machine, ``jobs`` at a time). Episodes
    that fail do not stop the others; the first problem is raised at the end.
    """
    episodes = list(episodes)
    find_ffmpeg(show.audio.ffmpeg)  # a missing ffmpeg or cover fails once, before any episode
    if missing := missing_cover(show):
        raise missing
    executor = executor or LocalExecutor(jobs)
    reporter.on_start("build", len(episodes))
    problems = Problems()
    caches = Caches.of(show)

    def one(episode: Episode) -> BuildRecord | None:
        try:
            record = build_and_inspect(show, episode, force=force, reporter=reporter,
                                       executor=executor, caches=caches)  # fmt: skip
        except PodcastError as exc:
            problems.error(exc)
            return None
        reporter.on_event(episode.slug, EVENTS[record.action])
        return record

    records = [r for r in fan_out(executor, one, episodes) if r is not None]
    finish_show(show)
    problems.raise_first()
    return records


def build_and_inspect(show: Show, episode: Episode, **options: Any) -> BuildRecord:
    """``build_episode``, then the episode's inspector page (report/)."""
    started = time.monotonic()
    record = build_episode(show, episode, **options)
    inspect_episode(show, episode, record, time.monotonic() - started)
    return record


def finish_show(show: Show) -> None:
    """After a show's episodes: build/report.json and the inspector's show page."""
    write_report(show)
    write_show(show.build_dir, show.title)


EVENTS = {
    "encoded": "mastered",
    "fetched": "fetched from the cache",
    "re-tagged": "re-tagged",
    "up to date": "up to date",
}


@dataclass(frozen=True)
class Caches:
    """A show's caches: its own build/.cache, and the ``[build] cache`` store if it has one."""

    workspace: WorkspaceCache
    shared: StoreCache | None

    @classmethod
    def of(cls, show: Show) -> Caches:
        return cls(workspace_cache(show), shared_cache(show))


def build_episode(
    show: Show,
    episode: Episode,
    *,
    force: bool = False,
    reporter: Reporter = QUIET,
    executor: Executor | None = None,
    caches: Caches | None = None,
) -> BuildRecord:
    """Master (if its audio inputs changed) and tag (if anything tagged changed) one episode.

    The master comes from build/.cache, else from the shared cache, else from ``executor``
    (which stores it in the shared cache, or in build/.cache when there is none).
    """
    previous = read_record(show, episode.slug)
    job, stat = master_job(show, episode, previous)
    caches = caches or Caches.of(show)
    mastered = None if force else caches.workspace.get(job)
    fetched = mastered is None  # unless computed: made elsewhere, or by an earlier run
    if mastered is None:
        reporter.on_progress(episode.slug, 0.0)
        progress = functools.partial(reporter.on_progress, episode.slug)
        cache = caches.shared or caches.workspace
        mastered = (executor or LocalExecutor()).master(job, cache, force, progress)
        reporter.on_progress(episode.slug, 1.0)
        if caches.shared:
            mastered = caches.workspace.adopt(job, caches.shared, mastered)
    cached, cache_key = mastered.cached, job.key()
    source = Path(mastered.location)
    tags = _tag_values(show, episode, cached)
    tagged = _tag_key(show, episode, source, cached)
    mp3 = show.build_dir / f"{episode.slug}.mp3"
    unchanged = previous and (previous.cache_key, previous.tag_key) == (cache_key, tagged)
    if unchanged and not mastered.computed and mp3.stat().st_size == previous.bytes:
        return replace(previous, action="up to date")
    _tag(show, episode, source, mp3, tags, cached)
    renditions = _tag_renditions(show, episode, source, mp3, cached)
    record = BuildRecord(
        slug=episode.slug,
        mp3=mp3,
        bytes=mp3.stat().st_size,
        sha256=sha256_file(mp3),
        duration_s=cached.result.output.duration_s,
        source_sha256=job.source.sha256,
        intro_s=round(cached.offset_s, 3),
        cache_key=cache_key,
        tag_key=tagged,
        source_stat=stat,
        master=cached.result,
        action="encoded" if mastered.computed else "fetched" if fetched else "re-tagged",
        renditions=renditions,
    )
    write_record(show, record)
    return record


def master_job(
    show: Show, episode: Episode, previous: BuildRecord | None
) -> tuple[MasterJob, tuple[int, int]]:
    """The episode's master job (its inputs by hash) and the source's (size, mtime_ns)."""
    intro = choose_clip(episode.intro, show.audio.intro)
    outro = choose_clip(episode.outro, show.audio.outro)
    source_sha256, stat = _source_hash(episode.audio_path, previous)
    blobs = [Blob(sha256_file(p), str(p)) if p else None for p in (intro, outro)]
    settings = replace(show.audio, intro=None, outro=None)
    job = MasterJob(episode.slug, Blob(source_sha256, str(episode.audio_path)), *blobs,
                    settings=settings, version=MASTER_VERSION)  # fmt: skip
    return job, stat


def pending_build(show: Show, episode: Episode) -> str | None:
    """What ``build_episode`` would do, found without writing anything (for a dry run):
    "master", "re-tag", or None when build/ holds it up to date."""
    previous = read_record(show, episode.slug)
    if previous is None:
        return "master"
    job, _ = master_job(show, episode, previous)
    mastered = workspace_cache(show).get(job)
    if mastered is None:
        return "master"
    tagged = _tag_key(show, episode, Path(mastered.location), mastered.cached)
    return "re-tag" if (previous.cache_key, previous.tag_key) != (job.key(), tagged) else None


def _tag_key(show: Show, episode: Episode, source: Path, cached: CachedMaster) -> str:
    """The tags' cache key: exactly the values written, and the JSON chapters."""
    tags = _tag_values(show, episode, cached)
    return digest(tag_key(source, show, episode, **tags), _chapters(episode, cached))


def _tag_values(show: Show, episode: Episode, cached: CachedMaster) -> dict[str, Any]:
    """What ``write_tags`` and ``tag_key`` take besides the show and the episode."""
    output = cached.result.output
    return dict(duration_s=output.duration_s, offset_s=cached.offset_s, loudness=output.to_dict())


def _chapters(episode: Episode, cached: CachedMaster) -> dict[str, Any] | None:
    """build/<slug>.chapters.json's content (None: no chapters)."""
    duration_s = cached.result.output.duration_s
    return chapters_json(episode, duration_s=duration_s, offset_s=cached.offset_s)


def _tag(
    show: Show,
    episode: Episode,
    master_mp3: Path,
    mp3: Path,
    tags: dict[str, Any],
    cached: CachedMaster,
) -> None:
    """Copy the master, tag the copy, and put it and the JSON chapters in place atomically."""
    with atomic_path(mp3) as temp:
        shutil.copyfile(master_mp3, temp)
        write_tags(temp, show, episode, **tags)
    chapters_file = mp3.with_name(f"{episode.slug}.chapters.json")
    data = _chapters(episode, cached)
    if data is None:
        chapters_file.unlink(missing_ok=True)
    else:
        write_atomic(chapters_file, json_bytes(data))


def _tag_renditions(
    show: Show, episode: Episode, master_mp3: Path, mp3: Path, cached: CachedMaster
) -> tuple[RenditionFile, ...]:
    """Copy and tag each rendition of the master beside ``mp3``; drop those no longer made.
    With any, the list starts with the MP3 (the feed lists every one as an alternate)."""
    made = {r.name: r for r in cached.result.renditions}
    files = []
    if made:
        files.append(_rendition_file("mp3", mp3, cached.result.format.bitrate_kbps))
    for name in CODECS:
        path = rendition_path(mp3, name)
        if name not in made:
            path.unlink(missing_ok=True)
            continue
        with atomic_path(path) as temp:
            shutil.copyfile(rendition_path(master_mp3, name), temp)
            write_rendition_tags(temp, name, show, episode, duration_s=cached.result.output.duration_s,
                                 offset_s=cached.offset_s, ffmpeg=show.audio.ffmpeg)  # fmt: skip
        files.append(_rendition_file(name, path, made[name].bitrate_kbps))
    return tuple(files)


def _rendition_file(name: str, path: Path, bitrate_kbps: int) -> RenditionFile:
    size, sha256, sri = path.stat().st_size, sha256_file(path), sri_sha384_file(path)
    return RenditionFile(name, path, size, sha256, bitrate_kbps, sri)


def _source_hash(path: Path, previous: BuildRecord | None) -> tuple[str, tuple[int, int]]:
    """The source's sha256 and its (size, mtime_ns); re-read only when those changed."""
    stat = path.stat()
    state = (stat.st_size, stat.st_mtime_ns)
    if previous and previous.source_stat == state:
        return previous.source_sha256, state
    return sha256_file(path), state
