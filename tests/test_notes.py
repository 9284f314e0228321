"""Show notes: Markdown → the HTML and the plain text that apps show."""

from __future__ import annotations

from podcast_pipe.notes import (
    notes_html,
    notes_text,
    timestamp,
    truncate_bytes,
    with_chapters,
    with_chapters_html,
)


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


def test_chapter_timestamps_round_down_and_grow_hours() -> None:
    assert timestamp(0) == "(00:00)"
    assert timestamp(142.99) == "(02:22)"  # never after the chapter's start
    assert timestamp(3725.9) == "(01:02:05)"
    chapters = [(0.0, "Giriş"), (142.75, "Tarihi bağ"), (607.25, "Son")]
    assert with_chapters("Notlar", chapters) == (
        "Notlar\n\n(00:00) Giriş\n(02:22) Tarihi bağ\n(10:07) Son"
    )
    assert with_chapters("Notlar", []) == "Notlar"
    assert with_chapters_html("<p>N</p>", chapters[:1]) == "<p>N</p><p>(00:00) Giriş</p>"
