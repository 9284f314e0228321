"""feedgen extension for the Podcasting 2.0 namespace (podcast:guid, locked, funding, …).

Written like feedgen's own ``podcast`` extension: a channel class and an item class, registered
with ``FeedGenerator.register_extension``; each setter returns the current value when called
without arguments. Spec: https://podcastindex.org/namespace/1.0
"""

from __future__ import annotations

import datetime as dt
import math
from email.utils import format_datetime
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


def _tag(parent: Any, name: str, fields: dict[str, str | None]) -> Any:
    """A ``podcast:<name>`` child: ``fields["text"]`` is its value, the others its attributes.

    Fields without a value are left out; ``aspect_ratio`` is written ``aspect-ratio``.
    """
    element = _element(parent, name)
    for key, value in fields.items():
        if key == "text":
            element.text = value
        elif value is not None:
            element.attrib[key.replace("_", "-")] = value
    return element


class _PlaceAndLicense:
    """podcast:license and podcast:location, which a channel and an item both may carry."""

    _license: dict[str, str | None] | None = None
    _locations: tuple[dict[str, str | None], ...] = ()

    def podcast_license(
        self, identifier: str | None = None, url: str | None = None
    ) -> dict[str, str | None] | None:
        """The license of the audio: an SPDX-style identifier; ``url`` for a custom license."""
        if identifier is not None:
            self._license = {"text": identifier, "url": url}
        return self._license

    def podcast_location(
        self, name: str | None = None, geo: str | None = None, osm: str | None = None
    ) -> tuple[dict[str, str | None], ...]:
        """Add a place the show or episode is about (``geo:LAT,LON``, OpenStreetMap id)."""
        if name is not None:
            self._locations = (*self._locations, {"text": name, "geo": geo, "osm": osm})
        return self._locations

    def _write_place_and_license(self, parent: Any) -> None:
        if self._license:
            _tag(parent, "license", self._license)
        for location in self._locations:
            _tag(parent, "location", location)


class Podcasting20Extension(_PlaceAndLicense, BaseExtension):
    """Channel tags: guid, locked, funding, medium, person, txt, license, location, image,
    trailer, podroll, updateFrequency and podping."""

    def __init__(self) -> None:
        self.__txt: list[dict[str, str | None]] = []
        self.__images: list[dict[str, str | None]] = []
        self.__trailers: list[dict[str, str | None]] = []
        self.__podroll: list[dict[str, str | None]] = []
        self.__frequency: dict[str, str | None] | None = None
        self.__podping: bool | None = None
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
        for txt in self.__txt:
            _tag(channel, "txt", txt)
        self._write_place_and_license(channel)
        for image in self.__images:
            _tag(channel, "image", image)
        for trailer in self.__trailers:
            _tag(channel, "trailer", trailer)
        if self.__podroll:
            podroll = _element(channel, "podroll")
            for remote in self.__podroll:
                _tag(podroll, "remoteItem", remote)
        if self.__frequency:
            _tag(channel, "updateFrequency", self.__frequency)
        if self.__podping is not None:
            _element(channel, "podping", usesPodping="true" if self.__podping else "false")
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

    def podcast_txt(self, text: str | None = None, purpose: str | None = None) -> list[dict]:
        """Add free text, e.g. an ownership code with ``purpose="applepodcastsverify"``."""
        if text is not None:
            self.__txt.append({"text": text, "purpose": purpose})
        return self.__txt

    def podcast_image(
        self,
        href: str | None = None,
        *,
        purpose: str | None = None,
        alt: str | None = None,
        width: int | None = None,
        height: int | None = None,
        type: str | None = None,
    ) -> list[dict]:
        """Add an image for a use (artwork, social, banner); the aspect ratio is derived."""
        if href is not None:
            ratio = _aspect_ratio(width, height) if width and height else None
            self.__images.append({"href": href, "alt": alt, "aspect_ratio": ratio,
                                  "width": _str(width), "height": _str(height), "type": type,
                                  "purpose": purpose})  # fmt: skip
        return self.__images

    def podcast_trailer(
        self,
        url: str | None = None,
        title: str = "",
        *,
        pubdate: dt.datetime | None = None,
        length: int | None = None,
        type: str | None = None,
        season: int | None = None,
    ) -> list[dict]:
        """Add a trailer of the show (or of ``season``): its media, date and title."""
        if url is not None:
            if pubdate is None:
                raise ValueError("podcast:trailer needs a pubdate")
            self.__trailers.append({"url": url, "pubdate": format_datetime(pubdate),
                                    "length": _str(length), "type": type,
                                    "season": _str(season), "text": title})  # fmt: skip
        return self.__trailers

    def podcast_podroll(
        self, feed_guid: str | None = None, feed_url: str | None = None, title: str | None = None
    ) -> list[dict]:
        """Recommend another show by its ``podcast:guid`` (one remoteItem per call)."""
        if feed_guid is not None:
            self.__podroll.append({"feedGuid": feed_guid, "feedUrl": feed_url, "title": title})
        return self.__podroll

    def podcast_update_frequency(
        self,
        text: str | None = None,
        *,
        rrule: str | None = None,
        dtstart: str | None = None,
        complete: bool = False,
    ) -> dict | None:
        """The release schedule: text for people, an RFC 5545 ``rrule`` for apps."""
        if text is not None:
            self.__frequency = {"text": text, "rrule": rrule, "dtstart": dtstart,
                                "complete": "true" if complete else None}  # fmt: skip
        return self.__frequency

    def podcast_podping(self, uses_podping: bool | None = None) -> bool | None:
        """Tell aggregators that changes to this feed are announced over Podping."""
        if uses_podping is not None:
            self.__podping = bool(uses_podping)
        return self.__podping


class Podcasting20EntryExtension(_PlaceAndLicense, BaseEntryExtension):
    """Item tags: season, episode, chapters, transcript, person, soundbite, license, location,
    alternateEnclosure."""

    def __init__(self) -> None:
        self.__soundbites: list[dict[str, str | None]] = []
        self.__alternates: list[dict[str, Any]] = []
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
        for alternate in self.__alternates:
            element = _tag(entry, "alternateEnclosure", alternate["attributes"])
            _element(element, "source", uri=alternate["uri"])
            _element(element, "integrity", type="sri", value=alternate["integrity"])
        for transcript in self.__transcripts:
            element = _element(entry, "transcript")
            for key, value in transcript.items():
                if value:
                    element.attrib[key] = value
        # Persons on an item replace the channel's list entirely (namespace spec).
        _add_persons(entry, self.__persons)
        for bite in self.__soundbites:
            _tag(entry, "soundbite", bite)
        self._write_place_and_license(entry)
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

    def podcast_alternate_enclosure(
        self,
        url: str | None = None,
        *,
        type: str = mediatypes.MP3,
        length: int = 0,
        bitrate_kbps: int = 0,
        title: str | None = None,
        default: bool = False,
        integrity: str = "",
    ) -> list[dict[str, Any]]:
        """Add an encoding of the episode's audio: its source URL and SRI ``integrity``."""
        if url is not None:
            attributes = {"type": type, "length": str(length), "bitrate": str(bitrate_kbps * 1000),
                          "title": title, "default": "true" if default else None}  # fmt: skip
            self.__alternates.append({"attributes": attributes, "uri": url, "integrity": integrity})
        return self.__alternates

    def podcast_soundbite(
        self, start_s: float | None = None, duration_s: float = 0.0, title: str | None = None
    ) -> list[dict]:
        """Add a clip apps may play as a preview: start and length in the published audio."""
        if start_s is not None:
            self.__soundbites.append({"startTime": _number(round(start_s, 3)),
                                      "duration": _number(round(duration_s, 3)), "text": title})  # fmt: skip
        return self.__soundbites


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _aspect_ratio(width: int, height: int) -> str:
    """``1920×1080`` → ``16/9``: the CSS aspect-ratio form the namespace asks for."""
    divisor = math.gcd(width, height)
    return f"{width // divisor}/{height // divisor}"
