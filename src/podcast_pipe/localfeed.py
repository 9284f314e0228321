"""`feed`: feed/feed.xml (and its archive pages) regenerated here, without asking the target.

The plan is made against feed/manifest.json (publish's copy of what is live) and the build
records: published episodes keep their GUIDs and URLs, built ones get the URLs they will have.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .build import read_record
from .config import Show
from .episodes import Episode
from .manifest import LOCAL_NAME, read_local
from .publish.act import save_feed
from .publish.plan import Plan, plan_release


def local_plan(show: Show, episodes: list[Episode], now: dt.datetime) -> Plan:
    """The plan against the local manifest copy: what the feed is once everything is published."""
    previous = read_local(show.feed_dir / LOCAL_NAME)
    return plan_release(show, [(ep, read_record(show, ep.slug)) for ep in episodes], previous, now)


def write_feed(show: Show, episodes: list[Episode], now: dt.datetime) -> Path:
    """Regenerate feed/feed.xml (and feed-2.xml … with ``[feed] page_size``) from metadata,
    build records and the local manifest copy."""
    save_feed(show.feed_path, local_plan(show, episodes, now))
    return show.feed_path
