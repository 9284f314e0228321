"""`check`: validate the show and every episode, collecting every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import Show, inspect_show
from .episodes import Catalog, load_episodes
from .errors import EpisodeError, Problems, display_path
from .lint import lint_show


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
    for audio in catalog.pending:
        problems.warn(pending_warning(audio))
    return Checked(show, catalog, problems)


def pending_warning(audio: Path) -> EpisodeError:
    """Audio without a metadata file is waiting, not an error: say how to give it one."""
    return EpisodeError(
        "audio without a metadata file: pending, not published",
        path=audio,
        hint=f'run `podcast-pipe new "Title" --audio "{display_path(audio)}"`',
    )
