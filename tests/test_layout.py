"""The published layout: keys made and read back by the same rows, headers per object."""

from __future__ import annotations

import pytest

from podcast_pipe.publish import layout
from podcast_pipe.publish.layout import cache_control, content_type


def test_content_types_and_cache_policy():
    assert content_type("episodes/a-1234abcd.mp3") == "audio/mpeg"
    assert content_type("feed.xml") == "application/rss+xml"
    assert content_type("images/cover-1234abcd.jpg") == "image/jpeg"
    assert content_type("images/a-1234abcd.png") == "image/png"
    assert content_type("chapters/a.json") == "application/json+chapters"
    assert content_type("manifest.json") == "application/json"
    assert content_type("transcripts/a.vtt") == "text/vtt"
    assert content_type("transcripts/a.srt") == "application/x-subrip"
    assert "immutable" in cache_control("episodes/a-1234abcd.mp3")
    assert "immutable" in cache_control("images/cover-1234abcd.jpg")
    assert "immutable" not in cache_control("feed.xml")
    assert "immutable" not in cache_control("chapters/a.json")


@pytest.mark.parametrize(
    ("row", "fields", "key"),
    [
        (layout.MEDIA, {"slug": "bölüm-1", "hash8": "ab" * 32, "ext": ".mp3"}, "episodes/bölüm-1-abababab.mp3"),
        (layout.IMAGE, {"name": "cover", "hash8": "0123456789", "ext": ".png"}, "images/cover-01234567.png"),
        (layout.CHAPTERS, {"slug": "izmir"}, "chapters/izmir.json"),
        (layout.TRANSCRIPT, {"slug": "izmir", "ext": ".srt"}, "transcripts/izmir.srt"),
        (layout.FEED, {}, "feed.xml"),
        (layout.MANIFEST, {}, "manifest.json"),
        (layout.SITE_PAGE, {}, "index.html"),
        (layout.EPISODE_PAGE, {"slug": "izmir"}, "episodes/izmir/index.html"),
        (layout.EMBED_PAGE, {"slug": "izmir"}, "episodes/izmir/embed.html"),
        (layout.SITE_CSS, {}, "site.css"),
        (layout.SITE_JS, {}, "site.js"),
        (layout.SITEMAP, {}, "sitemap.xml"),
        (layout.SITE_PICTURE, {"picture": "card", "name": "izmir-ve-baku", "hash8": "ab" * 32, "ext": ".jpg"}, "images/card-izmir-ve-baku-abababab.jpg"),
        (layout.LOCK, {}, "publish.lock"),
    ],
)  # fmt: skip
def test_every_key_a_row_makes_is_read_back_as_that_row(row, fields, key):
    assert row.key(**fields) == key
    assert layout.row_for(key) is row


def test_the_website_is_served_as_browsers_need_it():
    page = {"content_type": "text/html; charset=utf-8", "cache_control": layout.SHORT}
    for key in ("index.html", "episodes/izmir/index.html", "episodes/izmir/embed.html"):
        assert layout.headers(key) == page
    assert content_type("site.css") == "text/css; charset=utf-8"
    assert content_type("site.js") == "text/javascript; charset=utf-8"
    assert content_type("sitemap.xml") == "application/xml"  # a sitemap is no RSS feed
    assert layout.headers("images/thumb-show-0123abcd.jpg") == {
        "content_type": "image/jpeg",
        "cache_control": layout.IMMUTABLE,
    }
    assert layout.row_for("images/thumb-show-0123abcd.jpg") is layout.SITE_PICTURE
    assert layout.row_for("images/cover-0123abcd.jpg") is layout.IMAGE


def test_only_content_hashed_keys_are_immutable():
    immutable = [row.kind for row in layout.ROWS if row.immutable]
    assert immutable == ["media", "site picture", "image"]
    # a hand-made name under episodes/ has no hash: it may change, so it is not cached forever
    assert layout.row_for("episodes/notes.html") is None
    assert not layout.is_immutable("episodes/izmir-notahash.mp3")
    assert layout.headers("publish.lock") == {
        "content_type": "application/octet-stream",
        "cache_control": layout.SHORT,
    }


def test_a_new_row_extends_the_layout(monkeypatch):
    page = layout.Row("episode transcript page", "episodes/{slug}/transcript.html")
    monkeypatch.setattr(layout, "ROWS", (*layout.ROWS, page))
    assert layout.row_for("episodes/izmir/transcript.html") is page
    assert layout.row_for("episodes/izmir-1234abcd.mp3") is layout.MEDIA
    assert layout.headers(page.key(slug="izmir")) == {
        "content_type": "text/html; charset=utf-8",
        "cache_control": layout.SHORT,
    }
