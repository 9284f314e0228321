"""`check`: validate the show and every episode, collecting every problem at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .audit import audit_show
from .build import read_record
from .chapters import soundbite_timeline, timeline
from .config import Show, inspect_show
from .episodes import Catalog, Episode, load_episodes
from .errors import EpisodeError, Problems, display_path
from .lint import lint_show
from .paging import feed_size_warnings


@dataclass
class Checked:
    """The show and its episodes as far as they could be read, and what is wrong."""

    show: Show | None
    catalog: Catalog
    problems: Problems


def check_workspace(root: Path) -> Checked:
    """Read podcast.toml and episodes/ and report every problem (errors) and pending audio."""
    show, problems = inspect_show(root)
    if show is None:
        return Checked(None, Catalog(), problems)
    catalog = load_episodes(show)
    problems.extend(catalog.problems)
    problems.extend(lint_show(show, catalog.episodes))
    for episode in catalog.episodes:
        _check_times(show, episode, problems)
    problems.extend(audit_show(show, catalog.episodes))
    for audio in catalog.pending:
        problems.warn(pending_warning(audio))
    feed = show.feed_path.stat().st_size if show.feed_path.is_file() else None
    ready = catalog.ready(dt.datetime.now(dt.UTC))
    problems.extend(feed_size_warnings(show, len(ready), feed))
    return Checked(show, catalog, problems)


def pending_warning(audio: Path) -> EpisodeError:
    """Audio without a metadata file is waiting, not an error: say how to give it one."""
    return EpisodeError(
        "audio without a metadata file: pending, not published",
        path=audio,
        hint=f'run `podcast-pipe new "Title" --audio "{display_path(audio)}"`',
    )


def _check_times(show: Show, episode: Episode, problems: Problems) -> None:
    """Chapters and soundbites must lie inside the audio: known once it has been built."""
    record = read_record(show, episode.slug)
    if not (record and (episode.chapters or episode.soundbites) and episode.audio_path):
        return
    stat = episode.audio_path.stat()
    if tuple(record.source_stat) != (stat.st_size, stat.st_mtime_ns):
        return  # the audio changed since that build: its length is not known yet
    for place in (timeline, soundbite_timeline):
        try:
            place(episode, duration_s=record.duration_s, offset_s=record.intro_s)
        except EpisodeError as exc:
            problems.error(exc)
