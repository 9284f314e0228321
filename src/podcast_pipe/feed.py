"""Show + published episodes → RSS 2.0 with iTunes and Podcasting 2.0 tags (feedgen).

The feed is a pure function of its inputs: the same show and items give the same bytes, so
publish can skip an unchanged feed (QUIRKS: feedgen stamps lastBuildDate with "now").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import lxml.etree
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.feed import FeedEntry, FeedGenerator

from . import __version__, mediatypes
from .chapters import soundbite_timeline, timeline
from .episodes import Episode
from .manifest import LiveEpisode
from .notes import (
    DESCRIPTION_CHAPTERS_MIN,
    notes_html,
    notes_text,
    with_chapters,
    with_chapters_html,
)
from .paging import FEED_NAME, Page, PagingExtension, pages
from .podcast_images import PodcastImage
from .podcasting20 import Podcasting20EntryExtension, Podcasting20Extension
from .psc import PodloveChaptersEntryExtension, PodloveChaptersExtension
from .settings20 import TEXT_MAX
from .show import Show

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# A feed without items has no newest date; a fixed one keeps it byte-stable.
EMPTY_FEED_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# podcast:alternateEnclosure titles (at most 32 characters, the namespace says).
RENDITION_TITLES = {"mp3": "MP3", "opus": "Opus", "aac": "AAC (M4A)"}


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
    show: Show,
    items: list[tuple[Episode, LiveEpisode]],
    *,
    cover_key: str | None = None,
    images: Sequence[PodcastImage] = (),
) -> bytes:
    """The RSS feed (UTF-8 bytes) for ``items``, every episode in one document.

    ``cover_key`` is the published key of the show cover under ``base_url``, ``images`` the
    published ``podcast:image`` variants. Items are ordered here; their GUIDs come from the
    LiveEpisode, never recomputed. ``feed_pages`` splits a long feed into RFC 5005 pages.
    """
    page = Page(FEED_NAME, items, {}, archive=False)
    return _document(show, page, cover_key, images, _trailers(show, items))


def feed_pages(
    show: Show,
    items: list[tuple[Episode, LiveEpisode]],
    *,
    cover_key: str | None = None,
    images: Sequence[PodcastImage] = (),
) -> dict[str, bytes]:
    """``{"feed.xml": …, "feed-2.xml": …}``: the feed paged by ``[feed] page_size``.

    Without a page size, or with few episodes, only feed.xml, equal to ``render_feed``.
    """
    if not show.feed.page_size:
        return {FEED_NAME: render_feed(show, items, cover_key=cover_key, images=images)}
    # Pages are cut by publication order, whatever order the show lists its episodes in.
    trailers = _trailers(show, items)
    return {
        page.name: _document(show, page, cover_key, images, () if page.archive else trailers)
        for page in pages(_oldest_first(items), show.feed.page_size)
    }


def _document(
    show: Show,
    page: Page,
    cover_key: str | None,
    images: Sequence[PodcastImage],
    trailers: Sequence[tuple[Episode, LiveEpisode]],
) -> bytes:
    fg = _channel(show, cover_key, images, self_url=public_url(show, page.name))
    for episode, live in trailers:
        fg.podcast20.podcast_trailer(
            public_url(show, live.media_key),
            episode.title[:TEXT_MAX],
            pubdate=episode.date,
            length=live.bytes,
            type=mediatypes.MP3,
            season=episode.season,
        )
    # The hub is told of changes to feed.xml: archive pages do not name it.
    hubs = () if page.archive else show.publish.hubs
    if page.links or page.archive or hubs:
        fg.register_extension("paging", PagingExtension, atom=False)
        for rel, name in page.links.items():
            fg.paging.page_link(rel, public_url(show, name))
        for hub in hubs:
            fg.paging.hub_link(hub)
        fg.paging.page_archive(page.archive)
    ordered = order_items(show, page.items)
    for episode, live in ordered:
        _item(fg.add_entry(order="append"), show, episode, live)
    # Newest item date, not "now": regenerating an unchanged show gives the same bytes.
    newest = max((episode.date for episode, _ in ordered), default=EMPTY_FEED_DATE)
    fg.lastBuildDate(newest)
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def _trailers(
    show: Show, items: list[tuple[Episode, LiveEpisode]]
) -> list[tuple[Episode, LiveEpisode]]:
    """The live ``type: trailer`` episodes, oldest first: the channel's podcast:trailer tags."""
    return _oldest_first([i for i in items if i[0].type == "trailer"])


def _oldest_first(
    items: list[tuple[Episode, LiveEpisode]],
) -> list[tuple[Episode, LiveEpisode]]:
    return sorted(items, key=lambda i: (i[0].date, i[0].slug))


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
    return _oldest_first(items)[::-1]


def public_url(show: Show, key: str) -> str:
    """Absolute URL of a published object key (keys are relative to ``base_url``)."""
    return show.publish.base_url + quote(key, safe="/")


def _channel(
    show: Show, cover_key: str | None, images: Sequence[PodcastImage], *, self_url: str
) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("podcast", ItunesExtension, ItunesEntryExtension)
    fg.register_extension("podcast20", Podcasting20Extension, Podcasting20EntryExtension)
    fg.register_extension("psc", PodloveChaptersExtension, PodloveChaptersEntryExtension)
    link = show.website or show.publish.base_url
    fg.title(show.title)
    # feedgen takes the channel <link> from the last link given: self first, website last.
    fg.link(href=self_url, rel="self", type=mediatypes.RSS)
    fg.link(href=link, rel="alternate")
    fg.description(show.description)
    fg.language(show.language)
    fg.generator(f"podcast-pipe {__version__}")
    if show.copyright:
        fg.copyright(show.copyright)
    itunes = fg.podcast
    # No itunes:summary or itunes:keywords: Apple's spec dropped both (QUIRKS, Listeners' apps).
    itunes.itunes_author(show.author)
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
    for txt in show.txt:
        p20.podcast_txt(txt.text, txt.purpose)
    if show.license:
        p20.podcast_license(show.license.identifier, show.license.url)
    if show.location:
        p20.podcast_location(show.location.name, show.location.geo, show.location.osm)
    for image in images:
        p20.podcast_image(public_url(show, image.key), purpose=image.purpose, alt=show.title,
                          width=image.width, height=image.height, type=image.type)  # fmt: skip
    for remote in show.podroll:
        p20.podcast_podroll(remote.guid, remote.url, remote.title)
    if show.schedule:
        schedule = show.schedule
        p20.podcast_update_frequency(schedule.text, rrule=schedule.rrule,
                                     dtstart=schedule.dtstart, complete=schedule.complete)  # fmt: skip
    if show.podping:
        p20.podcast_podping(True)
    return fg


def _item(entry: FeedEntry, show: Show, episode: Episode, live: LiveEpisode) -> None:
    entry.title(episode.title)
    entry.guid(live.guid, permalink=False)
    entry.pubDate(episode.date)  # RFC 2822 in the episode's own time zone
    entry.enclosure(public_url(show, live.media_key), str(live.bytes), mediatypes.MP3)
    text = notes_text(episode.notes) or episode.summary or episode.title
    chapters = _description_chapters(show, episode, live)
    entry.description(with_chapters(text, chapters))
    if episode.notes:
        html = with_chapters_html(notes_html(episode.notes), chapters)
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
    for rendition in live.renditions:
        p20.podcast_alternate_enclosure(
            public_url(show, rendition.key),
            type=rendition.type,
            length=rendition.bytes,
            bitrate_kbps=rendition.bitrate_kbps,
            title=RENDITION_TITLES[rendition.name],
            default=rendition.key == live.media_key,
            integrity=rendition.integrity,
        )
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
    placed = soundbite_timeline(
        episode, duration_s=live.duration_s, offset_s=live.chapters_offset_s
    )
    for bite, start_s in placed:
        p20.podcast_soundbite(start_s, bite.duration_s, bite.title)
    if episode.license:
        p20.podcast_license(episode.license.identifier, episode.license.url)
    if episode.location:
        p20.podcast_location(episode.location.name, episode.location.geo, episode.location.osm)


def _inline_chapters(entry: FeedEntry, episode: Episode, live: LiveEpisode) -> None:
    """The JSON chapters again as psc:chapters, for apps that read only those (gPodder).

    Same timeline as the build's JSON and ID3 chapters: shifted by the intro, in the
    published audio's seconds.
    """
    timed = timeline(episode, duration_s=live.duration_s, offset_s=live.chapters_offset_s)
    for item in timed:
        entry.psc.psc_chapter(item.start_s, item.chapter.title, href=item.chapter.url)


def _description_chapters(
    show: Show, episode: Episode, live: LiveEpisode
) -> list[tuple[float, str]]:
    """The chapters for the description's timestamp list, or none.

    Spotify and Apple read a list only with ≥ 3 chapters, the first at 00:00. Times are in the
    published audio like the psc and JSON chapters, except that the first chapter stays at
    00:00: the intro plays into it, and a list that starts later is not read at all.
    """
    if not (show.feed.description_chapters and live.chapters_key):
        return []
    if len(episode.chapters) < DESCRIPTION_CHAPTERS_MIN or episode.chapters[0].start_s != 0:
        return []
    timed = timeline(episode, duration_s=live.duration_s, offset_s=live.chapters_offset_s)
    return [(0.0 if n == 0 else t.start_s, t.chapter.title) for n, t in enumerate(timed)]
