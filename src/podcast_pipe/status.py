"""`status`: one row per episode with where it stands (pending → built → published).

Read from the workspace only: the build records and feed/manifest.json, publish's copy of what
is live (no request to the target).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .build import read_record
from .config import Show
from .episodes import Catalog, Episode
from .errors import display_path
from .manifest import LOCAL_NAME, read_local
from .publish.plan import match_live


@dataclass(frozen=True)
class StatusRow:
    slug: str
    title: str
    date: str
    state: str


def status_rows(catalog: Catalog, now: dt.datetime) -> list[StatusRow]:
    """Rows for every episode and every pending audio file, oldest first."""
    rows = [
        StatusRow(e.slug, e.title, e.date.strftime("%Y-%m-%d %H:%M"), e.state(now))
        for e in catalog.episodes
    ]
    rows += [StatusRow("-", display_path(p), "-", "pending") for p in catalog.pending]
    return rows


def publish_states(show: Show, episodes: list[Episode]) -> dict[str, str]:
    """Slug → built / published / changed since publish, from build records and feed/manifest.json."""
    live = read_local(show.feed_dir / LOCAL_NAME)
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


# For `status` (part B of issue 13): objects out of the feed that the target still keeps for
# cached feeds, with when they go, are `manifest.retired_objects(manifest, show.publish.keep_old)`
# (the manifest read from the target, or its local copy).
