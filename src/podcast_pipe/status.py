"""`status`: one row per episode with where it stands (pending → built → published).

"Published" means live on the configured target: its manifest.json is read from there (a
file:// target directly, an S3 target with one GET), so a newly configured target shows
nothing as published. Episodes that cannot be read appear with their problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .build import read_record
from .config import Show
from .episodes import Catalog, Episode, slugify
from .errors import display_path
from .manifest import Manifest, parse_manifest, retired_objects
from .publish import layout, open_show_target
from .publish.plan import match_live

PROBLEM = "problem"


@dataclass(frozen=True)
class StatusRow:
    slug: str
    title: str
    date: str
    state: str


def status_rows(catalog: Catalog, now: dt.datetime) -> list[StatusRow]:
    """Rows for every episode, every pending audio file and every file with a problem."""
    rows = [
        StatusRow(e.slug, e.title, e.date.strftime("%Y-%m-%d %H:%M"), e.state(now))
        for e in catalog.episodes
    ]
    rows += [StatusRow("-", display_path(p), "-", "pending") for p in catalog.pending]
    return rows + problem_rows(catalog)


def problem_rows(catalog: Catalog) -> list[StatusRow]:
    """One row per file with errors: its first problem, and how many more `check` shows."""
    by_path: dict[str, list[Any]] = {}
    for problem in catalog.problems.errors:
        by_path.setdefault(str(problem.path), []).append(problem)
    rows = []
    for path, problems in by_path.items():
        first = problems[0]
        what = f"{first.field}: {first.message}" if first.field else first.message
        more = f" (+{len(problems) - 1} more: podcast-pipe check)" if len(problems) > 1 else ""
        name = path.removesuffix("/episode.md").rsplit("/", 1)[-1].removesuffix(".md")
        rows.append(StatusRow(slugify(name) or "-", display_path(path), "-",
                              f"{PROBLEM}: {what}{more}"))  # fmt: skip
    return rows


def read_live(show: Show) -> Manifest:
    """What is live on the configured target (its manifest.json); empty if nothing is.

    Raises StorageError when the target cannot be read (no bucket, no credentials, offline).
    """
    target = open_show_target(show)
    data = target.get(layout.MANIFEST_KEY)
    if data is None:
        return Manifest()
    return parse_manifest(data, target.url + layout.MANIFEST_KEY)


def publish_states(
    show: Show, episodes: list[Episode], live: Manifest | None = None
) -> dict[str, str]:
    """Slug → built / published / changed since publish, against ``live`` (default: read the
    target's manifest)."""
    live = read_live(show) if live is None else live
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


def retired_rows(live: Manifest, keep_old: dt.timedelta) -> list[tuple[str, str]]:
    """(key, when it left the feed and when a publish deletes it) for each retired object:
    out of the feed, kept for cached feeds during ``[publish] keep_old``."""
    return [
        (
            o.key,
            f"left {o.left_at:%Y-%m-%d %H:%M} UTC, deleted from {o.delete_after:%Y-%m-%d %H:%M}",
        )
        for o in retired_objects(live, keep_old)
    ]
