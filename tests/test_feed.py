"""The RSS feed as podcast apps read it: feedparser, gPodder's podcastparser, raw XML."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable

import feedparser
import podcastparser
import pytest
from lxml import etree

from podcast_pipe.build import build_episodes
from podcast_pipe.chapters import chapters_json
from podcast_pipe.config import AudioSettings, Funding
from podcast_pipe.episodes import Chapter, Episode, Person, episode_guid
from podcast_pipe.feed import render_feed
from podcast_pipe.manifest import LiveEpisode, Manifest
from podcast_pipe.psc import npt
from podcast_pipe.publish.plan import plan_release

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "psc": "http://podlove.org/simple-chapters",
}
BAKU = dt.timezone(dt.timedelta(hours=4))
CHAPTERS = (
    Chapter(0.0, "Giriş"),
    Chapter(135.5, "Tarihi bağ & dostluk", url="https://example.org/tarih?a=1&b=2"),
)
NOTES = """İzmir ile **Bakü** arasında 40 yıl: *kardeşlik* & dostluk.

- Konuk: [Perviz Altay](https://example.org/perviz?a=1&b=2)
- Müzik: <script>alert(1)</script> Xəzər

[kötü bağlantı](javascript:alert(1))
"""


def live(episode: Episode, **fields) -> LiveEpisode:
    """Where an episode is published, as the manifest records it."""
    base = dict(
        guid=f"guid-{episode.slug}",
        slug=episode.slug,
        media_key=f"episodes/{episode.slug}-0123abcd.mp3",
        bytes=1_234_567,
        sha256="0123abcd" * 8,
        duration_s=1805.6,
        source_sha256="feedbeef" * 8,
        published_at="2026-01-12T13:03:00+00:00",
        season=episode.season,
        episode=episode.episode,
    )
    return LiveEpisode(**{**base, **fields})


@pytest.fixture
def full_feed(make_show: Callable, make_episode: Callable) -> bytes:
    """A show with two episodes using every feature the feed has."""
    show = make_show(
        explicit=False,
        copyright="© 2026 İzmir Büyükşehir Belediyesi",
        website="https://izmir.example.org/baku",
        categories=(("Society & Culture", "Places & Travel"), ("History", None)),
        funding=(Funding("https://example.org/destek", "Destek olun"),),
        locked=True,
    )
    first = make_episode(
        "izmir-ve-baku",
        title="İzmir ile Bakü: 40 Yıllık Kardeşlik",
        episode=1,
        season=1,
        notes=NOTES,
        summary="Kardeşliğin hikâyesi",
        persons=(Person("Perviz Altay", role="Guest"), Person("Ayşe Yılmaz")),
        chapters=CHAPTERS,
    )
    second = make_episode(
        "xezerden-salam",
        title="Xəzərdən salam",
        episode=2,
        season=1,
        explicit=True,
        date=dt.datetime(2026, 2, 9, 9, 30, tzinfo=BAKU),
    )
    items = [
        (
            first,
            live(
                first,
                image_key="images/izmir-ve-baku-aa11bb22.jpg",
                chapters_key="chapters/izmir-ve-baku.json",
                transcript_key="transcripts/izmir-ve-baku.vtt",
            ),
        ),
        (second, live(second, bytes=987_654, duration_s=59.4, transcript_key="transcripts/x.srt")),
    ]
    return render_feed(show, items, cover_key="images/cover-5eed5eed.jpg")


def xml(feed: bytes) -> etree._Element:
    return etree.fromstring(feed)


def test_feedparser_reads_channel_and_items_without_complaint(full_feed: bytes) -> None:
    parsed = feedparser.parse(full_feed)
    assert not parsed.bozo, parsed.get("bozo_exception")
    channel = parsed.feed
    assert channel.title == "İzmir–Bakü: Kardeş Şehirler"
    assert channel.link == "https://izmir.example.org/baku"
    assert channel.language == "tr"
    assert channel.publisher_detail.name == "Ayşe Yılmaz"
    assert channel.image.href == "https://podcast.example.org/images/cover-5eed5eed.jpg"
    assert channel.publisher_detail.email == "ayse@example.org"
    assert [t.term for t in channel.tags] == ["Society & Culture", "Places & Travel", "History"]
    assert channel.rights == "© 2026 İzmir Büyükşehir Belediyesi"
    assert channel.generator.startswith("podcast-pipe ")

    newest, oldest = parsed.entries
    assert [newest.id, oldest.id] == ["guid-xezerden-salam", "guid-izmir-ve-baku"]
    assert newest.guidislink is False
    assert newest.enclosures[0].href == (
        "https://podcast.example.org/episodes/xezerden-salam-0123abcd.mp3"
    )
    assert newest.enclosures[0].length == "987654"
    assert newest.enclosures[0].type == "audio/mpeg"
    assert newest.itunes_duration == "59"
    assert oldest.itunes_duration == "1806"
    assert newest.published == "Mon, 09 Feb 2026 09:30:00 +0400"
    assert oldest.itunes_episode == "1" and oldest.itunes_season == "1"
    assert oldest.itunes_episodetype == "full"
    assert oldest.image.href == "https://podcast.example.org/images/izmir-ve-baku-aa11bb22.jpg"
    assert "<strong>Bakü</strong>" in oldest.content[0].value


def test_podcastparser_reads_episodes_as_gpodder_does(full_feed: bytes) -> None:
    url = "https://podcast.example.org/feed.xml"
    parsed = podcastparser.parse(url, io.BytesIO(full_feed))
    assert parsed["title"] == "İzmir–Bakü: Kardeş Şehirler"
    assert parsed["cover_url"] == "https://podcast.example.org/images/cover-5eed5eed.jpg"
    assert parsed["explicit"] is False
    by_guid = {episode["guid"]: episode for episode in parsed["episodes"]}
    assert set(by_guid) == {"guid-izmir-ve-baku", "guid-xezerden-salam"}
    first, second = by_guid["guid-izmir-ve-baku"], by_guid["guid-xezerden-salam"]
    assert first["total_time"] == 1806 and second["total_time"] == 59
    assert second["enclosures"] == [
        {
            "url": "https://podcast.example.org/episodes/xezerden-salam-0123abcd.mp3",
            "file_size": 987654,
            "mime_type": "audio/mpeg",
        }
    ]
    assert first["explicit"] is False and second["explicit"] is True
    assert first["number"] == 1 and first["type"] == "full"
    assert first["published"] == dt.datetime(2026, 1, 12, 13, 3, tzinfo=dt.UTC).timestamp()
    # gPodder reads chapters only inline (psc), whole seconds.
    assert first["chapters"] == [
        {"start": 0, "title": "Giriş"},
        {
            "start": 135,
            "title": "Tarihi bağ & dostluk",
            "href": "https://example.org/tarih?a=1&b=2",
        },
    ]
    assert "chapters" not in second


def test_namespaces_and_element_placement(full_feed: bytes) -> None:
    root = xml(full_feed)
    assert {prefix: root.nsmap[prefix] for prefix in NS} == NS
    channel = root.find("channel")
    self_link = channel.find("atom:link", NS)
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == "https://podcast.example.org/feed.xml"
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    assert channel.findtext("itunes:type", namespaces=NS) == "episodic"
    assert channel.findtext("itunes:author", namespaces=NS) == "İzmir Büyükşehir Belediyesi"
    # Apple's spec dropped itunes:summary and itunes:keywords: the feed carries neither.
    assert root.find(".//itunes:summary", NS) is None
    assert root.find(".//itunes:keywords", NS) is None
    assert channel.findtext("itunes:owner/itunes:email", namespaces=NS) == "ayse@example.org"
    first_category = channel.find("itunes:category", NS)
    assert first_category.get("text") == "Society & Culture"
    assert first_category.find("itunes:category", NS).get("text") == "Places & Travel"
    assert channel.findtext("image/url") == channel.find("itunes:image", NS).get("href")
    # uuid5 of "podcast.example.org/feed.xml" in the Podcasting 2.0 namespace.
    assert channel.findtext("podcast:guid", namespaces=NS) == "375e050f-7f52-5e9b-9cfc-9414515d1a5b"
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "ayse@example.org")
    funding = channel.find("podcast:funding", NS)
    assert (funding.get("url"), funding.text) == ("https://example.org/destek", "Destek olun")
    assert channel.findtext("podcast:medium", namespaces=NS) == "podcast"
    # Channel-level Podcasting 2.0 tags stay out of the items, and vice versa.
    assert channel.find("item/podcast:guid", NS) is None
    assert channel.find("podcast:chapters", NS) is None

    oldest = channel.findall("item")[1]
    assert oldest.find("guid").get("isPermaLink") == "false"
    chapters = oldest.find("podcast:chapters", NS)
    assert chapters.get("url") == "https://podcast.example.org/chapters/izmir-ve-baku.json"
    assert chapters.get("type") == "application/json+chapters"
    transcript = oldest.find("podcast:transcript", NS)
    assert transcript.attrib == {
        "url": "https://podcast.example.org/transcripts/izmir-ve-baku.vtt",
        "type": "text/vtt",
        "language": "tr",
        "rel": "captions",
    }
    assert oldest.findtext("podcast:season", namespaces=NS) == "1"
    assert oldest.findtext("podcast:episode", namespaces=NS) == "1"
    persons = [(p.text, p.get("role")) for p in oldest.findall("podcast:person", NS)]
    assert persons == [("Perviz Altay", "guest"), ("Ayşe Yılmaz", "host")]
    assert oldest.findtext("itunes:subtitle", namespaces=NS) == "Kardeşliğin hikâyesi"

    newest = channel.findall("item")[0]
    assert newest.findtext("itunes:explicit", namespaces=NS) == "true"
    assert newest.find("podcast:transcript", NS).get("type") == "application/x-subrip"
    assert newest.find("podcast:chapters", NS) is None
    assert newest.find("psc:chapters", NS) is None
    assert newest.find("itunes:image", NS) is None


def test_turkish_text_survives_and_html_is_escaped_once(full_feed: bytes) -> None:
    assert full_feed.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "İzmir ile Bakü: 40 Yıllık Kardeşlik".encode() in full_feed
    assert "Xəzərdən salam".encode() in full_feed
    assert b"&amp;amp;" not in full_feed and b"&amp;lt;" not in full_feed
    item = xml(full_feed).findall("channel/item")[1]
    html = item.findtext("content:encoded", namespaces=NS)
    assert '<a href="https://example.org/perviz?a=1&amp;b=2">Perviz Altay</a>' in html
    assert "&amp; dostluk" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    description = item.findtext("description")
    assert description.startswith("İzmir ile Bakü arasında 40 yıl: kardeşlik & dostluk.")
    assert "• Konuk: Perviz Altay (https://example.org/perviz?a=1&b=2)" in description
    assert "<strong>" not in description and "**" not in description


def test_regeneration_is_byte_identical(make_show: Callable, make_episode: Callable) -> None:
    def build() -> bytes:
        episodes = [
            make_episode("a", episode=1, notes=NOTES),
            make_episode("b", episode=2, date=dt.datetime(2026, 3, 1, 10, 0, tzinfo=BAKU)),
        ]
        return render_feed(make_show(), [(e, live(e)) for e in episodes], cover_key="c.jpg")

    first = build()
    assert build() == first
    last_build = xml(first).findtext("channel/lastBuildDate")
    assert last_build == "Sun, 01 Mar 2026 10:00:00 +0400"  # the newest episode, not "now"


def test_empty_feed_is_valid_and_stable(make_show: Callable) -> None:
    feed = render_feed(make_show(), [])
    assert render_feed(make_show(), []) == feed
    parsed = feedparser.parse(feed)
    assert not parsed.bozo and parsed.entries == []


def test_episodic_show_lists_newest_first(make_show: Callable, make_episode: Callable) -> None:
    day = dt.timedelta(days=1)
    start = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    episodes = [make_episode(slug, date=start + n * day) for n, slug in enumerate("bca")]
    feed = render_feed(make_show(type="episodic"), [(e, live(e)) for e in episodes])
    guids = [g.text for g in xml(feed).iter("guid")]
    assert guids == ["guid-a", "guid-c", "guid-b"]


def test_serial_show_lists_by_season_and_number(
    make_show: Callable, make_episode: Callable
) -> None:
    late = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    episodes = [
        make_episode("s2e1", season=2, episode=1),
        make_episode("s1e2", season=1, episode=2),
        make_episode("s1e1", season=1, episode=1, date=late),  # published late, still first
        make_episode("trailer", season=1, type="trailer"),
    ]
    feed = render_feed(make_show(type="serial"), [(e, live(e)) for e in episodes])
    guids = [g.text for g in xml(feed).iter("guid")]
    assert guids == ["guid-trailer", "guid-s1e1", "guid-s1e2", "guid-s2e1"]
    assert xml(feed).findtext("channel/itunes:type", namespaces=NS) == "serial"


def test_item_guid_comes_from_the_manifest(make_show: Callable, make_episode: Callable) -> None:
    show = make_show()
    episode = make_episode("renamed", guid="front-matter-guid")
    feed = render_feed(show, [(episode, live(episode, guid="https://old-host.example/ep/17"))])
    assert [g.text for g in xml(feed).iter("guid")] == ["https://old-host.example/ep/17"]
    assert episode_guid(show, episode).encode() not in feed


def test_default_episode_guid_is_the_same_on_every_machine(
    make_show: Callable, make_episode: Callable
) -> None:
    # uuid5(show GUID, slug): no clock, host or path goes in, and a new title changes nothing.
    guid = episode_guid(make_show(), make_episode("izmir-ve-baku", title="Yeni ad"))
    assert guid == "75120bc5-de51-533d-a676-9de93b9fd493"


def test_long_show_notes_are_cut_to_4000_bytes_in_description(
    make_show: Callable, make_episode: Callable
) -> None:
    episode = make_episode(notes="Kardeşlik şarkısı. " * 400)  # about 9 kB of UTF-8
    item = xml(render_feed(make_show(), [(episode, live(episode))])).find("channel/item")
    description = item.findtext("description")
    assert len(description.encode()) <= 4000 and description.endswith("…")
    assert len(item.findtext("content:encoded", namespaces=NS).encode()) > 8000


def test_episode_without_notes_is_described_by_its_summary(
    make_show: Callable, make_episode: Callable
) -> None:
    episode = make_episode(summary="Kısa özet")
    item = xml(render_feed(make_show(), [(episode, live(episode))])).find("channel/item")
    assert item.findtext("description") == "Kısa özet"
    assert item.find("content:encoded", NS) is None


def test_explicit_is_true_false_and_episodes_inherit_the_show(
    make_show: Callable, make_episode: Callable
) -> None:
    episodes = [make_episode("inherits"), make_episode("clean", explicit=False)]
    feed = render_feed(make_show(explicit=True), [(e, live(e)) for e in episodes])
    values = [e.text for e in xml(feed).iter(f"{{{NS['itunes']}}}explicit")]
    assert values == ["true", "true", "false"]  # channel, then items newest (slug) first


def test_notes_that_contain_a_cdata_terminator_still_parse(
    make_show: Callable, make_episode: Callable
) -> None:
    episode = make_episode(notes="Dizi: x[y[0]]> z ve `a[b[0]]>c`")
    feed = render_feed(make_show(), [(episode, live(episode))])
    html = xml(feed).findtext("channel/item/content:encoded", namespaces=NS)
    assert html == "<p>Dizi: x[y[0]]&gt; z ve <code>a[b[0]]&gt;c</code></p>"


def psc_starts(feed: bytes) -> list[str]:
    return [c.get("start") for c in xml(feed).iterfind("channel/item/psc:chapters/", NS)]


def test_inline_chapters_are_shifted_by_the_intro_like_the_json_ones(
    make_show: Callable, make_episode: Callable
) -> None:
    episode = make_episode(chapters=CHAPTERS)
    item = live(episode, chapters_key="chapters/bolum-1.json", chapters_offset_s=7.25)
    feed = render_feed(make_show(), [(episode, item)])
    chapters = xml(feed).find("channel/item/psc:chapters", NS)
    assert chapters.get("version") == "1.2"
    assert psc_starts(feed) == ["00:00:07.250", "00:02:22.750"]
    expected = chapters_json(episode, duration_s=item.duration_s, offset_s=7.25)
    assert [c["startTime"] for c in expected["chapters"]] == [7.25, 142.75]
    parsed = podcastparser.parse("https://podcast.example.org/feed.xml", io.BytesIO(feed))
    assert [c["start"] for c in parsed["episodes"][0]["chapters"]] == [7, 142]
    assert not feedparser.parse(feed).bozo


def test_no_inline_chapters_without_published_json_chapters(
    make_show: Callable, make_episode: Callable
) -> None:
    # A live entry from before the chapters were written: psc and podcast:chapters go together.
    episode = make_episode(chapters=CHAPTERS)
    feed = render_feed(make_show(), [(episode, live(episode))])
    assert xml(feed).find("channel/item/psc:chapters", NS) is None
    assert xml(feed).find("channel/item/podcast:chapters", NS) is None


def test_built_episode_feed_chapters_match_the_built_json(
    make_show: Callable, make_episode: Callable, make_image: Callable, make_audio: Callable
) -> None:
    make_image("feed/cover.jpg")
    intro = make_audio("assets/intro.wav", "sine=f=300", 2)
    show = make_show(audio=AudioSettings(intro=intro))
    audio = make_audio("episodes/bolum-1.wav", "sine=f=500", 3)
    episode = make_episode(audio_path=audio, chapters=(Chapter(0, "Giriş"), Chapter(1, "Bakü")))
    [record] = build_episodes(show, [episode])
    assert record.intro_s > 1
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    plan = plan_release(show, [(episode, record)], Manifest(), now)
    assert plan.manifest.episodes[0].chapters_offset_s == record.intro_s
    built = json.loads((show.build_dir / "bolum-1.chapters.json").read_text())
    parsed = podcastparser.parse(show.publish.feed_url, io.BytesIO(plan.feed))
    titles = [c["title"] for c in parsed["episodes"][0]["chapters"]]
    assert titles == [c["title"] for c in built["chapters"]] == ["Giriş", "Bakü"]
    starts = [c["startTime"] for c in built["chapters"]]
    assert psc_starts(plan.feed) == [npt(s) for s in starts]
