"""Show notes: the Markdown an episode file carries → the HTML and plain text apps show."""

from __future__ import annotations

import html
import re

import markdown
from lxml import html as lxml_html

# Apple truncates or rejects longer descriptions (bytes, to be safe with Turkish letters).
DESCRIPTION_MAX_BYTES = 4000
SAFE_SCHEMES = ("http://", "https://", "mailto:")
# Spotify and Apple read a timestamp list in the description only from three chapters on.
DESCRIPTION_CHAPTERS_MIN = 3


def _markdown() -> markdown.Markdown:
    """Markdown with raw HTML disabled: it is shown as text, so notes cannot inject markup."""
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def notes_html(notes: str) -> str:
    """Show notes (Markdown) → the HTML subset podcast apps render: links kept, scripts never."""
    if not notes.strip():
        return ""
    root = lxml_html.fragment_fromstring(_markdown().convert(notes), create_parent="div")
    for img in root.iter("img"):
        # Apps do not show inline images; keep them as a link to the picture.
        src, alt = img.get("src", ""), img.get("alt") or img.get("src", "")
        img.attrib.clear()
        img.tag, img.text = "a", alt
        img.set("href", src)
    for link in root.iter("a"):
        if not link.get("href", "").lower().startswith(SAFE_SCHEMES):
            link.attrib.pop("href", None)
    inner = [lxml_html.tostring(child, encoding="unicode") for child in root]
    return ((root.text or "") + "".join(inner)).strip()


def notes_text(notes: str) -> str:
    """Show notes (Markdown) → plain text: paragraphs kept, a link's URL after its text."""
    html = notes_html(notes)
    if not html:
        return ""
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    for link in root.iter("a"):
        href = link.get("href")
        # A link whose text already is its address (autolinks, bare domains) is not repeated.
        bare = re.sub(r"^(mailto:|https?://)", "", href or "").rstrip("/")
        if href and bare != link.text_content().strip().rstrip("/"):
            link.tail = f" ({href}){link.tail or ''}"
    for listing in root.iter("ul", "ol"):
        for n, item in enumerate(listing.findall("li"), 1):
            marker = f"{n}." if listing.tag == "ol" else "•"
            # A loose list wraps each item in <p>: the marker goes before that paragraph's text.
            first = item[0] if len(item) and not (item.text or "").strip() else item
            first.text = f"{marker} " + (first.text or "").lstrip()
    blocks = []
    for child in root:
        lines = (line.strip() for line in child.text_content().splitlines())
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(block for block in blocks if block)


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary, with "…"."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[: limit - len("…".encode())].decode("utf-8", errors="ignore")
    return cut.rstrip() + "…"


def timestamp(seconds: float) -> str:
    """``(MM:SS)``, or ``(HH:MM:SS)`` from an hour on: the form Spotify and Apple parse.

    Whole seconds, rounded down, so a label never points after its chapter's start.
    """
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"({hours:02d}:{minutes:02d}:{secs:02d})" if hours else f"({minutes:02d}:{secs:02d})"


def chapter_lines(chapters: list[tuple[float, str]]) -> list[str]:
    """One ``(00:00) Giriş`` line per (start in seconds, title)."""
    return [f"{timestamp(start)} {title}" for start, title in chapters]


def with_chapters(text: str, chapters: list[tuple[float, str]]) -> str:
    """The plain description: ``text`` cut to fit, then the chapter list, within 4000 bytes."""
    if not chapters:
        return truncate_bytes(text, DESCRIPTION_MAX_BYTES)
    block = "\n\n" + "\n".join(chapter_lines(chapters))
    room = DESCRIPTION_MAX_BYTES - len(block.encode())
    if room < len("…".encode()) + 1:  # a list too long to fit: the text alone, as before
        return truncate_bytes(text, DESCRIPTION_MAX_BYTES)
    return truncate_bytes(text, room) + block


def with_chapters_html(notes: str, chapters: list[tuple[float, str]]) -> str:
    """The HTML show notes followed by the chapter list as one paragraph of lines."""
    if not chapters:
        return notes
    lines = "<br>".join(html.escape(line, quote=False) for line in chapter_lines(chapters))
    return f"{notes}<p>{lines}</p>"
