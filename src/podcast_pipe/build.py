"""build/: each episode's mastered, tagged MP3, its chapters and a record of what was done.

Two caches, so each change costs only what it must:

- the untagged master, ``build/.cache/<slug>-<key>.mp3``, keyed by the audio inputs (episode
  audio, intro, outro), the ``[audio]`` settings and ``MASTER_VERSION``;
- the tagged output ``build/<slug>.mp3``, re-made from the master (a copy and a re-tag, no
  re-encode) when only metadata, artwork or the tagging code changed.

Every file is written to a temporary name and renamed, so a killed build never leaves a half
MP3 that looks done, and the previous output stays intact.
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from . import artwork, chapters, tags
from .audio.clips import prepare_clip
from .audio.decode import Program, SourceInfo, probe, speech_bounds
from .audio.encode import Mp3Format
from .audio.limiter import LimiterStats
from .audio.master import MASTER_VERSION, MasterResult, master
from .audio.meter import Loudness
from .chapters import chapters_json
from .config import AudioSettings, Show
from .episodes import Catalog, Episode, episode_guid
from .errors import EpisodeError, PodcastError, Problems
from .ffmpeg import find_ffmpeg
from .files import write_atomic
from .report import inspect_episode, write_show
from .tags import write_tags

CACHE = ".cache"
CLIPS = "clips"  # under CACHE: the intros and outros, trimmed, as WAV
REPORT = "report.json"


@dataclass(frozen=True)
class BuildRecord:
    """What the build made of one episode; stored as build/<slug>.json beside the MP3."""

    slug: str
    mp3: Path  # build/<slug>.mp3, the final tagged file
    bytes: int
    sha256: str  # of the final MP3
    duration_s: float
    source_sha256: str  # of the episode's own audio file
    intro_s: float  # where the episode's own second 0 is in the MP3 (the chapter offset)
    cache_key: str  # of the untagged master
    tag_key: str  # of everything the tags and chapters are made from
    input: Loudness
    output: Loudness
    gain_db: float
    limiter: LimiterStats
    channels: int
    bitrate_kbps: int
    sample_rate: int
    encodes: int  # 1, or more when the first MP3 missed the target
    source_stat: tuple[int, int]  # size and mtime_ns, to trust source_sha256 without re-reading
    action: str = "up to date"  # what this run did: encoded, re-tagged, up to date

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(mp3=self.mp3.name, input=self.input.to_dict(), output=self.output.to_dict())
        del data["action"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], folder: Path) -> BuildRecord:
        return cls(
            **{
                **data,
                "mp3": folder / data["mp3"],
                "input": Loudness.from_dict(data["input"]),
                "output": Loudness.from_dict(data["output"]),
                "limiter": LimiterStats(**data["limiter"]),
                "source_stat": tuple(data["source_stat"]),
            }
        )


def record_path(show: Show, slug: str) -> Path:
    return show.build_dir / f"{slug}.json"


def read_record(show: Show, slug: str) -> BuildRecord | None:
    """The episode's build record, if it was built and its MP3 is still there."""
    try:
        data = json.loads(record_path(show, slug).read_text(encoding="utf-8"))
        record = BuildRecord.from_dict(data, show.build_dir)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return record if record.mp3.is_file() else None


def select_episodes(catalog: Catalog, slugs: Iterable[str]) -> list[Episode]:
    """The episodes named by slug, or all but drafts; raises the catalog's first problem."""
    catalog.problems.raise_first()
    slugs = list(slugs)
    if not slugs:
        return [e for e in catalog.episodes if not e.draft]
    known = {e.slug: e for e in catalog.episodes}
    for slug in slugs:
        if slug not in known:
            raise EpisodeError(
                f"no episode with the slug {slug!r}",
                field="slug",
                hint=_closest(slug, known) or "run `podcast-pipe status` to see the slugs",
            )
    return [known[slug] for slug in slugs]


def _closest(slug: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(slug, sorted(known), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def build_episodes(
    show: Show,
    episodes: Iterable[Episode],
    *,
    jobs: int | None = None,
    force: bool = False,
    progress: bool = True,
) -> list[BuildRecord]:
    """Build every episode that changed (``jobs`` at a time) and write build/report.json.

    Episodes that fail do not stop the others; the first problem is raised at the end.
    """
    episodes = list(episodes)
    show.build_dir.joinpath(CACHE).mkdir(parents=True, exist_ok=True)
    exe = find_ffmpeg(show.audio.ffmpeg)
    bars = Progress(len(episodes), enabled=progress)
    problems = Problems()

    def one(episode: Episode) -> BuildRecord | None:
        try:
            started = time.monotonic()
            record = build_episode(show, episode, exe=exe, force=force, bars=bars)
            inspect_episode(show, episode, record, time.monotonic() - started)
            return record
        except PodcastError as exc:
            problems.error(exc)
            return None

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        records = [r for r in pool.map(one, episodes) if r is not None]
    bars.close()
    write_report(show)
    write_show(show.build_dir, show.title)
    problems.raise_first()
    return records


def build_episode(
    show: Show,
    episode: Episode,
    *,
    exe: str | None = None,
    force: bool = False,
    bars: Progress | None = None,
) -> BuildRecord:
    """Master (if its audio inputs changed) and tag (if anything changed) one episode."""
    bars = bars or Progress(1, enabled=False)
    previous = read_record(show, episode.slug)
    intro, outro = _clip(episode.intro, show.audio.intro), _clip(episode.outro, show.audio.outro)
    source_sha256, stat = _source_hash(episode.audio_path, previous)
    clips = [file_sha256(p) if p else None for p in (intro, outro)]

    def key() -> str:
        return _digest(MASTER_VERSION, source_sha256(), *clips, _master_settings(show.audio))

    # With no master of this slug to reuse, mastering starts while the source is being hashed.
    reusable = not force and any(show.build_dir.joinpath(CACHE).glob(f"{episode.slug}-*.json"))
    cache_key = key() if reusable else ""
    cached = _read_master(show, episode.slug, cache_key) if cache_key else None
    action = "up to date"
    if cached is None:
        fresh = show.build_dir / CACHE / f"{episode.slug}.new.mp3"
        exe = exe or find_ffmpeg(show.audio.ffmpeg)
        clip_cache = show.build_dir / CACHE / CLIPS
        with bars.episode(episode.slug) as report:
            program = _program(episode.audio_path, intro, outro, show.audio, exe, clip_cache)
            result = master(program, show.audio, fresh, exe=exe, on_progress=report)
        cache_key = key()
        os.replace(fresh, _master_path(show, episode.slug, cache_key))
        cached = _write_master(show, episode.slug, cache_key, result, program.offset_s)
        action = "encoded"
    result, offset_s = cached
    guid = episode_guid(show, episode)
    tag_key = _digest(cache_key, repr(show), repr(episode), guid, *_tag_inputs(show, episode))
    mp3 = show.build_dir / f"{episode.slug}.mp3"
    unchanged = previous and (previous.cache_key, previous.tag_key) == (cache_key, tag_key)
    if unchanged and action != "encoded" and mp3.stat().st_size == previous.bytes:
        bars.done(episode.slug, "up to date")
        return replace(previous, action="up to date")
    _tag(show, episode, _master_path(show, episode.slug, cache_key), mp3, guid, result, offset_s)
    record = BuildRecord(
        slug=episode.slug,
        mp3=mp3,
        bytes=mp3.stat().st_size,
        sha256=file_sha256(mp3),
        duration_s=result.output.duration_s,
        source_sha256=source_sha256(),
        intro_s=round(offset_s, 3),
        cache_key=cache_key,
        tag_key=tag_key,
        input=result.input,
        output=result.output,
        gain_db=result.gain_db,
        limiter=result.limiter,
        channels=result.format.channels,
        bitrate_kbps=result.format.bitrate_kbps,
        sample_rate=result.format.sample_rate,
        encodes=result.encodes,
        source_stat=stat,
        action="encoded" if action == "encoded" else "re-tagged",
    )
    write_atomic(record_path(show, episode.slug), _json(record.to_dict()))
    bars.done(episode.slug, record.action)
    return record


def _clip(override: Path | bool | None, default: Path | None) -> Path | None:
    """Episode intro/outro: None = the show's, False = none, a path = that file."""
    if override is None:
        return default
    return override if isinstance(override, Path) else None


def _program(
    main: Path,
    intro: Path | None,
    outro: Path | None,
    settings: AudioSettings,
    exe: str,
    cache: Path,
) -> Program:
    """Probe the parts, prepare the clips (silence trimmed) and work out crossfade and trim."""
    main_info = probe(main, exe=exe)
    threshold = settings.silence_threshold_db
    intro_info, intro_s = _prepared(intro, cache, threshold, exe)
    outro_info, _ = _prepared(outro, cache, threshold, exe)
    trim = (0.0, None)
    if settings.trim_silence:
        padding = settings.silence_padding_ms / 1000
        trim = speech_bounds(main, threshold, padding, exe=exe)
    # acrossfade needs both sides at least as long as the fade.
    lengths = [intro_s] if intro else []
    lengths += [p.duration_s for p in (main_info, outro_info) if p and p.duration_s]
    crossfade = min([settings.crossfade_ms / 1000, *(length / 2 for length in lengths)])
    return Program(main_info, intro_info, outro_info, intro_s, crossfade, trim)


def _prepared(
    clip: Path | None, cache: Path, threshold_db: float, exe: str
) -> tuple[SourceInfo | None, float]:
    """The clip as mastered (clips.prepare_clip: its silence trimmed), probed, and its length."""
    if clip is None:
        return None, 0.0
    wav, seconds = prepare_clip(clip, cache, exe=exe, threshold_db=threshold_db)
    return probe(wav, exe=exe), seconds


def _master_settings(settings: AudioSettings) -> dict[str, Any]:
    """The [audio] settings that change the master (not the ID3 version, say)."""
    names = ("loudness", "true_peak", "channels", "bitrate", "sample_rate", "crossfade_ms",
             "trim_silence", "silence_threshold_db", "silence_padding_ms", "ffmpeg")  # fmt: skip
    return {name: getattr(settings, name) for name in names}


def _tag_inputs(show: Show, episode: Episode) -> list[Any]:
    """Besides the model: the artwork files' states and the code that writes tags and chapters."""
    images = [show.image, episode.image, *(c.image for c in episode.chapters)]
    states = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in images if p and p.exists()]
    code = [
        hashlib.sha256(inspect.getsource(m).encode()).hexdigest() for m in (tags, chapters, artwork)
    ]
    return [states, code]


def _master_path(show: Show, slug: str, key: str) -> Path:
    return show.build_dir / CACHE / f"{slug}-{key[:16]}.mp3"


def _read_master(show: Show, slug: str, key: str) -> tuple[MasterResult, float] | None:
    """The cached master's figures and chapter offset, if that master exists."""
    path = _master_path(show, slug, key)
    try:
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not path.is_file():
        return None
    result = MasterResult(
        input=Loudness.from_dict(data["input"]),
        output=Loudness.from_dict(data["output"]),
        gain_db=data["gain_db"],
        limiter=LimiterStats(**data["limiter"]),
        format=Mp3Format(**data["format"]),
        encodes=data["encodes"],
    )
    return result, data["offset_s"]


def _write_master(
    show: Show, slug: str, key: str, result: MasterResult, offset_s: float
) -> tuple[MasterResult, float]:
    """Store the master's figures beside it and drop the slug's older masters."""
    path = _master_path(show, slug, key)
    data = {**asdict(result), "input": result.input.to_dict(), "output": result.output.to_dict()}
    write_atomic(path.with_suffix(".json"), _json({**data, "offset_s": offset_s}))
    for old in path.parent.glob(f"{slug}-*"):
        if old.stem != path.stem and old.stem[len(slug) + 1 :].isalnum():
            old.unlink(missing_ok=True)
    return result, offset_s


def _tag(
    show: Show,
    episode: Episode,
    master_mp3: Path,
    mp3: Path,
    guid: str,
    result: MasterResult,
    offset_s: float,
) -> None:
    """Copy the master, tag the copy, and put it and the JSON chapters in place atomically."""
    duration_s = result.output.duration_s
    temp = mp3.with_name(f".{mp3.name}.part")
    try:
        shutil.copyfile(master_mp3, temp)
        write_tags(temp, show, episode, guid=guid, duration_s=duration_s, offset_s=offset_s,
                   loudness=result.output.to_dict())  # fmt: skip
        os.replace(temp, mp3)
    finally:
        temp.unlink(missing_ok=True)
    chapters_file = mp3.with_name(f"{episode.slug}.chapters.json")
    data = chapters_json(episode, duration_s=duration_s, offset_s=offset_s)
    if data is None:
        chapters_file.unlink(missing_ok=True)
    else:
        write_atomic(chapters_file, _json(data))


def write_report(show: Show) -> Path:
    """build/report.json: the records of every built episode."""
    records = [read_record(show, path.stem) for path in sorted(show.build_dir.glob("*.json"))]
    data = [r.to_dict() for r in records if r is not None]
    path = show.build_dir / REPORT
    write_atomic(path, _json({"master_version": MASTER_VERSION, "episodes": data}))
    return path


REPORT_HEADER = [
    "episode", "action", "in LUFS", "in LRA", "in dBTP", "gain dB", "limited", "out LUFS",
    "out LRA", "out dBTP", "ch", "kbps", "duration", "size",
]  # fmt: skip


def report_rows(records: Iterable[BuildRecord]) -> list[tuple[str, ...]]:
    """One row per episode for the terminal table under ``REPORT_HEADER``."""
    rows = []
    for r in records:
        limited = f"-{r.limiter.max_reduction_db:.1f} dB/{r.limiter.limited_ms:.0f} ms"
        minutes, seconds = divmod(round(r.duration_s), 60)
        rows.append((
            r.slug, r.action, _db(r.input.integrated), _db(r.input.lra), _db(r.input.true_peak),
            f"{r.gain_db:+.1f}", limited if r.limiter.limited_ms else "-",
            _db(r.output.integrated), _db(r.output.lra), _db(r.output.true_peak),
            str(r.channels), str(r.bitrate_kbps), f"{minutes}:{seconds:02d}",
            f"{r.bytes / 1e6:.1f} MB",
        ))  # fmt: skip
    return rows


def _db(value: float) -> str:
    return f"{value:.1f}" if value > -1000 else "-inf"


# --- files ----------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _source_hash(path: Path, previous: BuildRecord | None) -> tuple[Callable[[], str], tuple]:
    """The source's sha256 (as a call that waits for it) and its (size, mtime_ns).

    Re-read only when the size or mtime changed since the last build, and then on a thread:
    hashing a long WAV takes seconds that mastering can use.
    """
    stat = path.stat()
    state = (stat.st_size, stat.st_mtime_ns)
    if previous and previous.source_stat == state:
        return (lambda: previous.source_sha256), state
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(file_sha256, path)
    pool.shutdown(wait=False)
    return future.result, state


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- progress -------------------------------------------------------------------------------


class Progress:
    """A tqdm bar per episode and one overall on a terminal; plain lines otherwise."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.lock = threading.Lock()
        self.overall = None
        if self.tty:
            from tqdm import tqdm

            self.overall = tqdm(total=total, desc="build", unit="episode", position=0)
        self.next_position = 1

    def episode(self, slug: str) -> _EpisodeBar:
        with self.lock:
            position, self.next_position = self.next_position, self.next_position + 1
        return _EpisodeBar(self, slug, position)

    def done(self, slug: str, action: str) -> None:
        if self.overall is not None:
            self.overall.update(1)
        elif self.enabled and action != "up to date":  # an idle run stays quiet
            print(f"{slug}: {action}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.overall is not None:
            self.overall.close()


class _EpisodeBar:
    """Context manager yielding a callback that takes the fraction done."""

    def __init__(self, parent: Progress, slug: str, position: int) -> None:
        self.parent, self.slug, self.position = parent, slug, position
        self.bar = None
        self.quarter = 0

    def __enter__(self) -> Callable[[float], None]:
        if self.parent.tty:
            from tqdm import tqdm

            self.bar = tqdm(
                total=100, desc=self.slug, unit="%", position=self.position, leave=False
            )
        elif self.parent.enabled:
            print(f"{self.slug}: mastering", file=sys.stderr, flush=True)
        return self.update

    def update(self, fraction: float) -> None:
        if self.bar is not None:
            self.bar.update(round(fraction * 100) - self.bar.n)
        elif self.parent.enabled and int(fraction * 4) > self.quarter:
            self.quarter = int(fraction * 4)
            print(f"{self.slug}: {self.quarter * 25}%", file=sys.stderr, flush=True)

    def __exit__(self, *exc_info: Any) -> None:
        if self.bar is not None:
            self.bar.close()
