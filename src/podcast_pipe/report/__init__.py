"""The audio inspector: per-episode and show-level HTML reports with plots and warnings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Show
from ..episodes import Episode
from ..errors import EpisodeError
from .data import EpisodeReport, episode_report, report_folder
from .page import PAGE, read_reports, write_episode, write_show

if TYPE_CHECKING:
    from ..build import BuildRecord

__all__ = ["EpisodeReport", "find_report", "inspect_episode", "read_reports", "write_show"]


def inspect_episode(show: Show, episode: Episode, record: BuildRecord, build_s: float) -> None:
    """Write the episode's inspector page after its build (kept when nothing was rebuilt)."""
    page = report_folder(show.build_dir, episode.slug) / PAGE
    if record.action == "up to date" and page.is_file():
        return
    seconds = build_s if record.action == "encoded" else None
    write_episode(episode_report(show, episode, record, build_s=seconds), show.build_dir)


def find_report(show: Show, slug: str | None = None) -> tuple[Path, Any]:
    """The inspector page of an episode (or of the show) and the data it shows."""
    reports = read_reports(show.build_dir)
    if slug is None:
        page = show.build_dir / PAGE
        found: Any = [r.to_dict() for r in reports]
    else:
        page = report_folder(show.build_dir, slug) / PAGE
        found = next((r.to_dict() for r in reports if r.slug == slug), None)
    if not page.is_file() or found is None:
        slugs = ", ".join(r.slug for r in reports) or "none yet"
        raise EpisodeError(f"no inspector report (built: {slugs})", path=page,
                           hint="run `podcast-pipe build` first")  # fmt: skip
    return page, found
