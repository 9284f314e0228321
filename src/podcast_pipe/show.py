"""The show model: what podcast.toml describes, as frozen dataclasses (config.py reads it).

``Show`` holds the channel metadata with paths resolved; ``AudioSettings`` the mastering targets
(``mastering()`` is what the master's cache key hashes); ``PublishSettings`` the target;
``SiteSettings`` the website published beside the feed; ``BuildSettings`` the shared master cache.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

CONFIG_NAME = "podcast.toml"
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog")
# Podcasting 2.0 namespace for podcast:guid (uuid5 of the feed URL without scheme).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
# base_url of a file:// target that names none: `serve`'s default address (it rewrites it).
LOCAL_BASE_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class Owner:
    name: str
    email: str


@dataclass(frozen=True)
class Funding:
    url: str
    title: str


@dataclass(frozen=True)
class Txt:
    """Free text for ``podcast:txt``; ``purpose`` says who reads it (``applepodcastsverify``)."""

    text: str
    purpose: str | None = None


@dataclass(frozen=True)
class License:
    """``podcast:license``: an SPDX-style identifier; ``url`` is required for a custom one."""

    identifier: str
    url: str | None = None


@dataclass(frozen=True)
class Location:
    """``podcast:location``: what place the show or episode is about."""

    name: str
    geo: str | None = None  # geo:LAT,LON (RFC 5870)
    osm: str | None = None  # OpenStreetMap N|W|R + id, e.g. R223474


@dataclass(frozen=True)
class RemoteFeed:
    """A recommended show in ``podcast:podroll``: its ``podcast:guid``, feed URL and title."""

    guid: str
    url: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Schedule:
    """``podcast:updateFrequency``: the release schedule as an RFC 5545 rule and as text."""

    text: str
    rrule: str | None = None
    dtstart: str | None = None  # ISO 8601, required by a rule with COUNT
    complete: bool = False


@dataclass(frozen=True)
class FeedSettings:
    """How the feed is rendered, from ``[feed]``."""

    page_size: int | None = None  # RFC 5005 paging: newest N in feed.xml; None: one document
    description_chapters: bool = True  # "(00:00) Giriş" lines at the end of the description


# Field markers for AudioSettings.mastering(): a clip is keyed by its bytes, not its path, and
# the ID3 version is the tags' (tags.tag_key), not the master's.
BY_CONTENT = MappingProxyType({"mastering": "the file's hash"})
TAGS_ONLY = MappingProxyType({"mastering": "no"})


PROCESS_STEPS = ("highpass", "dehum", "denoise", "leveler")  # the speech chain, in its order
RENDITIONS = ("mp3", "opus", "aac")  # published encodings; the MP3 is always the <enclosure>


@dataclass(frozen=True)
class AudioSettings:
    """Mastering targets from ``[audio]``."""

    loudness: float = -16.0  # integrated LUFS, stereo output
    loudness_mono: float = -19.0  # integrated LUFS, mono output (AES TD1004: sounds as loud)
    true_peak: float = -1.0  # dBTP ceiling of the published file
    channels: str = "auto"  # auto | 1 | 2
    bitrate: int | None = None  # kbps; None: 128 stereo / 64 mono
    sample_rate: int = 44100
    intro: Path | None = field(default=None, metadata=BY_CONTENT)  # absolute
    outro: Path | None = field(default=None, metadata=BY_CONTENT)
    crossfade_ms: int = 500
    trim_silence: bool = False
    silence_threshold_db: float = -50.0
    silence_padding_ms: int = 250
    ffmpeg: str | None = None  # override of the bundled binary
    id3_version: int = field(default=3, metadata=TAGS_ONLY)  # 3 or 4
    max_limiter_makeup: float = 1.5  # dB of gain the limiter may take back (it removes loudness)
    process: tuple[str, ...] = ()  # speech chain, in PROCESS_STEPS order
    renditions: tuple[str, ...] = ("mp3",)  # RENDITIONS to publish, "mp3" always first

    def mastering(self) -> dict[str, Any]:
        """The settings that change the master: its cache key hashes these (and the clips' bytes).

        Every field, so a new setting is in the key unless it is marked otherwise.
        """
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.metadata}

    def bitrate_for(self, channels: int) -> int:
        """The MP3 bitrate in kbps for the given output channel count."""
        if self.bitrate:
            return self.bitrate
        return 64 if channels == 1 else 128


# The services `[publish] notify` can tell that the feed changed → their default endpoint
# (a WebSub hub has none: the show names its hub).
NOTIFY_SERVICES: dict[str, str | None] = {
    "websub": None,
    "podcastindex": "https://api.podcastindex.org/api/1.0/hub/pubnotify",
    "podping": "https://podping.cloud/",
}


@dataclass(frozen=True)
class Notify:
    """A service told when the feed changed (``[publish] notify``) and the URL it is sent to."""

    service: str  # a key of NOTIFY_SERVICES
    url: str


@dataclass(frozen=True)
class PublishSettings:
    """Where and how the show is published, from ``[publish]``. Never holds secrets."""

    target: str = "file://public"
    base_url: str = ""  # public URL the target is served from, ends with "/"
    endpoint_url: str | None = None
    region: str | None = None
    addressing: str = "auto"  # auto | path | virtual
    acl: str | None = None  # e.g. "public-read"; many providers refuse ACLs
    checksums: str = "when_required"  # when_required | when_supported
    max_attempts: int = 8
    retry_mode: str = "standard"  # botocore: standard | adaptive (also throttles the client)
    concurrency: int = 4
    # How long an object stays on the target after it left the feed (cached feeds still name it).
    keep_old: dt.timedelta = dt.timedelta(days=7)
    notify: tuple[Notify, ...] = ()  # told after a changed feed went live; none by default

    @property
    def feed_url(self) -> str:
        return self.base_url + "feed.xml"

    @property
    def hubs(self) -> tuple[str, ...]:
        """The WebSub hubs the feed advertises (``<atom:link rel="hub">``)."""
        return tuple(n.url for n in self.notify if n.service == "websub")


# The [site] links a show page can offer, in the order they are shown.
SITE_LINKS = ("apple", "spotify", "youtube", "website")


@dataclass(frozen=True)
class SiteSettings:
    """The show's website, from ``[site]``: on by default, optional links and accent colour."""

    enabled: bool = True
    links: tuple[tuple[str, str], ...] = ()  # (name, https URL), e.g. ("apple", "https://…")
    accent: str = "#0b6e6e"  # CSS colour of links and buttons, "#rgb" or "#rrggbb"


@dataclass(frozen=True)
class BuildSettings:
    """How the build runs, from ``[build]``."""

    # Masters shared by machines and workspaces: "s3://bucket/prefix" or "file://DIR".
    # None: only the workspace's build/.cache.
    cache: str | None = None


@dataclass(frozen=True)
class Show:
    """The show: everything in podcast.toml, with paths resolved against the workspace."""

    root: Path
    title: str
    description: str
    author: str
    language: str
    image: Path  # the show cover, absolute
    categories: tuple[tuple[str, str | None], ...] = ()
    explicit: bool = False
    explicit_set: bool = False  # podcast.toml states `explicit` (lint warns when it does not)
    owner: Owner | None = None
    website: str | None = None
    copyright: str | None = None
    type: str = "episodic"  # episodic | serial
    guid: str | None = None
    locked: bool = False
    funding: tuple[Funding, ...] = ()
    medium: str = "podcast"
    timezone: str = "UTC"
    txt: tuple[Txt, ...] = ()
    license: License | None = None
    location: Location | None = None
    podroll: tuple[RemoteFeed, ...] = ()
    schedule: Schedule | None = None
    podping: bool = False
    images: tuple[str, ...] = ()  # podcast:image purposes drawn from the cover
    feed: FeedSettings = field(default_factory=FeedSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    build: BuildSettings = field(default_factory=BuildSettings)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def feed_dir(self) -> Path:
        return self.root / "feed"

    @property
    def feed_path(self) -> Path:
        return self.feed_dir / "feed.xml"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def podcast_guid(self) -> str:
        """``podcast:guid``: as configured, else uuid5 of the feed URL without scheme."""
        return self.guid or guid_for_feed(self.publish.feed_url)


def guid_for_feed(feed_url: str) -> str:
    """Podcasting 2.0's podcast:guid for a feed URL: uuid5 of the URL without its scheme."""
    url = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, url))
