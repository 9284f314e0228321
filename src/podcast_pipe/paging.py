"""RFC 5005 archived feeds: which episodes go on which page, and how the pages link.

``feed.xml`` holds the newest ``[feed] page_size`` episodes. Older ones go to archive pages
cut from the OLDEST end in fixed slices: ``feed-2.xml`` holds the first ``page_size``
episodes ever published, ``feed-3.xml`` the next ones, and so on. A new episode therefore
changes only ``feed.xml`` and the newest archive page while that page fills; a full archive
page never changes again, so apps and caches can keep it. Archive pages carry
``fh:archive``; the subscription page points to the newest archive (``prev-archive``, and
``next`` for apps that page like AntennaPod), each archive to the one before it and back to
the subscription page (``current``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from feedgen.ext.base import BaseExtension
from lxml import etree

from .errors import FeedError, Problems
from .show import Show

ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"
FEED_NAME = "feed.xml"
# Where directories start to truncate a feed (issue 15): warn before they do.
WARN_BYTES = 1_000_000
WARN_ITEMS = 500

T = TypeVar("T")


def archive_name(number: int) -> str:
    """The file name of archive page ``number`` (1: the oldest episodes): ``feed-2.xml`` …"""
    return f"feed-{number + 1}.xml"


@dataclass(frozen=True)
class Page:
    """One feed document: its name, its items (oldest first) and its links by relation."""

    name: str
    items: list[Any]
    links: dict[str, str]  # rel → file name
    archive: bool


def pages(items_oldest_first: Sequence[T], page_size: int) -> list[Page]:
    """Split the items into the subscription page and archive pages (see the module doc)."""
    items = list(items_oldest_first)
    if len(items) <= page_size:
        return [Page(FEED_NAME, items, {}, archive=False)]
    archived, head = items[: len(items) - page_size], items[len(items) - page_size :]
    slices = [archived[i : i + page_size] for i in range(0, len(archived), page_size)]
    result = []
    for number, chunk in enumerate(slices, 1):
        links = {"current": FEED_NAME}
        if number > 1:
            older = archive_name(number - 1)
            links |= {"prev-archive": older, "next": older}
        result.append(Page(archive_name(number), chunk, links, archive=True))
    newest = archive_name(len(slices))
    result.append(Page(FEED_NAME, head, {"prev-archive": newest, "next": newest}, archive=False))
    return result


class PagingExtension(BaseExtension):
    """Channel tags of a paged feed: ``atom:link`` per relation and ``fh:archive``."""

    def __init__(self) -> None:
        self.__links: dict[str, str] = {}
        self.__archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        for rel, href in self.__links.items():
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", rel=rel, href=href)
        if self.__archive:
            etree.SubElement(channel, f"{{{FH_NS}}}archive")
        return rss_feed

    def page_link(self, rel: str | None = None, href: str = "") -> dict[str, str]:
        """Add a link to another page of the feed (``current``, ``prev-archive``, ``next``)."""
        if rel is not None:
            self.__links[rel] = href
        return self.__links

    def page_archive(self, archive: bool | None = None) -> bool:
        """Mark this document as an archive page (RFC 5005 section 4: ``fh:archive``)."""
        if archive is not None:
            self.__archive = bool(archive)
        return self.__archive


def feed_size_warnings(show: Show, items: int, feed_bytes: int | None) -> Problems:
    """Warn when a one-document feed passes the size at which directories truncate it."""
    problems = Problems()
    if show.feed.page_size:
        return problems
    hint = "page it: add `page_size = 100` under [feed] in podcast.toml"
    if items > WARN_ITEMS:
        problems.warn(FeedError(f"the feed lists {items} episodes; directories read about "
                                f"{WARN_ITEMS}", path=show.config_path, field="feed.page_size",
                                hint=hint))  # fmt: skip
    if feed_bytes is not None and feed_bytes > WARN_BYTES:
        problems.warn(FeedError(f"the feed is {feed_bytes / 1e6:.1f} MB; directories stop "
                                "reading at about 1 MB", path=show.feed_path,
                                field="feed.page_size", hint=hint))  # fmt: skip
    return problems
