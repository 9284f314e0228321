"""The Podcasting 2.0 namespace rules, written down once from its documentation.

Per tag: where it may stand (parent), how often, its required and optional attributes and the
form of each value, and the form of its text. ``violations`` checks every ``podcast:*`` element
of a parsed feed against the table. Spec: https://podcastindex.org/namespace/1.0
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from lxml import etree

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
Form = Callable[[str], bool]


def pattern(regex: str) -> Form:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


def text(limit: int) -> Form:
    """Non-blank text of at most ``limit`` characters (aggregators truncate longer ones)."""
    return lambda value: bool(value.strip()) and len(value) <= limit


def one_of(*choices: str) -> Form:
    return lambda value: value in choices


def rfc2822(value: str) -> bool:
    try:
        return parsedate_to_datetime(value).tzinfo is not None
    except (TypeError, ValueError):
        return False


def iso8601(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
        return True
    except ValueError:
        return False


URL = pattern(r"https?://[^\s]+")
UUID = pattern(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
INTEGER = pattern(r"\d+")
DECIMAL = pattern(r"\d+(\.\d+)?")
MIME = pattern(r"[a-z]+/[a-z0-9.+-]+")
BOOLEAN = one_of("true", "false")
EMAIL = pattern(r"[^@\s]+@[^@\s]+")
TOKENS = pattern(r"[^\s]{1,128}( [^\s]+)*")  # space-separated purpose tokens
RRULE = pattern(r"FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;[A-Z]+=[^;\s]+)*")
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog")
CHANNEL, ITEM = ("channel",), ("item",)


@dataclass(frozen=True)
class Rule:
    parents: tuple[str, ...]
    single: bool  # at most one per parent
    text: Form | None  # None: the element has no text
    required: dict[str, Form] = field(default_factory=dict)
    optional: dict[str, Form] = field(default_factory=dict)
    text_required: bool = True
    children: tuple[str, ...] = ()  # the podcast:* children it may hold; the first at least once


RULES: dict[str, Rule] = {
    "guid": Rule(CHANNEL, True, UUID),
    "locked": Rule(CHANNEL, True, one_of("yes", "no"), optional={"owner": EMAIL}),
    "funding": Rule(CHANNEL + ITEM, False, text(128), {"url": URL}, text_required=False),
    "medium": Rule(CHANNEL, True, one_of(*MEDIUMS)),
    "person": Rule(CHANNEL + ITEM, False, text(128), optional={
        "role": pattern(r"[a-z ]+"), "group": pattern(r"[a-z ]+"), "img": URL, "href": URL}),
    "season": Rule(ITEM, True, INTEGER, optional={"name": text(128)}),
    "episode": Rule(ITEM, True, DECIMAL, optional={"display": text(32)}),
    "chapters": Rule(ITEM, True, None, {"url": URL, "type": one_of("application/json+chapters")}),
    "transcript": Rule(ITEM, False, None, {"url": URL, "type": MIME},
                       {"language": pattern(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]+)*"),
                        "rel": one_of("captions")}),
    "txt": Rule(CHANNEL + ITEM, False, text(4000), optional={"purpose": text(128)}),
    "image": Rule(CHANNEL + ITEM, False, None, {"href": URL}, {
        "alt": text(512), "aspect-ratio": pattern(r"\d+/\d+"), "width": INTEGER,
        "height": INTEGER, "type": MIME, "purpose": TOKENS}),
    "license": Rule(CHANNEL + ITEM, True, text(128), optional={"url": URL}),
    "location": Rule(CHANNEL + ITEM, False, text(128), optional={
        "geo": pattern(r"geo:-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?(,-?\d+(\.\d+)?)?(;u=[\d.]+)?"),
        "osm": pattern(r"[NWR]\d+(#\d+)?"), "rel": one_of("subject", "creator"),
        "country": pattern(r"[a-z]{2}")}),
    "trailer": Rule(CHANNEL, False, text(128), {"url": URL, "pubdate": rfc2822},
                    {"length": INTEGER, "type": MIME, "season": INTEGER}),
    "soundbite": Rule(ITEM, False, text(128), {"startTime": DECIMAL, "duration": DECIMAL},
                      text_required=False),
    "podroll": Rule(CHANNEL, True, None, children=("remoteItem",)),
    "remoteItem": Rule(CHANNEL + ("podroll",), False, None, {"feedGuid": UUID}, {
        "feedUrl": URL, "itemGuid": text(512), "medium": one_of(*MEDIUMS), "title": text(128)}),
    "updateFrequency": Rule(CHANNEL, True, text(128), optional={
        "complete": BOOLEAN, "dtstart": iso8601, "rrule": RRULE}),
    "podping": Rule(CHANNEL, True, None, {"usesPodping": BOOLEAN}),
    "alternateEnclosure": Rule(ITEM, False, None, {"type": MIME, "length": INTEGER}, {
        "bitrate": DECIMAL, "height": INTEGER, "lang": pattern(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]+)*"),
        "title": text(32), "rel": text(32), "codecs": text(128), "default": BOOLEAN},
        children=("source", "integrity")),
    "source": Rule(("alternateEnclosure",), False, None, {"uri": URL}, {"contentType": MIME}),
    "integrity": Rule(("alternateEnclosure",), True, None, {
        "type": one_of("sri", "pgp-signature"), "value": pattern(r"sha(256|384|512)-[A-Za-z0-9+/]+=*")}),
}  # fmt: skip


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname


def violations(root: etree._Element) -> list[str]:
    """Every way the feed's ``podcast:*`` elements break the rules, as readable lines."""
    found = []
    for element in root.iter(f"{{{PODCAST_NS}}}*"):
        name, parent = _name(element), _name(element.getparent())
        where = f"podcast:{name} in {parent} (line {element.sourceline})"
        rule = RULES.get(name)
        if rule is None:
            found.append(f"{where}: not in the rules table")
            continue
        if parent not in rule.parents:
            found.append(f"{where}: parent must be one of {rule.parents}")
        if rule.single and len(element.getparent().findall(element.tag)) > 1:
            found.append(f"{where}: at most one per {parent}")
        for attr in rule.required:
            if attr not in element.attrib:
                found.append(f"{where}: missing required attribute {attr}")
        for attr, value in element.attrib.items():
            form = rule.required.get(attr) or rule.optional.get(attr)
            if form is None:
                found.append(f"{where}: unknown attribute {attr}")
            elif not form(value):
                found.append(f"{where}: {attr}={value!r} has the wrong form")
        kids = [_name(child) for child in element]
        if rule.children and (rule.children[0] not in kids or not set(kids) <= set(rule.children)):
            found.append(
                f"{where}: must hold podcast:{rule.children[0]}, only {rule.children}, has {kids}"
            )
        value = (element.text or "").strip()
        if rule.text is None and value:
            found.append(f"{where}: must have no text, has {value!r}")
        elif rule.text is not None and (value or rule.text_required) and not rule.text(value):
            found.append(f"{where}: text {value!r} has the wrong form")
    return found
