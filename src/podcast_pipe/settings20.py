"""podcast.toml and front matter → the Podcasting 2.0 values of the show and its episodes.

``[show]`` txt, license, location, podroll, schedule, podping and images, the ``[feed]``
section, and the license and location an episode may carry too. Each value is checked the way
the namespace documents it (https://podcastindex.org/namespace/1.0), so ``check`` names the
field and the fix before a directory truncates or ignores it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from dateutil.rrule import rrulestr

from .show import FeedSettings, License, Location, RemoteFeed, Schedule, Txt
from .validate import Reader, did_you_mean

# Aggregators truncate longer podcast:* values (the namespace's "Node value" sections).
TEXT_MAX = 128
TXT_MAX = 4000
GEO_URI = re.compile(
    r"geo:(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)(?:,-?\d+(?:\.\d+)?)?(?:;u=\d+(?:\.\d+)?)?"
)
OSM_ID = re.compile(r"[NWR]\d+(?:#\d+)?")
# podcast:image purposes the cover can be turned into (podcast_images.py draws them).
IMAGE_PURPOSES = ("artwork", "social", "banner")
SCHEDULE_TEXTS = {"DAILY": "Daily", "WEEKLY": "Weekly", "MONTHLY": "Monthly", "YEARLY": "Yearly"}
SHOW_KEYS = ("txt", "license", "location", "podroll", "schedule", "podping", "images")
FEED_KEYS = ("page_size", "description_chapters")


def read_show_values(r: Reader) -> dict[str, Any]:
    """The Podcasting 2.0 fields of ``Show`` from the ``[show]`` reader."""
    return dict(
        txt=_read_txt(r),
        license=read_license(r),
        location=read_location(r),
        podroll=_read_podroll(r),
        schedule=_read_schedule(r),
        podping=bool(r.get("podping", bool, False)),
        images=_read_image_purposes(r),
    )


def read_feed(r: Reader) -> FeedSettings:
    """``[feed]``: page_size (RFC 5005 paging, off by default) and description_chapters."""
    r.unknown(FEED_KEYS)
    page_size = r.get("page_size", int)
    if page_size is not None and page_size < 1:
        r.bad("page_size", f"must be 1 or more, not {page_size}",
              "remove it to keep one feed document")  # fmt: skip
        page_size = None
    chapters = bool(r.get("description_chapters", bool, True))
    return FeedSettings(page_size=page_size, description_chapters=chapters)


def read_license(r: Reader, key: str = "license") -> License | None:
    """``license = "CC-BY-4.0"`` or ``{identifier, url}`` (podcast.toml and front matter)."""
    t = r.nested(key, {"identifier", "url"}, example='"CC-BY-4.0"', shorthand="identifier")
    if t is None:
        return None
    identifier = _short_text(t, "identifier", '"CC-BY-4.0"')
    url = _http_url(t, "url")
    return License(identifier, url) if identifier else None


def read_location(r: Reader, key: str = "location") -> Location | None:
    """``location = "Bakü"`` or ``{name, geo = "geo:40.41,49.87", osm = "R…"}``."""
    example = '{name = "Bakü", geo = "geo:40.41,49.87"}'
    t = r.nested(key, {"name", "geo", "osm"}, example=example, shorthand="name")
    if t is None:
        return None
    name = _short_text(t, "name", '"İzmir, Türkiye"')
    geo, osm = t.table.get("geo"), t.table.get("osm")
    if geo is not None:
        uri = str(geo) if str(geo).startswith("geo:") else f"geo:{geo}"
        match = GEO_URI.fullmatch(uri)
        valid = match and abs(float(match[1])) <= 90 and abs(float(match[2])) <= 180
        if not valid:
            t.bad("geo", f"not a geo URI: {geo!r}", 'latitude,longitude: "geo:38.42,27.14"')
        geo = uri if valid else None
    if osm is not None:
        valid = OSM_ID.fullmatch(str(osm).upper())
        if not valid:
            t.bad("osm", f"not an OpenStreetMap id: {osm!r}",
                  'N, W or R and the number, e.g. "R223474"')  # fmt: skip
        osm = str(osm).upper() if valid else None
    return Location(name, geo, osm) if name else None


def _short_text(r: Reader, key: str, example: str, limit: int = TEXT_MAX) -> str | None:
    """A non-blank string of at most ``limit`` characters, or None after recording a problem."""
    value = r.table.get(key)
    if not isinstance(value, str) or not value.strip():
        r.bad(key, "must be non-empty text", f"e.g. {example}")
        return None
    if len(value.strip()) > limit:
        r.bad(key, f"is {len(value.strip())} characters long", f"keep it under {limit}")
    return value.strip()


def _http_url(r: Reader, key: str) -> str | None:
    value = r.table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        r.bad(key, f"not an http(s) URL: {value!r}", 'e.g. "https://example.org/…"')
        return None
    return value


def _read_txt(r: Reader) -> tuple[Txt, ...]:
    found = []
    for t in r.nested_list("txt", {"text", "purpose"}, shorthand="text", single=True,
                           example='{text = "…", purpose = "applepodcastsverify"}'):  # fmt: skip
        text = _short_text(t, "text", '"a1b2c3"', TXT_MAX)
        purpose = None
        if "purpose" in t.table:
            purpose = _short_text(t, "purpose", '"applepodcastsverify"')
        if text:
            found.append(Txt(text, purpose))
    return tuple(found)


def _read_podroll(r: Reader) -> tuple[RemoteFeed, ...]:
    found = []
    for t in r.nested_list("podroll", {"guid", "url", "title"}, shorthand="guid", single=True,
                           example='{guid = "917393e3-…", title = "…"}'):  # fmt: skip
        try:
            guid = str(uuid.UUID(str(t.table.get("guid"))))
        except ValueError:
            t.bad("guid", f"not a podcast:guid: {t.table.get('guid')!r}",
                  "copy the show's GUID from its feed or from podcastindex.org")  # fmt: skip
            continue
        title = _short_text(t, "title", '"Podnews"') if "title" in t.table else None
        found.append(RemoteFeed(guid, _http_url(t, "url"), title))
    return tuple(found)


def _read_schedule(r: Reader) -> Schedule | None:
    """``schedule = "FREQ=WEEKLY;BYDAY=MO"`` or ``{rrule, text, dtstart, complete}``."""
    t = r.nested("schedule", {"rrule", "text", "dtstart", "complete"}, shorthand="rrule",
                 example='"FREQ=WEEKLY;BYDAY=MO"')  # fmt: skip
    if t is None:
        return None
    rule = t.get("rrule", str)
    complete = bool(t.get("complete", bool, False))
    dtstart = _dtstart(t)
    if rule:
        try:
            rrulestr(rule, dtstart=dt.datetime(2026, 1, 1))
        except (ValueError, TypeError) as exc:
            t.bad("rrule", f"not an RFC 5545 rule: {exc}", '"FREQ=WEEKLY;BYDAY=MO"')
            rule = None
        if rule and "COUNT=" in rule.upper() and not dtstart:
            t.bad("dtstart", "is required by a rule with COUNT", "add the first release date")
    elif "rrule" not in t.table and not complete:
        t.bad("rrule", "is required unless the show is complete", '"FREQ=WEEKLY"')
    if not rule and not complete:
        return None
    freq = re.search(r"FREQ=(\w+)", rule or "", re.I)
    default = SCHEDULE_TEXTS.get(freq[1].upper(), rule) if freq else "Complete"
    text = _short_text(t, "text", '"Her pazartesi"') if "text" in t.table else default
    return Schedule(text or default, rule, dtstart, complete)


def _dtstart(t: Reader) -> str | None:
    """The schedule's start as ISO 8601 text (TOML dates arrive parsed)."""
    value = t.table.get("dtstart")
    if value is None or isinstance(value, dt.date):
        return value.isoformat() if value else None
    try:
        dt.datetime.fromisoformat(str(value))
    except ValueError:
        t.bad("dtstart", f"not an ISO 8601 date: {value!r}", "e.g. 2026-01-05T09:00:00+03:00")
        return None
    return str(value)


def _read_image_purposes(r: Reader) -> tuple[str, ...]:
    value = r.table.get("images", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.bad("images", "must be a list of purposes", 'images = ["artwork", "social", "banner"]')
        return ()
    for purpose in value:
        if purpose not in IMAGE_PURPOSES:
            r.bad("images", f"unknown purpose {purpose!r}", did_you_mean(purpose, IMAGE_PURPOSES))
    return tuple(dict.fromkeys(p for p in value if p in IMAGE_PURPOSES))
