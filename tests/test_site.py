"""The website as rendered: valid HTML, JSON-LD, share tags, sitemap, cards, only published episodes."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from urllib.parse import urljoin

import html5lib
import lxml.etree
import lxml.html
import pytest
from PIL import Image

from podcast_pipe.config import Funding, SiteSettings
from podcast_pipe.notes import notes_html
from podcast_pipe.site import render_site
from podcast_pipe.site._cues import read_cues

PAGE_WEIGHT_LIMIT = 100_000  # bytes of HTML + CSS + JS per page (issue 14)
# Attributes whose URL the browser fetches by itself when the page loads.
FETCHED = "//*[@src] | //link[@rel='stylesheet' or @rel='icon' or @rel='preload']"


def pages(objects: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in objects.items() if k.endswith(".html")}


def tree(data: bytes) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(data)


def jsonld(data: bytes) -> dict:
    (script,) = tree(data).xpath("//script[@type='application/ld+json']")
    return json.loads(script.text)


def test_keys_are_the_published_layout(sample_site):
    slugs = sorted(live.slug for _, live in sample_site.items)
    keys = set(sample_site.objects)
    expected = {"index.html", "site.css", "site.js", "sitemap.xml"}
    expected |= {f"episodes/{s}/{name}" for s in slugs for name in ("index.html", "embed.html")}
    assert expected <= keys
    others = keys - expected
    assert others and all(
        re.fullmatch(r"images/(card|thumb)-[a-z0-9-]+-[0-9a-f]{8}\.jpg", k) for k in others
    )


def test_every_page_is_valid_html5(sample_site):
    for key, data in pages(sample_site.objects).items():
        parser = html5lib.HTMLParser()
        parser.parse(data)
        assert parser.errors == [], (key, parser.errors[:3])
        assert tree(data).get("lang") == "tr"


def test_page_weight_without_images(sample_site):
    assets = len(sample_site.objects["site.css"]) + len(sample_site.objects["site.js"])
    for key, data in pages(sample_site.objects).items():
        assert len(data) + assets < PAGE_WEIGHT_LIMIT, key


def test_show_page_lists_exactly_the_published_episodes_newest_first(sample_site):
    page = tree(sample_site.objects["index.html"])
    links = page.xpath("//ol[@class='episodes']//h3/a/@href")
    newest_first = sorted(sample_site.items, key=lambda i: i[0].date, reverse=True)
    assert links == [f"episodes/{e.slug}/index.html" for e, _ in newest_first]
    titles = page.xpath("//ol[@class='episodes']//h3/a/text()")
    assert titles == [e.title for e, _ in newest_first]


def test_drafts_and_scheduled_episodes_appear_nowhere(sample_site):
    assert {e.slug for e in sample_site.hidden} == {"taslak-bolum", "gelecek-bolum"}
    for key, data in sample_site.objects.items():
        for episode in sample_site.hidden:
            assert episode.slug.encode() not in data and b"Gizli" not in data, key


def test_json_ld_describes_series_and_episodes(sample_site):
    series = jsonld(sample_site.objects["index.html"])
    assert series["@type"] == "PodcastSeries"
    assert series["name"] == sample_site.show.title
    assert series["webFeed"] == sample_site.url + "feed.xml"
    assert len(series["episode"]) == len(sample_site.items)
    for episode, live in sample_site.items:
        data = jsonld(sample_site.objects[f"episodes/{episode.slug}/index.html"])
        assert data["@type"] == "PodcastEpisode" and data["name"] == episode.title
        assert data["partOfSeries"]["@type"] == "PodcastSeries"
        media = data["associatedMedia"]
        assert media["contentUrl"] == sample_site.url + live.media_key
        assert media["encodingFormat"] == "audio/mpeg"
        assert data["datePublished"] == episode.date.isoformat()


def test_share_tags_canonical_and_feed_link_on_every_page(sample_site):
    for key, data in pages(sample_site.objects).items():
        page = tree(data)
        (canonical,) = page.xpath("//link[@rel='canonical']/@href")
        expected = key.replace("embed.html", "index.html")  # embeds point at their episode page
        assert canonical == sample_site.url + expected
        assert page.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == [
            sample_site.url + "feed.xml"
        ]
    for episode, live in sample_site.items:
        page = tree(sample_site.objects[f"episodes/{episode.slug}/index.html"])
        meta = {m.get("property") or m.get("name"): m.get("content") for m in page.iter("meta")}
        assert meta["og:title"] == episode.title
        assert meta["og:audio"] == sample_site.url + live.media_key
        card = meta["og:image"].removeprefix(sample_site.url)
        with Image.open(sample_site.root / card) as image:
            assert image.size == (1200, 630) and image.format == "JPEG"
        assert meta["twitter:card"] == "summary_large_image"


def test_episode_art_gets_its_own_card_others_the_shows(sample_site):
    cards = {}
    for episode, _ in sample_site.items:
        page = tree(sample_site.objects[f"episodes/{episode.slug}/index.html"])
        cards[episode.slug] = page.xpath("//meta[@property='og:image']/@content")[0]
    assert "card-02-kardes-sehirler-" in cards["02-kardes-sehirler"]
    assert "card-show-" in cards["01-izmir-ve-baku"]


def test_no_external_url_except_configured_and_written_links(sample_site):
    show = sample_site.show
    allowed = {url for _, url in show.site.links} | {show.website, "https://schema.org"}
    own_app = "podcast://" + sample_site.url.split("://")[1]
    for episode, _ in sample_site.items:
        allowed |= set(re.findall(r'href="([^"]+)"', notes_html(episode.notes)))
        allowed |= {c.url for c in episode.chapters if c.url}
        allowed |= {p.href for p in episode.persons if p.href}
    for key, data in pages(sample_site.objects).items():
        page = tree(data)
        for element in page.xpath(FETCHED):
            url = element.get("src") or element.get("href")
            assert "://" not in url and not url.startswith("//"), (key, url)
        for url in re.findall(r"""[a-z]+://[^\s"'<>)]+""", data.decode()):
            assert url.startswith((sample_site.url, own_app)) or url in allowed, (key, url)
    # And every relative link resolves to an object of the site or the target.
    served = {p.relative_to(sample_site.root).as_posix() for p in sample_site.root.rglob("*")}
    for key, data in pages(sample_site.objects).items():
        for element in tree(data).xpath("//*[@href or @src]"):
            url = element.get("href") or element.get("src")
            if "://" in url or url.startswith(("#", "mailto:")):
                continue
            target = urljoin(sample_site.url + key, url).removeprefix(sample_site.url)
            assert target.split("#")[0].split("?")[0] in served, (key, url)


def test_subscribe_links(sample_site):
    page = tree(sample_site.objects["index.html"])
    hrefs = page.xpath("//section[@class='subscribe']//a/@href")
    assert "podcast://" + sample_site.url.removeprefix("http://") + "feed.xml" in hrefs
    assert sample_site.url + "feed.xml" in hrefs
    assert [url for _, url in sample_site.show.site.links] == [
        h for h in hrefs if "apple" in h or "spotify" in h
    ]


def test_episode_page_player_chapters_transcript(sample_site):
    episode, live = next(i for i in sample_site.items if i[0].slug == "01-izmir-ve-baku")
    page = tree(sample_site.objects["episodes/01-izmir-ve-baku/index.html"])
    (audio,) = page.xpath("//audio")
    assert audio.get("preload") == "metadata" and audio.get("src") == "../../" + live.media_key
    assert page.xpath("//audio/track/@kind") == ["captions"]
    assert page.xpath("//audio/track/@src") == ["../../transcripts/01-izmir-ve-baku.vtt"]
    starts = page.xpath("//ol[@class='chapters']//a/@data-start")
    assert starts == ["0", "6", "13", "32"]
    assert page.xpath("//ol[@class='cues']//a/@data-start") == ["1", "8.5", "20"]
    cue_text = page.xpath("string(//ol[@class='cues'])")
    assert (
        "Perviz:" in cue_text and "ğ ı ş ə İ" in cue_text and "Ege ile Hazar & iki kıyı" in cue_text
    )
    assert page.xpath("//a[@rel='prev']/@href") == ["../00-fragman/index.html"]
    assert page.xpath("//a[@rel='next']/@href") == ["../02-kardes-sehirler/index.html"]


def test_sitemap_lists_the_pages(sample_site):
    root = lxml.etree.fromstring(sample_site.objects["sitemap.xml"])
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = root.xpath("//s:loc/text()", namespaces=ns)
    expected = [sample_site.url + "index.html"] + [
        f"{sample_site.url}episodes/{e.slug}/index.html" for e, _ in sample_site.items
    ]
    assert sorted(locs) == sorted(expected)


def test_byte_stable(sample_site):
    cover_key = sample_site.plan.manifest.cover_key
    assert cover_key  # the published cover is the show's full-size image in JSON-LD
    again = render_site(sample_site.show, list(reversed(sample_site.items)), cover_key=cover_key)
    assert again == sample_site.objects


def test_accent_and_language(sample_site):
    show = replace(sample_site.show, language="en-US", site=SiteSettings(accent="#aa3300"))
    objects = render_site(show, sample_site.items)
    assert b"--accent: #aa3300;" in objects["site.css"]
    page = tree(objects["index.html"])
    assert page.get("lang") == "en-US"
    assert page.xpath("//h2[@id='episodes']/text()") == ["Episodes"]
    # A new stylesheet gets a new ?v= so browsers do not keep the old colours.
    assert objects["site.css"] != sample_site.objects["site.css"]
    assert tree(objects["index.html"]).xpath("//link[@rel='stylesheet']/@href") != tree(
        sample_site.objects["index.html"]
    ).xpath("//link[@rel='stylesheet']/@href")


def test_serial_show_groups_seasons(sample_site):
    items = [
        (replace(episode, season=2 if episode.episode == 3 else 1), live)
        for episode, live in sample_site.items
    ]
    objects = render_site(replace(sample_site.show, type="serial"), items)
    page = tree(objects["index.html"])
    assert page.xpath("//h3[@class='season']/text()") == ["1. sezon", "2. sezon"]


def test_an_empty_show_still_has_a_valid_home_page(sample_site):
    objects = render_site(sample_site.show, [])
    parser = html5lib.HTMLParser()
    parser.parse(objects["index.html"])
    assert parser.errors == []
    assert tree(objects["index.html"]).xpath("//ol[@class='episodes']/li") == []


@pytest.mark.parametrize(
    "text",
    [
        "WEBVTT\n\nNOTE hi\n\n00:01.500 --> 00:03.000\n<v Ali>Selam &lt;3\n\n01:02:03.250 --> 01:02:04.000\nSon.\n",
        "1\r\n00:00:01,500 --> 00:00:03,000\r\n<v Ali>Selam &lt;3\r\n\r\n2\r\n01:02:03,250 --> 01:02:04,000\r\nSon.\r\n",
    ],
    ids=["vtt", "srt"],
)
def test_transcript_cues(tmp_path, text):
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    cues = read_cues(path)
    assert [(c.start_s, c.speaker, c.text) for c in cues] == [
        (1.5, "Ali", "Selam <3"),
        (3723.25, None, "Son."),
    ]


def test_full_size_cover_in_json_ld_when_published(sample_site):
    objects = render_site(
        sample_site.show, sample_site.items, cover_key="images/cover-1234abcd.jpg"
    )
    series = jsonld(objects["index.html"])
    assert series["image"] == sample_site.url + "images/cover-1234abcd.jpg"
    episode = jsonld(objects["episodes/00-fragman/index.html"])
    assert episode["partOfSeries"]["image"] == series["image"]
    assert "@context" not in episode["partOfSeries"]


def test_titles_and_notes_cannot_inject_markup(sample_site):
    hostile = "Bölüm </script><script>alert(1)</script> & <b>"
    episode, live = sample_site.items[0]
    episode = replace(
        episode, title=hostile, summary=hostile, notes=f"{hostile}\n\n<script>x</script>"
    )
    objects = render_site(sample_site.show, [(episode, live)])
    for key in (f"episodes/{episode.slug}/index.html", "index.html"):
        data = objects[key]
        assert b"<script>alert" not in data and b"<script>x" not in data
        parser = html5lib.HTMLParser()
        parser.parse(data)
        assert parser.errors == []
    page = objects[f"episodes/{episode.slug}/index.html"]
    assert jsonld(page)["name"] == hostile  # intact in the JSON-LD, which stays one script
    assert tree(page).xpath("string(//h1)") == hostile


def test_funding_and_configured_links_are_buttons(sample_site):
    show = replace(
        sample_site.show,
        funding=(Funding("https://destek.example.org/", "Bize destek olun"),),
        site=SiteSettings(links=(("website", "https://izmir-baku.example.org/"),)),
    )
    page = tree(render_site(show, sample_site.items)["index.html"])
    buttons = page.xpath("//section[@class='subscribe']//a[@class='button']")
    assert [(b.text, b.get("href")) for b in buttons] == [
        ("Web sitesi", "https://izmir-baku.example.org/"),
        ("Bize destek olun", "https://destek.example.org/"),
    ]


def test_srt_transcript_is_shown_without_a_track(sample_site, tmp_path):
    srt = tmp_path / "bolum.srt"
    srt.write_text("1\n00:00:02,000 --> 00:00:04,000\nMerhaba.\n", encoding="utf-8")
    episode, live = sample_site.items[0]
    item = (replace(episode, transcript=srt), replace(live, transcript_key="transcripts/x.srt"))
    page = tree(render_site(sample_site.show, [item])[f"episodes/{episode.slug}/index.html"])
    assert page.xpath("//audio/track") == []
    assert page.xpath("//ol[@class='cues']//a/@data-start") == ["2"]


def test_serve_answers_the_site_at_its_root_with_the_published_headers(sample_site):
    import urllib.request

    slug = sample_site.items[0][1].slug
    for path, key in (("", "index.html"), (f"episodes/{slug}/", f"episodes/{slug}/index.html")):
        with urllib.request.urlopen(sample_site.url + path, timeout=10) as response:
            assert response.read() == sample_site.objects[key]
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert response.headers["Cache-Control"] == "public, max-age=300"
    with urllib.request.urlopen(sample_site.url + "sitemap.xml", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/xml"
