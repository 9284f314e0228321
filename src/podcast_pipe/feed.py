"""Show + published episodes → RSS 2.0 with iTunes and Podcasting 2.0 tags (feedgen).

The feed is a pure function of its inputs: the same show and items give the same bytes, so
publish can skip an unchanged feed (QUIRKS: feedgen stamps lastBuildDate with "now").
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import lxml.etree
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.feed import FeedEntry, FeedGenerator

from . import __version__, mediatypes
from .chapters import timeline
from .config import Show
from .episodes import Episode
from .manifest import LiveEpisode
from .notes import DESCRIPTION_MAX_BYTES, notes_html, notes_text, truncate_bytes
from .podcasting20 import Podcasting20EntryExtension, Podcasting20Extension
from .psc import PodloveChaptersEntryExtension, PodloveChaptersExtension

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# A feed without items has no newest date; a fixed one keeps it byte-stable.
EMPTY_FEED_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _TrueFalseExplicit:
    """Writes ``itunes:explicit`` as Apple's ``true``/``false``.

    feedgen's ``podcast`` extension accepts only yes/no/clean, which Apple and the W3C
    validator now flag; this mixin takes over the tag from it.
    """

    _explicit: bool | None = None

    def itunes_explicit(self, itunes_explicit: bool | None = None) -> bool | None:
        if itunes_explicit is not None:
            self._explicit = bool(itunes_explicit)
        return self._explicit

    def extend_rss(self, element: Any) -> Any:
        element = super().extend_rss(element)  # type: ignore[misc]
        if self._explicit is not None:
            parent = element[0] if element.tag == "rss" else element  # channel or item
            tag = f"{{{ITUNES_NS}}}explicit"
            lxml.etree.SubElement(parent, tag).text = "true" if self._explicit else "false"
        return element


class ItunesExtension(_TrueFalseExplicit, PodcastExtension):
    """feedgen's channel ``podcast`` extension with true/false ``itunes:explicit``."""


class ItunesEntryExtension(_TrueFalseExplicit, PodcastEntryExtension):
    """feedgen's item ``podcast`` extension with true/false ``itunes:explicit``."""


def render_feed(
    show: Show, items: list[tuple[Episode, LiveEpisode]], *, cover_key: str | None = None
) -> bytes:
    """The RSS feed (UTF-8 bytes) for ``items``: the episodes to list and where their media is.

    ``cover_key`` is the published key of the show cover under ``base_url``. Items are
    ordered here; their GUIDs come from the LiveEpisode, never recomputed.
    """
    fg = _channel(show, cover_key)
    ordered = order_items(show, items)
    for episode, live in ordered:
        _item(fg.add_entry(order="append"), show, episode, live)
    # Newest item date, not "now": regenerating an unchanged show gives the same bytes.
    newest = max((episode.date for episode, _ in ordered), default=EMPTY_FEED_DATE)
    fg.lastBuildDate(newest)
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def order_items(
    show: Show, items: list[tuple[Episode, LiveEpisode]]
) -> list[tuple[Episode, LiveEpisode]]:
    """Newest first for an episodic show; by season and episode number for a serial one."""
    if show.type == "serial":
        # Unnumbered episodes (trailers) come first in their season.
        return sorted(
            items,
            key=lambda i: (i[0].season or 0, i[0].episode or 0, i[0].date, i[0].slug),
        )
    return sorted(items, key=lambda i: (i[0].date, i[0].slug), reverse=True)


def public_url(show: Show, key: str) -> str:
    """Absolute URL of a published object key (keys are relative to ``base_url``)."""
    return show.publish.base_url + quote(key, safe="/")


def _channel(show: Show, cover_key: str | None) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("podcast", ItunesExtension, ItunesEntryExtension)
    fg.register_extension("podcast20", Podcasting20Extension, Podcasting20EntryExtension)
    fg.register_extension("psc", PodloveChaptersExtension, PodloveChaptersEntryExtension)
    link = show.website or show.publish.base_url
    fg.title(show.title)
    # feedgen takes the channel <link> from the last link given: self first, website last.
    fg.link(href=show.publish.feed_url, rel="self", type=mediatypes.RSS)
    fg.link(href=link, rel="alternate")
    fg.description(show.description)
    fg.language(show.language)
    fg.generator(f"podcast-pipe {__version__}")
    if show.copyright:
        fg.copyright(show.copyright)
    itunes = fg.podcast
    itunes.itunes_author(show.author)
    itunes.itunes_summary(show.description)
    itunes.itunes_type(show.type)
    itunes.itunes_explicit(show.explicit)
    if show.owner:
        itunes.itunes_owner(name=show.owner.name or show.author, email=show.owner.email)
    if show.categories:
        itunes.itunes_category([{"cat": main, "sub": sub} for main, sub in show.categories])
    if cover_key:
        cover = public_url(show, cover_key)
        fg.image(url=cover, title=show.title, link=link)
        itunes.itunes_image(cover)
    p20 = fg.podcast20
    p20.podcast_guid(show.podcast_guid)
    p20.podcast_locked(show.locked, owner=show.owner.email if show.owner else None)
    for funding in show.funding:
        p20.podcast_funding(funding.url, funding.title)
    p20.podcast_medium(show.medium)
    return fg


def _item(entry: FeedEntry, show: Show, episode: Episode, live: LiveEpisode) -> None:
    entry.title(episode.title)
    entry.guid(live.guid, permalink=False)
    entry.pubDate(episode.date)  # RFC 2822 in the episode's own time zone
    entry.enclosure(public_url(show, live.media_key), str(live.bytes), mediatypes.MP3)
    text = notes_text(episode.notes) or episode.summary or episode.title
    entry.description(truncate_bytes(text, DESCRIPTION_MAX_BYTES))
    if episode.notes:
        html = notes_html(episode.notes)
        # CDATA keeps the HTML readable; lxml writes ">" as "&gt;", so "]]>" never occurs in it.
        entry.content(html, type="CDATA")
    itunes = entry.podcast
    itunes.itunes_duration(str(round(live.duration_s)))
    itunes.itunes_episode_type(episode.type)
    itunes.itunes_explicit(show.explicit if episode.explicit is None else episode.explicit)
    if episode.summary:
        itunes.itunes_subtitle(episode.summary)
    if live.image_key:
        itunes.itunes_image(public_url(show, live.image_key))
    p20 = entry.podcast20
    if episode.season is not None:
        itunes.itunes_season(episode.season)
        p20.podcast_season(episode.season)
    if episode.episode is not None:
        itunes.itunes_episode(episode.episode)
        p20.podcast_episode(episode.episode)
    if live.chapters_key:
        p20.podcast_chapters(public_url(show, live.chapters_key))
        _inline_chapters(entry, episode, live)
    if live.transcript_key:
        suffix = live.transcript_key[live.transcript_key.rfind(".") :].lower()
        p20.podcast_transcript(
            public_url(show, live.transcript_key),
            type=mediatypes.for_suffix(live.transcript_key),
            language=show.language,
            rel="captions" if suffix in mediatypes.TRANSCRIPT_SUFFIXES else None,
        )
    for person in episode.persons:
        p20.podcast_person(
            person.name, role=person.role, group=person.group, img=person.img, href=person.href
        )


def _inline_chapters(entry: FeedEntry, episode: Episode, live: LiveEpisode) -> None:
    """The JSON chapters again as psc:chapters, for apps that read only those (gPodder).

    Same timeline as the build's JSON and ID3 chapters: shifted by the intro, in the
    published audio's seconds.
    """
    timed = timeline(episode, duration_s=live.duration_s, offset_s=live.chapters_offset_s)
    for item in timed:
        entry.psc.psc_chapter(item.start_s, item.chapter.title, href=item.chapter.url)
