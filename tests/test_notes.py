"""Show notes: Markdown → the HTML and the plain text that apps show."""

from __future__ import annotations

from podcast_pipe.notes import notes_html, notes_text, truncate_bytes


def test_truncate_bytes_never_splits_a_letter() -> None:
    assert truncate_bytes("şşş", 6) == "şşş"
    cut = truncate_bytes("ş" * 10, 8)
    assert cut == "şş…" and len(cut.encode()) <= 8


def test_show_notes_images_become_links_and_text_keeps_urls() -> None:
    html = notes_html("![Kapak](https://example.org/k.jpg)")
    assert html == '<p><a href="https://example.org/k.jpg">Kapak</a></p>'
    assert notes_text("Yaz: <ayse@example.org>") == "Yaz: ayse@example.org"
    assert notes_text("[site.org](https://site.org/) [Site](https://site.org/)") == (
        "site.org Site (https://site.org/)"
    )
    assert notes_text("- bir\n\n- iki") == "• bir\n• iki"
    assert notes_text("1. bir\n2. iki") == "1. bir\n2. iki"
