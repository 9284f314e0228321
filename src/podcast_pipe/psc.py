"""feedgen extension for Podlove Simple Chapters: chapters inline in each item (psc:chapters).

gPodder (podcastparser) and several other apps read chapters only from this element, not from
the Podcasting 2.0 JSON file. Written like feedgen's own extensions: a channel class that
declares the namespace and an item class that writes the chapters.
Spec: https://podlove.org/simple-chapters
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

PSC_NS = "http://podlove.org/simple-chapters"
PSC_VERSION = "1.2"


def npt(seconds: float) -> str:
    """Seconds as Normal Play Time ``HH:MM:SS.mmm`` (RFC 2326 3.6), to the millisecond."""
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    return f"{hours:02d}:{minutes:02d}:{ms // 1000:02d}.{ms % 1000:03d}"


class PodloveChaptersExtension(BaseExtension):
    """Declares the ``psc`` namespace on the feed; chapters belong to items only."""

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC_NS}


class PodloveChaptersEntryExtension(BaseEntryExtension):
    """Item tag: ``psc:chapters`` with one ``psc:chapter`` (start, title, href) per chapter."""

    def __init__(self) -> None:
        self.__chapters: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC_NS}

    def extend_rss(self, entry: Any) -> Any:
        if self.__chapters:
            chapters = etree.SubElement(entry, f"{{{PSC_NS}}}chapters", version=PSC_VERSION)
            for chapter in self.__chapters:
                etree.SubElement(chapters, f"{{{PSC_NS}}}chapter", chapter)
        return entry

    def psc_chapter(
        self, start_s: float | None = None, title: str = "", href: str | None = None
    ) -> list[dict[str, str]]:
        """Add a chapter starting ``start_s`` seconds into the published audio (in order)."""
        if start_s is not None:
            chapter = {"start": npt(start_s), "title": title}
            if href:
                chapter["href"] = href
            self.__chapters.append(chapter)
        return self.__chapters
