"""feedgen extension for the Podcasting 2.0 namespace (podcast:guid, locked, funding, …).

Written like feedgen's own ``podcast`` extension: a channel class and an item class, registered
with ``FeedGenerator.register_extension``; each setter returns the current value when called
without arguments. Spec: https://podcastindex.org/namespace/1.0
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from . import mediatypes
from .show import MEDIUMS

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


def _element(parent: Any, name: str, **attrib: str) -> Any:
    """A ``podcast:<name>`` child of ``parent``."""
    return etree.SubElement(parent, f"{{{PODCAST_NS}}}{name}", attrib)


def _number(value: float) -> str:
    """A decimal without a useless ``.0`` (podcast:episode may be 1.5, usually is 3)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _person(
    name: str,
    role: str = "host",
    group: str = "cast",
    img: str | None = None,
    href: str | None = None,
) -> dict[str, str | None]:
    # Roles and groups are the lower-case Podcast Taxonomy Project names.
    return {"name": name, "role": role.lower(), "group": group.lower(), "img": img, "href": href}


def _add_persons(parent: Any, persons: list[dict[str, str | None]]) -> None:
    for person in persons:
        element = _element(parent, "person")
        for key in ("role", "group", "img", "href"):
            if person[key]:
                element.attrib[key] = person[key]
        element.text = person["name"]


class Podcasting20Extension(BaseExtension):
    """Channel tags: podcast:guid, podcast:locked, podcast:funding, podcast:medium, podcast:person."""

    def __init__(self) -> None:
        self.__guid: str | None = None
        self.__locked: dict[str, Any] | None = None
        self.__funding: list[dict[str, str]] = []
        self.__medium: str | None = None
        self.__persons: list[dict[str, str | None]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self.__guid:
            _element(channel, "guid").text = self.__guid
        if self.__locked is not None:
            locked = _element(channel, "locked")
            locked.text = "yes" if self.__locked["locked"] else "no"
            if self.__locked["owner"]:
                locked.attrib["owner"] = self.__locked["owner"]
        for funding in self.__funding:
            element = _element(channel, "funding", url=funding["url"])
            element.text = funding["title"]
        if self.__medium:
            _element(channel, "medium").text = self.__medium
        _add_persons(channel, self.__persons)
        return rss_feed

    def podcast_guid(self, guid: str | None = None) -> str | None:
        """The show's permanent GUID (uuid5 of the feed URL); it survives a move of the feed."""
        if guid is not None:
            self.__guid = guid
        return self.__guid

    def podcast_locked(
        self, locked: bool | None = None, owner: str | None = None
    ) -> dict[str, Any] | None:
        """Whether other platforms may import the feed; ``owner`` is the email that may unlock."""
        if locked is not None:
            self.__locked = {"locked": bool(locked), "owner": owner}
        return self.__locked

    def podcast_funding(self, url: str | None = None, title: str = "") -> list[dict[str, str]]:
        """Add a donation or membership link (call once per link)."""
        if url is not None:
            self.__funding.append({"url": url, "title": title})
        return self.__funding

    def podcast_medium(self, medium: str | None = None) -> str | None:
        """What the feed is: podcast, music, audiobook, …"""
        if medium is not None:
            if medium not in MEDIUMS:
                raise ValueError(f"invalid podcast:medium {medium!r}")
            self.__medium = medium
        return self.__medium

    def podcast_person(self, name: str | None = None, **details: str | None) -> list[dict]:
        """Add a person of the show (role, group, img, href); items may replace the list."""
        if name is not None:
            self.__persons.append(_person(name, **details))
        return self.__persons


class Podcasting20EntryExtension(BaseEntryExtension):
    """Item tags: podcast:season, podcast:episode, podcast:chapters, podcast:transcript, podcast:person."""

    def __init__(self) -> None:
        self.__season: int | None = None
        self.__episode: float | None = None
        self.__chapters: str | None = None
        self.__transcripts: list[dict[str, str | None]] = []
        self.__persons: list[dict[str, str | None]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, entry: Any) -> Any:
        if self.__season is not None:
            _element(entry, "season").text = str(self.__season)
        if self.__episode is not None:
            _element(entry, "episode").text = _number(self.__episode)
        if self.__chapters:
            _element(entry, "chapters", url=self.__chapters, type=mediatypes.JSON_CHAPTERS)
        for transcript in self.__transcripts:
            element = _element(entry, "transcript")
            for key, value in transcript.items():
                if value:
                    element.attrib[key] = value
        # Persons on an item replace the channel's list entirely (namespace spec).
        _add_persons(entry, self.__persons)
        return entry

    def podcast_season(self, season: int | None = None) -> int | None:
        if season is not None:
            self.__season = int(season)
        return self.__season

    def podcast_episode(self, episode: float | None = None) -> float | None:
        if episode is not None:
            self.__episode = episode
        return self.__episode

    def podcast_chapters(self, url: str | None = None) -> str | None:
        """URL of the JSON chapters file, served as ``application/json+chapters``."""
        if url is not None:
            self.__chapters = url
        return self.__chapters

    def podcast_transcript(
        self,
        url: str | None = None,
        type: str = mediatypes.VTT,
        language: str | None = None,
        rel: str | None = None,
    ) -> list[dict[str, str | None]]:
        """Add a transcript file; ``rel="captions"`` marks timed captions (VTT, SRT)."""
        if url is not None:
            if type not in mediatypes.TRANSCRIPT_TYPES:
                raise ValueError(f"invalid podcast:transcript type {type!r}")
            self.__transcripts.append({"url": url, "type": type, "language": language, "rel": rel})
        return self.__transcripts

    def podcast_person(self, name: str | None = None, **details: str | None) -> list[dict]:
        """Add a person of this episode (role, group, img, href)."""
        if name is not None:
            self.__persons.append(_person(name, **details))
        return self.__persons
