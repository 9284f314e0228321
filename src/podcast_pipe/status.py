"""`status`: one row per episode with where it stands (pending → published)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .episodes import Catalog
from .errors import display_path


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
