"""Show + published episodes → the website: object key → bytes, a pure function of its inputs.

Rendered from the same data as the feed (the items publish hands to ``render_feed``), so the
site lists exactly the feed's episodes. Pages link to each other and to media with relative
URLs (they work from any host, the ``serve`` preview included); canonical, Open Graph, JSON-LD
and sitemap URLs are absolute, from ``base_url``. No date of generation goes in: the same
inputs give the same bytes, so an unchanged site uploads nothing.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__, mediatypes
from ..chapters import timeline
from ..config import Show
from ..episodes import Episode
from ..feed import order_items, public_url
from ..files import sha256_bytes
from ..manifest import LiveEpisode
from ..notes import notes_html, notes_text
from . import images
from ._cues import read_cues
from .strings import clock, iso_duration, long_date, words

Item = tuple[Episode, LiveEpisode]
STATIC = ("site.css", "site.js")
EPISODE_PAGES = {"index.html": "episode.html", "embed.html": "embed.html"}  # key → template
SUMMARY_CHARS = 200  # meta descriptions longer than this are cut by search engines anyway


@dataclass(frozen=True)
class Page:
    """Where a page lives: its key, and the relative path from it back to the site's root."""

    key: str
    root: str  # "" at the top, "../../" in episodes/<slug>/


def render_site(
    show: Show,
    items: list[Item],
    *,
    feed_url: str | None = None,
    cover_key: str | None = None,
) -> dict[str, bytes]:
    """Every object of the website, key → bytes: pages, CSS, JS, sitemap, card images.

    ``items`` are the published episodes (what the feed lists); ``cover_key`` is the show
    cover's published key, used as the show's full-size image in JSON-LD when given.
    """
    env = _environment()
    feed_url = feed_url or show.publish.feed_url
    objects: dict[str, bytes] = {}
    for name in STATIC:
        objects[name] = env.get_template(name).render(accent=show.site.accent).encode()
    pictures = _Pictures(show, objects)
    ordered = order_items(show, items)
    chronological = sorted(items, key=lambda i: (i[0].date, i[0].slug))
    common = {
        "show": show,
        "t": words(show.language),
        "feed_url": feed_url,
        "version": {name: sha256_bytes(objects[name])[:8] for name in STATIC},
        "generator": f"podcast-pipe {__version__}",
        "icon": pictures.thumb(None, "show"),
    }
    cover = public_url(show, cover_key) if cover_key else pictures.card(None, "show")
    series = _series_jsonld(show, cover)
    show_page = Page("index.html", "")
    objects[show_page.key] = _render(
        env, "show.html", common, page=show_page, **_show_context(show, ordered, pictures, series)
    )
    for n, (episode, live) in enumerate(chronological):
        before = chronological[n - 1] if n else None
        after = chronological[n + 1] if n + 1 < len(chronological) else None
        context = _episode_context(show, episode, live, pictures, series) | {
            "previous": _link(before),
            "next": _link(after),
        }
        for name, template in EPISODE_PAGES.items():
            page = Page(f"episodes/{episode.slug}/{name}", "../../")
            objects[page.key] = _render(env, template, common, page=page, **context)
    objects["sitemap.xml"] = _render(env, "sitemap.xml", common, urls=_sitemap(show, chronological))
    return dict(sorted(objects.items()))


@functools.cache
def _environment() -> jinja2.Environment:
    """One environment per process: templates are compiled once."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("podcast_pipe.site", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["jsonld"] = _jsonld
    env.filters["seconds"] = _seconds
    return env


def _render(env: jinja2.Environment, name: str, common: dict[str, Any], **context: Any) -> bytes:
    page = context.get("page")
    url = public_url(common["show"], page.key) if page else None
    return env.get_template(name).render(**common, **context, canonical=url).encode()


class _Pictures:
    """Cards and thumbnails, each made once per source file and added to the site's objects."""

    def __init__(self, show: Show, objects: dict[str, bytes]) -> None:
        self.show = show
        self.objects = objects
        self.made: dict[tuple[str, Path], str] = {}

    def card(self, source: Path | None, name: str) -> str | None:
        """Absolute URL of the social card for ``source`` (the show cover when None)."""
        key = self._key("card", source, name, images.card_jpeg)
        return public_url(self.show, key) if key else None

    def thumb(self, source: Path | None, name: str) -> str | None:
        """Key (relative to the site root) of the page thumbnail for ``source``."""
        return self._key("thumb", source, name, images.thumb_jpeg)

    def _key(self, kind: str, source: Path | None, name: str, make) -> str | None:
        if source is None or not source.is_file():
            source, name = self.show.image, "show"
        if not source.is_file():
            return None
        if (kind, source) not in self.made:
            data = make(source)
            key = images.hashed_key(kind, name, data)
            self.objects[key] = data
            self.made[kind, source] = key
        return self.made[kind, source]


def _show_context(
    show: Show, ordered: list[Item], pictures: _Pictures, series: dict[str, Any]
) -> dict[str, Any]:
    entries = [_entry(show, episode, live, pictures) for episode, live in ordered]
    groups: list[tuple[int | None, list[dict[str, Any]]]] = []
    for entry in entries:
        season = entry["season"] if show.type == "serial" else None
        if not groups or groups[-1][0] != season:
            groups.append((season, []))
        groups[-1][1].append(entry)
    series = series | {"@context": "https://schema.org"}
    series["episode"] = [
        {"@type": "PodcastEpisode", "name": e["title"], "url": e["url"]} for e in entries
    ]
    return {
        "groups": groups,
        "description": show.description.strip(),
        "thumb": pictures.thumb(None, "show"),
        "card": pictures.card(None, "show"),
        "app_link": "podcast://" + show.publish.feed_url.split("://", 1)[-1],
        "jsonld": series,
    }


def _entry(show: Show, episode: Episode, live: LiveEpisode, pictures: _Pictures) -> dict[str, Any]:
    """What the episode list and the episode page both show of an episode."""
    table = words(show.language)
    label = None
    if episode.type in ("trailer", "bonus"):
        label = table[episode.type]
    elif episode.episode is not None:
        label = table["episode_n"].format(n=episode.episode)
    return {
        "slug": episode.slug,
        "title": episode.title,
        "href": f"episodes/{episode.slug}/index.html",
        "url": public_url(show, f"episodes/{episode.slug}/index.html"),
        "date": long_date(episode.date.date(), table),
        "iso_date": episode.date.isoformat(),
        "duration": clock(live.duration_s),
        "iso_duration": iso_duration(live.duration_s),
        "summary": _summary(episode),
        "label": label,
        "season": episode.season,
        "thumb": pictures.thumb(episode.image, episode.slug),
    }


def _episode_context(
    show: Show, episode: Episode, live: LiveEpisode, pictures: _Pictures, series: dict[str, Any]
) -> dict[str, Any]:
    entry = _entry(show, episode, live, pictures)
    offset = live.chapters_offset_s
    chapters = timeline(episode, duration_s=live.duration_s, offset_s=offset)
    transcript = episode.transcript if live.transcript_key else None
    cues = read_cues(transcript) if transcript else []
    card = pictures.card(episode.image, episode.slug)
    jsonld = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        "url": entry["url"],
        "datePublished": entry["iso_date"],
        "description": entry["summary"],
        "inLanguage": show.language,
        "timeRequired": entry["iso_duration"],
        "partOfSeries": series,
        "associatedMedia": {
            "@type": "AudioObject",
            "contentUrl": public_url(show, live.media_key),
            "encodingFormat": mediatypes.MP3,
            "contentSize": str(live.bytes),
            "duration": entry["iso_duration"],
        },
    }
    if card:
        jsonld["image"] = card
    if episode.episode is not None:
        jsonld["episodeNumber"] = episode.episode
    return entry | {
        "episode": episode,
        "media": live.media_key,
        "media_url": public_url(show, live.media_key),
        "media_type": mediatypes.MP3,
        "bytes": live.bytes,
        "notes": Markup(notes_html(episode.notes)),
        "chapters": [(c.start_s, clock(c.start_s), c.chapter) for c in chapters],
        # The transcript is timed like the episode's own audio: shifted by the intro, as chapters.
        "cues": [(c.start_s + offset, clock(c.start_s + offset), c) for c in cues],
        # A <track> takes WebVTT only; an SRT transcript is shown as text alone.
        "captions": live.transcript_key
        if transcript and mediatypes.for_suffix(live.transcript_key) == mediatypes.VTT
        else None,
        "card": card,
        "jsonld": jsonld,
    }


def _series_jsonld(show: Show, image: str | None) -> dict[str, Any]:
    """The show for schema.org; on an episode page it is the episode's ``partOfSeries``."""
    data: dict[str, Any] = {
        "@type": "PodcastSeries",
        "name": show.title,
        "description": show.description.strip(),
        "url": public_url(show, "index.html"),
        "webFeed": show.publish.feed_url,
        "inLanguage": show.language,
        "author": {"@type": "Person", "name": show.author},
    }
    if image:
        data["image"] = image
    return data


def _summary(episode: Episode) -> str:
    """One or two sentences for lists and meta descriptions: the summary, else the notes."""
    text = episode.summary or notes_text(episode.notes) or episode.title
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


def _link(item: Item | None) -> dict[str, str] | None:
    if item is None:
        return None
    return {"title": item[0].title, "href": f"../{item[0].slug}/index.html"}


def _sitemap(show: Show, chronological: list[Item]) -> list[tuple[str, str | None]]:
    """(URL, last modified date) of every page a search engine should index."""
    newest = chronological[-1][0].date.date().isoformat() if chronological else None
    urls = [(public_url(show, "index.html"), newest)]
    urls += [
        (public_url(show, f"episodes/{e.slug}/index.html"), e.date.date().isoformat())
        for e, _ in chronological
    ]
    return sorted(urls)


def _seconds(value: float) -> str:
    """A time for ``data-start`` and ``#t=``: ``6``, ``12.5`` (milliseconds at most)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _jsonld(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: "<" escaped so it cannot end the tag."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    return Markup(text.replace("<", "\\u003c"))
