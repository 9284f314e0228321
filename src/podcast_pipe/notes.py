"""Show notes: the Markdown an episode file carries → the HTML and plain text apps show."""

from __future__ import annotations

import re

import markdown
from lxml import html as lxml_html

# Apple truncates or rejects longer descriptions (bytes, to be safe with Turkish letters).
DESCRIPTION_MAX_BYTES = 4000
SAFE_SCHEMES = ("http://", "https://", "mailto:")


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
