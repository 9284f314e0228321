"""Orchestration: which episodes to build, and for each, master if needed and tag if needed.

Two caches, so each change costs only what it must:

- the untagged master, ``build/.cache/<slug>-<key>.mp3``, keyed by the audio inputs' hashes
  (episode audio, intro, outro), ``AudioSettings.mastering()`` and ``MASTER_VERSION``;
- the tagged output ``build/<slug>.mp3``, re-made from the master (a copy and a re-tag, no
  re-encode) when ``tags.tag_key`` (a hash of exactly what the tags hold) changed.

Every file is written to a temporary name and renamed, so a killed build never leaves a half
MP3 that looks done, and the previous output stays intact.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..audio.master import MASTER_VERSION, master
from ..audio.program import assemble, choose_clip
from ..chapters import chapters_json
from ..config import Show
from ..episodes import Catalog, Episode
from ..errors import EpisodeError, PodcastError, Problems
from ..events import QUIET, Reporter
from ..ffmpeg import find_ffmpeg
from ..files import atomic_path, sha256_bytes, sha256_file, write_atomic
from ..report import inspect_episode, write_show
from ..tags import tag_key, write_tags
from ..validate import did_you_mean
from .record import (
    CACHE,
    BuildRecord,
    CachedMaster,
    json_bytes,
    master_path,
    read_master,
    read_record,
    write_master,
    write_record,
    write_report,
)

CLIPS = "clips"  # under CACHE: the intros and outros, trimmed, as WAV


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
) -> list[BuildRecord]:
    """Build every episode that changed (``jobs`` at a time) and write build/report.json.

    Episodes that fail do not stop the others; the first problem is raised at the end.
    """
    episodes = list(episodes)
    show.build_dir.joinpath(CACHE).mkdir(parents=True, exist_ok=True)
    exe = find_ffmpeg(show.audio.ffmpeg)
    reporter.on_start("build", len(episodes))
    problems = Problems()

    def one(episode: Episode) -> BuildRecord | None:
        try:
            started = time.monotonic()
            record = build_episode(show, episode, exe=exe, force=force, reporter=reporter)
            inspect_episode(show, episode, record, time.monotonic() - started)
        except PodcastError as exc:
            problems.error(exc)
            return None
        reporter.on_event(episode.slug, _EVENTS[record.action])
        return record

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        try:
            records = [r for r in pool.map(one, episodes) if r is not None]
        except KeyboardInterrupt:  # Ctrl-C: episodes not started yet never start
            pool.shutdown(cancel_futures=True)
            raise
    write_report(show)
    write_show(show.build_dir, show.title)
    problems.raise_first()
    return records


_EVENTS = {"encoded": "mastered", "re-tagged": "re-tagged", "up to date": "up to date"}


def build_episode(
    show: Show,
    episode: Episode,
    *,
    exe: str | None = None,
    force: bool = False,
    reporter: Reporter = QUIET,
) -> BuildRecord:
    """Master (if its audio inputs changed) and tag (if anything tagged changed) one episode."""
    previous = read_record(show, episode.slug)
    intro = choose_clip(episode.intro, show.audio.intro)
    outro = choose_clip(episode.outro, show.audio.outro)
    source_sha256, stat = _source_hash(episode.audio_path, previous)

    def key() -> str:
        return _master_key(show, source_sha256(), intro, outro)

    # With no master of this slug to reuse, mastering starts while the source is being hashed.
    reusable = not force and any(show.build_dir.joinpath(CACHE).glob(f"{episode.slug}-*.json"))
    cache_key = key() if reusable else ""
    cached = read_master(show, episode.slug, cache_key) if cache_key else None
    encoded = cached is None
    if cached is None:
        exe = exe or find_ffmpeg(show.audio.ffmpeg)
        clip_cache = show.build_dir / CACHE / CLIPS
        program = assemble(episode.audio_path, intro, outro, show.audio, exe=exe,
                           clip_cache=clip_cache)  # fmt: skip
        # Its name needs the key, which waits for the source's hash: master to a staging name.
        fresh = show.build_dir / CACHE / f"{episode.slug}.new.mp3"
        reporter.on_progress(episode.slug, 0.0)
        result = master(program, show.audio, fresh, exe=exe,
                        on_progress=lambda f: reporter.on_progress(episode.slug, f))  # fmt: skip
        reporter.on_progress(episode.slug, 1.0)
        cache_key = key()
        os.replace(fresh, master_path(show, episode.slug, cache_key))
        cached = CachedMaster(result, program.offset_s)
        write_master(show, episode.slug, cache_key, cached)
    source = master_path(show, episode.slug, cache_key)
    tags = _tag_values(show, episode, cached)
    tagged = _tag_key(show, episode, source, cached)
    mp3 = show.build_dir / f"{episode.slug}.mp3"
    unchanged = previous and (previous.cache_key, previous.tag_key) == (cache_key, tagged)
    if unchanged and not encoded and mp3.stat().st_size == previous.bytes:
        return replace(previous, action="up to date")
    _tag(show, episode, source, mp3, tags, cached)
    record = BuildRecord(
        slug=episode.slug,
        mp3=mp3,
        bytes=mp3.stat().st_size,
        sha256=sha256_file(mp3),
        duration_s=cached.result.output.duration_s,
        source_sha256=source_sha256(),
        intro_s=round(cached.offset_s, 3),
        cache_key=cache_key,
        tag_key=tagged,
        source_stat=stat,
        master=cached.result,
        action="encoded" if encoded else "re-tagged",
    )
    write_record(show, record)
    return record


def pending_build(show: Show, episode: Episode) -> str | None:
    """What ``build_episode`` would do, found without writing anything (for a dry run):
    "master", "re-tag", or None when build/ holds it up to date."""
    previous = read_record(show, episode.slug)
    if previous is None:
        return "master"
    source_sha256, _ = _source_hash(episode.audio_path, previous)
    intro = choose_clip(episode.intro, show.audio.intro)
    outro = choose_clip(episode.outro, show.audio.outro)
    cache_key = _master_key(show, source_sha256(), intro, outro)
    cached = read_master(show, episode.slug, cache_key)
    if cached is None:
        return "master"
    tagged = _tag_key(show, episode, master_path(show, episode.slug, cache_key), cached)
    return "re-tag" if (previous.cache_key, previous.tag_key) != (cache_key, tagged) else None


def _master_key(show: Show, source_sha256: str, intro: Path | None, outro: Path | None) -> str:
    """The master's cache key: the audio inputs' bytes, the [audio] settings, the version."""
    clips = [sha256_file(p) if p else None for p in (intro, outro)]
    return _digest(MASTER_VERSION, source_sha256, *clips, show.audio.mastering())


def _tag_key(show: Show, episode: Episode, source: Path, cached: CachedMaster) -> str:
    """The tags' cache key: exactly the values written, and the JSON chapters."""
    tags = _tag_values(show, episode, cached)
    return _digest(tag_key(source, show, episode, **tags), _chapters(episode, cached))


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


def _source_hash(path: Path, previous: BuildRecord | None) -> tuple[Callable[[], str], tuple]:
    """The source's sha256 (as a call that waits for it) and its (size, mtime_ns).

    Re-read only when the size or mtime changed since the last build, and then on a thread:
    hashing a long WAV takes seconds that mastering can use.
    """
    state = _stat(path)
    if previous and tuple(previous.source_stat) == state:
        return (lambda: previous.source_sha256), state
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(sha256_file, path)
    pool.shutdown(wait=False)
    return future.result, state


def _stat(path: Path) -> tuple[int, int]:
    """(size, mtime_ns): a source whose stat is unchanged is not hashed again."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _digest(*parts: Any) -> str:
    return sha256_bytes(json.dumps(parts, default=str, sort_keys=True).encode())
