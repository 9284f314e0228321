"""The remaining Podcasting 2.0 tags and the description's chapter list, as apps read them."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import feedparser
import podcastparser
import pytest
from lxml import etree

from namespace_rules import RULES, violations
from podcast_pipe.episodes import Chapter, Person, Soundbite
from podcast_pipe.feed import render_feed
from podcast_pipe.manifest import LiveRendition
from podcast_pipe.podcast_images import generate_images
from podcast_pipe.show import FeedSettings, Funding, License, Location, RemoteFeed, Schedule, Txt
from test_feed import NS, live, xml

P = f"{{{NS['podcast']}}}"
CHAPTERS = (Chapter(0, "Giriş"), Chapter(135.5, "Tarihi bağ"), Chapter(600, "Bugün & yarın"))
PODROLL_GUID = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
SRI = "sha384-" + "A" * 64
RENDITIONS = (
    LiveRendition("mp3", "episodes/izmir-ve-baku-0123abcd.mp3", 1_234_567, "0123abcd" * 8,
                  "audio/mpeg", 128, SRI),
    LiveRendition("opus", "episodes/izmir-ve-baku-4567cdef.opus", 654_321, "4567cdef" * 8,
                  "audio/ogg", 64, SRI),
)  # fmt: skip


@pytest.fixture
def every_tag(make_show: Callable, make_episode: Callable, make_image: Callable) -> bytes:
    """A show and two episodes (one a trailer) with every Podcasting 2.0 tag the feed has."""
    cover = make_image("feed/cover.jpg", 1400, color="teal")
    images = [g.image for g in generate_images(cover, ("artwork", "social", "banner"))]
    show = make_show(
        locked=True,
        funding=(Funding("https://example.org/destek", "Destek olun"),),
        txt=(Txt("a1b2c3d4", "applepodcastsverify"), Txt("İzmir–Bakü kardeşliği")),
        license=License("CC-BY-4.0"),
        location=Location("İzmir, Türkiye", "geo:38.4237,27.1428", "R223474"),
        podroll=(RemoteFeed(PODROLL_GUID, "https://feeds.podcastindex.org/pc20.xml", "PC 2.0"),),
        schedule=Schedule("Her pazartesi", "FREQ=WEEKLY;BYDAY=MO", "2026-01-05T09:00:00+03:00"),
        podping=True,
    )
    trailer = make_episode("fragman", title="Fragman: Kardeş Şehirler", type="trailer", season=1)
    full = make_episode(
        "izmir-ve-baku",
        episode=1,
        season=1,
        notes="İzmir ile **Bakü** arasında 40 yıl.",
        chapters=CHAPTERS,
        persons=(Person("Perviz Altay", role="guest"),),
        soundbites=(Soundbite(68.0, 45.5, "Dostluğun ilk günü"), Soundbite(300, 30)),
        location=Location("Bakü, Azərbaycan", "geo:40.4093,49.8671", "R1913779"),
        license=License("izmir-lisans-1", "https://example.org/lisans"),
        date=dt.datetime(2026, 1, 19, 9, tzinfo=dt.UTC),
    )
    items = [
        (trailer, live(trailer, bytes=120_000, duration_s=62.0)),
        (full, live(full, chapters_key="chapters/izmir-ve-baku.json", chapters_offset_s=7.25,
                    transcript_key="transcripts/izmir-ve-baku.vtt", renditions=RENDITIONS)),
    ]  # fmt: skip
    return render_feed(show, items, cover_key="images/cover-5eed5eed.jpg", images=images)


def test_every_emitted_podcast_tag_follows_the_namespace_rules(every_tag: bytes) -> None:
    root = xml(every_tag)
    assert violations(root) == []
    emitted = {etree.QName(e).localname for e in root.iter(f"{P}*")}
    assert emitted == set(RULES)  # and every rule in the table is exercised


def test_the_rules_catch_broken_tags(every_tag: bytes) -> None:
    root = xml(every_tag)
    channel = root.find("channel")
    del channel.find("podcast:trailer", NS).attrib["pubdate"]
    channel.find("podcast:podping", NS).text = "yes"
    channel.find("podcast:image", NS).set("width", "wide")
    etree.SubElement(channel.find("item"), f"{P}podroll")
    found = "\n".join(violations(root))
    assert "podcast:trailer in channel" in found and "missing required attribute pubdate" in found
    assert "podcast:podping in channel" in found and "must have no text" in found
    assert "width='wide' has the wrong form" in found
    assert "podcast:podroll in item" in found and "parent must be one of" in found


def test_apps_parse_the_feed_with_every_tag(every_tag: bytes) -> None:
    parsed = feedparser.parse(every_tag)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.id for e in parsed.entries] == ["guid-izmir-ve-baku", "guid-fragman"]
    episodes = podcastparser.parse("https://podcast.example.org/feed.xml", io.BytesIO(every_tag))
    assert {e["guid"] for e in episodes["episodes"]} == {"guid-izmir-ve-baku", "guid-fragman"}


def test_channel_tags_carry_the_show_settings(every_tag: bytes) -> None:
    channel = xml(every_tag).find("channel")
    txt = [(t.get("purpose"), t.text) for t in channel.findall("podcast:txt", NS)]
    assert txt == [("applepodcastsverify", "a1b2c3d4"), (None, "İzmir–Bakü kardeşliği")]
    assert channel.findtext("podcast:license", namespaces=NS) == "CC-BY-4.0"
    location = channel.find("podcast:location", NS)
    assert (location.text, location.get("geo"), location.get("osm")) == (
        "İzmir, Türkiye", "geo:38.4237,27.1428", "R223474")  # fmt: skip
    remote = channel.find("podcast:podroll/podcast:remoteItem", NS)
    assert remote.attrib == {"feedGuid": PODROLL_GUID, "title": "PC 2.0",
                             "feedUrl": "https://feeds.podcastindex.org/pc20.xml"}  # fmt: skip
    frequency = channel.find("podcast:updateFrequency", NS)
    assert frequency.text == "Her pazartesi"
    assert frequency.get("rrule") == "FREQ=WEEKLY;BYDAY=MO"
    assert frequency.get("dtstart") == "2026-01-05T09:00:00+03:00"
    assert channel.find("podcast:podping", NS).attrib == {"usesPodping": "true"}
    images = {i.get("purpose"): i.attrib for i in channel.findall("podcast:image", NS)}
    assert set(images) == {"artwork", "social", "banner"}
    social = images["social"]
    assert social["href"].startswith("https://podcast.example.org/images/cover-social-")
    assert (social["width"], social["height"], social["aspect-ratio"]) == ("1200", "630", "40/21")
    assert images["banner"]["aspect-ratio"] == "4/1" and images["artwork"]["aspect-ratio"] == "1/1"
    assert social["type"] == "image/jpeg" and social["alt"] == "İzmir–Bakü: Kardeş Şehirler"


def test_live_trailer_episodes_become_channel_trailers(every_tag: bytes) -> None:
    channel = xml(every_tag).find("channel")
    [trailer] = channel.findall("podcast:trailer", NS)
    assert trailer.text == "Fragman: Kardeş Şehirler"
    assert trailer.attrib == {
        "url": "https://podcast.example.org/episodes/fragman-0123abcd.mp3",
        "pubdate": "Mon, 12 Jan 2026 16:03:00 +0300",
        "length": "120000",
        "type": "audio/mpeg",
        "season": "1",
    }


def test_no_trailer_tag_without_a_live_trailer(make_show: Callable, make_episode: Callable) -> None:
    episode = make_episode()
    feed = render_feed(make_show(), [(episode, live(episode))])
    assert xml(feed).find("channel/podcast:trailer", NS) is None


def test_item_soundbites_are_shifted_by_the_intro_like_the_chapters(every_tag: bytes) -> None:
    item = xml(every_tag).find("channel/item")
    bites = [
        (b.get("startTime"), b.get("duration"), b.text) for b in item.iterfind(f"{P}soundbite")
    ]
    assert bites == [("75.25", "45.5", "Dostluğun ilk günü"), ("307.25", "30", None)]
    assert item.findtext("podcast:license", namespaces=NS) == "izmir-lisans-1"
    assert item.find("podcast:license", NS).get("url") == "https://example.org/lisans"
    assert item.findtext("podcast:location", namespaces=NS) == "Bakü, Azərbaycan"


def test_description_ends_with_the_chapter_list(every_tag: bytes) -> None:
    item = xml(every_tag).find("channel/item")
    description = item.findtext("description")
    # The first chapter stays at 00:00 (the intro plays into it); the others move by 7.25 s.
    assert description.endswith("\n\n(00:00) Giriş\n(02:22) Tarihi bağ\n(10:07) Bugün & yarın")
    assert description.startswith("İzmir ile Bakü arasında 40 yıl.")
    html = item.findtext("content:encoded", namespaces=NS)
    assert html.endswith("<p>(00:00) Giriş<br>(02:22) Tarihi bağ<br>(10:07) Bugün &amp; yarın</p>")


def description_of(show, episode, **fields) -> str:
    item = live(episode, chapters_key="chapters/x.json", **fields)
    return xml(render_feed(show, [(episode, item)])).findtext("channel/item/description")


def test_description_chapters_need_three_and_can_be_turned_off(
    make_show: Callable, make_episode: Callable
) -> None:
    three = make_episode(summary="Özet", chapters=CHAPTERS)
    assert description_of(make_show(), three).endswith("(10:00) Bugün & yarın")
    off = make_show(feed=FeedSettings(description_chapters=False))
    assert description_of(off, three) == "Özet"
    two = make_episode(summary="Özet", chapters=CHAPTERS[:2])
    assert description_of(make_show(), two) == "Özet"
    # Published before its chapters were: no chapter form at all, as with psc and JSON.
    assert (
        xml(render_feed(make_show(), [(three, live(three))])).findtext("channel/item/description")
        == "Özet"
    )


def test_long_episodes_get_hour_timestamps(make_show: Callable, make_episode: Callable) -> None:
    chapters = (*CHAPTERS, Chapter(3725.9, "Kapanış"))
    episode = make_episode(summary="Özet", chapters=chapters)
    text = description_of(make_show(), episode, duration_s=4000.0)
    assert text.splitlines()[-1] == "(01:02:05) Kapanış"


def test_long_notes_are_cut_but_the_chapter_list_stays(
    make_show: Callable, make_episode: Callable
) -> None:
    episode = make_episode(notes="Kardeşlik şarkısı. " * 400, chapters=CHAPTERS)
    description = description_of(make_show(), episode)
    assert len(description.encode()) <= 4000
    text, chapters = description.split("\n\n")
    assert text.endswith("…") and chapters.splitlines()[0] == "(00:00) Giriş"
