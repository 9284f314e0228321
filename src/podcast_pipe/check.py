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
from .errors import ConfigError, EpisodeError, Problems, display_path
from .lint import lint_show
from .manifest import LOCAL_NAME
from .paging import feed_size_warnings
from .scaffold import TEMPLATE_NOTES, TEMPLATE_VALUES


@dataclass
class Checked:
    """The show and its episodes as far as they could be read, and what is wrong."""

    show: Show | None
    catalog: Catalog
    problems: Problems


def check_workspace(root: Path, *, store: bool = True) -> Checked:
    """Read podcast.toml and episodes/ and report every problem (errors) and pending audio.

    Nothing stops early: a bad podcast.toml still lets the episodes be checked, and an episode
    with one problem is still checked for the others. ``store=False`` caches nothing.
    """
    show, problems = inspect_show(root)
    if show is None:
        return Checked(None, Catalog(), problems)
    catalog = load_episodes(show)
    problems.extend(catalog.problems)
    problems.extend(lint_show(show, catalog.episodes))
    _check_placeholders(show, catalog, problems)
    _check_pinned_guid(show, problems)
    for episode in catalog.episodes + catalog.rejected:
        _check_times(show, episode, problems)
    problems.extend(audit_show(show, catalog.episodes, store=store))
    for audio in catalog.pending:
        problems.warn(pending_warning(audio))
    feed = show.feed_path.stat().st_size if show.feed_path.is_file() else None
    ready = catalog.ready(dt.datetime.now(dt.UTC))
    problems.extend(feed_size_warnings(show, len(ready), feed))
    return Checked(show, catalog, problems)


def _check_placeholders(show: Show, catalog: Catalog, problems: Problems) -> None:
    """Values `init` and `new` wrote for the producer to replace must not go live."""
    owner = show.owner
    values = {
        "show.title": show.title,
        "show.description": show.description,
        "show.author": show.author,
        "show.owner.name": owner.name if owner else None,
        "show.owner.email": owner.email if owner else None,
    }
    for field, value in values.items():
        if value == TEMPLATE_VALUES[field]:
            problems.error(
                ConfigError(
                    f"still the template's {value!r}",
                    path=show.config_path,
                    field=field,
                    hint="write the show's own value",
                )
            )
    for episode in catalog.episodes + catalog.rejected:
        if episode.notes == TEMPLATE_NOTES:
            problems.error(
                EpisodeError(
                    "the show notes are still the template's",
                    path=episode.meta_path,
                    field="notes",
                    hint="write this episode's notes below the front matter",
                )
            )


def _check_pinned_guid(show: Show, problems: Problems) -> None:
    """A published show's podcast:guid must not follow its feed URL: pin it in podcast.toml."""
    if show.guid or not (show.feed_dir / LOCAL_NAME).is_file():
        return
    problems.warn(
        ConfigError(
            "is not pinned: the show is published, and its podcast:guid would change if the "
            "feed moved",
            path=show.config_path,
            field="show.guid",
            hint=f'add this line under [show]: guid = "{show.podcast_guid}"',
        )
    )


def pending_warning(audio: Path) -> EpisodeError:
    """Audio without a metadata file is waiting, not an error: say how to give it one."""
    return EpisodeError(
        "audio without a metadata file: pending, not published",
        path=audio,
        hint=f'run `podcast-pipe new "Title" --audio "{display_path(audio)}"`',
    )


def _check_times(show: Show, episode: Episode, problems: Problems) -> None:
    """Chapters and soundbites must lie inside the audio, known once it has been built; what
    that build's mastering could not do (a loudness it fell short of) is repeated here."""
    record = read_record(show, episode.slug)
    if not (record and episode.audio_path):
        return
    stat = episode.audio_path.stat()
    if tuple(record.source_stat) != (stat.st_size, stat.st_mtime_ns):
        return  # the audio changed since that build: its length is not known yet
    for warning in record.master.warnings:
        problems.warn(EpisodeError(warning, path=episode.audio_path))
    for place in (timeline, soundbite_timeline):
        try:
            place(episode, duration_s=record.duration_s, offset_s=record.intro_s)
        except EpisodeError as exc:
            problems.error(exc)
