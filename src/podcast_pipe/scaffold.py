"""Create things for the producer: a new show workspace (`init`), the next episode (`new`)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path

from .config import CONFIG_NAME, Show
from .episodes import AUDIO_EXTS, Catalog, slugify
from .errors import EpisodeError, PodcastError
from .files import atomic_path, write_atomic

PODCAST_TOML = """\
# podcast-pipe show settings. Paths are relative to this file. No secrets here: S3 credentials
# come from the standard AWS chain (environment, ~/.aws profile, instance role).

[show]
title = "{title}"
description = "What the show is about, in two or three sentences (Apple shows up to 4000 bytes)."
author = "Your name or organisation"
language = "tr"                       # BCP 47: tr, az, en-GB, …
image = "feed/cover.jpg"              # square JPEG/PNG, 1400–3000 px, RGB
categories = ["Society & Culture"]    # Apple's list; "Main > Sub" for a subcategory
explicit = false
owner = {{ name = "Your name", email = "you@example.org" }}
# website = "https://example.org"
# copyright = "© 2026 …"
type = "episodic"                     # episodic (newest first) or serial (in order)
timezone = "Europe/Istanbul"          # for `podcast-pipe new` dates

[audio]
loudness = -16.0                      # integrated LUFS (-16 stereo; -19 is common for mono)
true_peak = -1.0                      # dBTP ceiling of the published MP3
channels = "auto"                     # auto: mono stays mono, identical stereo becomes mono
# bitrate = 128                       # kbps; default 128 stereo / 64 mono
# intro = "assets/intro.wav"          # added before every episode (crossfaded)
# outro = "assets/outro.wav"
trim_silence = false

[publish]
target = "file://public"              # or "s3://bucket/prefix" (AWS S3, R2, B2, MinIO, Spaces…)
# base_url = "https://podcast.example.org/"   # the public URL the target is served from
"""

GITIGNORE = "build/\npublic/\n.venv/\n"


def init_workspace(folder: Path, title: str = "My Podcast") -> list[Path]:
    """Scaffold a show workspace in ``folder``; refuse to overwrite anything."""
    config = folder / CONFIG_NAME
    if config.exists():
        raise PodcastError(
            "a show already lives here", path=config, hint="edit it, or run init in a new folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    created = [config]
    write_atomic(config, PODCAST_TOML.format(title=title.replace('"', "'")).encode("utf-8"))
    for sub in ("episodes", "feed"):
        (folder / sub).mkdir(exist_ok=True)
        created.append(folder / sub)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        write_atomic(gitignore, GITIGNORE.encode("utf-8"))
        created.append(gitignore)
    return created


def next_numbers(catalog: Catalog) -> tuple[int, int | None]:
    """The next episode number in the latest season, and that season (None: no seasons)."""
    season = max((e.season for e in catalog.episodes if e.season is not None), default=None)
    numbers = [
        e.episode
        for e in catalog.episodes
        if e.type == "full" and e.episode is not None and e.season == season
    ]
    return max(numbers, default=0) + 1, season


def new_episode(
    show: Show,
    catalog: Catalog,
    title: str,
    *,
    audio: Path | None = None,
    date: dt.datetime | None = None,
    draft: bool = False,
) -> list[Path]:
    """Write the next episode's metadata file (and copy its audio in when asked)."""
    number, season = next_numbers(catalog)
    date = (date or dt.datetime.now(show.tz)).replace(microsecond=0)
    if date.tzinfo is None:
        date = date.replace(tzinfo=show.tz)
    folder = show.episodes_dir
    folder.mkdir(exist_ok=True)
    created: list[Path] = []
    if audio is not None and audio.resolve().parent == folder.resolve():
        stem = audio.stem  # pending audio already in episodes/: give it its metadata
    else:
        stem = f"{number:02d}-{slugify(title)}"
    meta = folder / f"{stem}.md"
    if meta.exists():
        raise EpisodeError("already exists", path=meta, hint="edit it, or choose another title")
    if audio is not None and audio.resolve().parent != folder.resolve():
        created.append(_copy_audio(audio, folder / f"{stem}{audio.suffix.lower()}"))
    draft = draft or audio is None  # no audio yet: a draft until the producer adds it
    write_atomic(meta, _front_matter(title, date, number, season, draft).encode("utf-8"))
    return [meta, *created]


def _copy_audio(source: Path, destination: Path) -> Path:
    if not source.is_file():
        raise EpisodeError("file not found", path=source, field="--audio", hint="check the path")
    if source.suffix.lower() not in AUDIO_EXTS:
        raise EpisodeError(
            f"not an audio format podcast-pipe reads ({source.suffix})",
            path=source,
            field="--audio",
            hint="use one of " + ", ".join(AUDIO_EXTS),
        )
    if destination.exists():
        raise EpisodeError("already exists", path=destination, hint="remove it or rename the title")
    # Under a hidden temporary name until complete: episodes/ never shows half a recording.
    with atomic_path(destination) as temp:
        shutil.copy2(source, temp)
    return destination


def _front_matter(
    title: str, date: dt.datetime, number: int, season: int | None, draft: bool
) -> str:
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {date.isoformat()}            # publish time; a future date schedules it",
        f"episode: {number}",
        *([f"season: {season}"] if season else []),
        "type: full                           # full | trailer | bonus",
        "explicit: false",
        'summary: ""                          # one line for apps\' list views',
        f'guid: "{uuid.uuid4()}"   # keeps the episode one episode in apps forever',
        f"draft: {'true' if draft else 'false'}"
        + ("                         # set to false once the audio is in place" if draft else ""),
        "# chapters:",
        '#   - {start: "00:00", title: "Giriş"}',
        "---",
        "Show notes in **Markdown**: guests, links, what the episode covers.",
        "",
    ]
    return "\n".join(lines)
