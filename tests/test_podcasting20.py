"""The Podcasting 2.0 feedgen extension on its own, registered on a plain FeedGenerator."""

from __future__ import annotations

import datetime as dt

import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

from podcast_pipe.podcasting20 import (
    PODCAST_NS,
    Podcasting20EntryExtension,
    Podcasting20Extension,
)

NS = {"podcast": PODCAST_NS}


def generator() -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("podcast20", Podcasting20Extension, Podcasting20EntryExtension)
    fg.title("Kardeş Şehirler")
    fg.link(href="https://podcast.example.org/")
    fg.description("İzmir ve Bakü")
    return fg


def channel_of(fg: FeedGenerator) -> etree._Element:
    root = etree.fromstring(fg.rss_str())
    assert root.nsmap["podcast"] == PODCAST_NS
    return root.find("channel")


def test_channel_tags() -> None:
    fg = generator()
    fg.podcast20.podcast_guid("375e050f-7f52-5e9b-9cfc-9414515d1a5b")
    fg.podcast20.podcast_locked(True, owner="ayse@example.org")
    fg.podcast20.podcast_funding("https://example.org/destek", "Destek olun")
    fg.podcast20.podcast_funding("https://example.org/uye", "Üye olun")
    fg.podcast20.podcast_medium("audiobook")
    fg.podcast20.podcast_person("Ayşe Yılmaz", role="Host", href="https://example.org/ayse")
    channel = channel_of(fg)
    assert channel.findtext("podcast:guid", namespaces=NS) == "375e050f-7f52-5e9b-9cfc-9414515d1a5b"
    locked = channel.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "ayse@example.org")
    funding = [(f.get("url"), f.text) for f in channel.findall("podcast:funding", NS)]
    assert funding == [
        ("https://example.org/destek", "Destek olun"),
        ("https://example.org/uye", "Üye olun"),
    ]
    assert channel.findtext("podcast:medium", namespaces=NS) == "audiobook"
    person = channel.find("podcast:person", NS)
    assert person.text == "Ayşe Yılmaz"
    assert person.attrib == {"role": "host", "group": "cast", "href": "https://example.org/ayse"}


def test_unlocked_feed_says_no_and_unset_tags_are_absent() -> None:
    fg = generator()
    fg.podcast20.podcast_locked(False)
    channel = channel_of(fg)
    locked = channel.find("podcast:locked", NS)
    assert locked.text == "no" and "owner" not in locked.attrib
    assert [e.tag for e in channel if e.tag.startswith(f"{{{PODCAST_NS}}}")] == [locked.tag]


def test_item_tags() -> None:
    fg = generator()
    entry = fg.add_entry()
    entry.title("Bölüm 1")
    entry.podcast20.podcast_season(2)
    entry.podcast20.podcast_episode(1.5)
    entry.podcast20.podcast_chapters("https://podcast.example.org/chapters/b.json")
    entry.podcast20.podcast_transcript(
        "https://podcast.example.org/t/b.vtt", type="text/vtt", language="tr", rel="captions"
    )
    entry.podcast20.podcast_transcript("https://podcast.example.org/t/b.html", type="text/html")
    entry.podcast20.podcast_person("Perviz Altay", role="guest", img="https://e.org/p.jpg")
    item = channel_of(fg).find("item")
    assert item.findtext("podcast:season", namespaces=NS) == "2"
    assert item.findtext("podcast:episode", namespaces=NS) == "1.5"
    chapters = item.find("podcast:chapters", NS)
    assert chapters.attrib == {
        "url": "https://podcast.example.org/chapters/b.json",
        "type": "application/json+chapters",
    }
    transcripts = [t.attrib for t in item.findall("podcast:transcript", NS)]
    assert transcripts == [
        {"url": "https://podcast.example.org/t/b.vtt", "type": "text/vtt", "language": "tr",
         "rel": "captions"},
        {"url": "https://podcast.example.org/t/b.html", "type": "text/html"},
    ]  # fmt: skip
    person = item.find("podcast:person", NS)
    assert (person.text, person.get("role"), person.get("img")) == (
        "Perviz Altay",
        "guest",
        "https://e.org/p.jpg",
    )


def test_whole_episode_numbers_have_no_decimal_point() -> None:
    fg = generator()
    fg.add_entry().title("Bölüm 3")
    fg.entry()[0].podcast20.podcast_episode(3)
    assert channel_of(fg).findtext("item/podcast:episode", namespaces=NS) == "3"


def test_setters_return_the_current_value() -> None:
    extension = Podcasting20Extension()
    assert extension.podcast_guid() is None
    extension.podcast_medium("music")
    assert extension.podcast_medium() == "music"


def test_values_outside_the_spec_are_refused() -> None:
    with pytest.raises(ValueError, match="medium"):
        Podcasting20Extension().podcast_medium("radio")
    with pytest.raises(ValueError, match="transcript"):
        Podcasting20EntryExtension().podcast_transcript("https://e.org/t", type="audio/mpeg")


def test_new_channel_tags() -> None:
    fg = generator()
    p20 = fg.podcast20
    p20.podcast_txt("05124", purpose="applepodcastsverify")
    p20.podcast_license("my-license-v1", url="https://example.org/license.pdf")
    p20.podcast_location("Bakü", geo="geo:40.4093,49.8671", osm="R1913779")
    p20.podcast_image("https://e.org/i/social.jpg", purpose="social", width=1200, height=630)
    p20.podcast_trailer(
        "https://e.org/t.mp3",
        "Yakında",
        pubdate=dt.datetime(2026, 4, 1, 8, tzinfo=dt.UTC),
        length=12345,
        type="audio/mpeg",
    )
    p20.podcast_podroll("917393e3-1b1e-5cef-ace4-edaa54e1f810")
    p20.podcast_update_frequency("Tamamlandı", complete=True)
    p20.podcast_podping(True)
    channel = channel_of(fg)
    assert channel.find("podcast:txt", NS).attrib == {"purpose": "applepodcastsverify"}
    assert channel.find("podcast:license", NS).get("url") == "https://example.org/license.pdf"
    assert channel.find("podcast:location", NS).attrib == {
        "geo": "geo:40.4093,49.8671",
        "osm": "R1913779",
    }
    assert channel.find("podcast:image", NS).attrib == {
        "href": "https://e.org/i/social.jpg",
        "aspect-ratio": "40/21",
        "width": "1200",
        "height": "630",
        "purpose": "social",
    }
    trailer = channel.find("podcast:trailer", NS)
    assert (trailer.text, trailer.get("pubdate")) == ("Yakında", "Wed, 01 Apr 2026 08:00:00 +0000")
    assert "season" not in trailer.attrib
    remote = channel.find("podcast:podroll/podcast:remoteItem", NS)
    assert remote.attrib == {"feedGuid": "917393e3-1b1e-5cef-ace4-edaa54e1f810"}
    frequency = channel.find("podcast:updateFrequency", NS)
    assert (frequency.text, frequency.attrib) == ("Tamamlandı", {"complete": "true"})
    assert channel.find("podcast:podping", NS).attrib == {"usesPodping": "true"}


def test_new_item_tags() -> None:
    fg = generator()
    entry = fg.add_entry()
    entry.title("Bölüm 1")
    entry.podcast20.podcast_soundbite(73.0, 60.0, "Neden önemli")
    entry.podcast20.podcast_soundbite(1234.5678, 15.25)
    entry.podcast20.podcast_license("CC-BY-4.0")
    entry.podcast20.podcast_location("İzmir")
    item = channel_of(fg).find("item")
    bites = [(b.attrib, b.text) for b in item.findall("podcast:soundbite", NS)]
    assert bites == [
        ({"startTime": "73", "duration": "60"}, "Neden önemli"),
        ({"startTime": "1234.568", "duration": "15.25"}, None),
    ]
    license = item.find("podcast:license", NS)
    assert (license.text, license.attrib) == ("CC-BY-4.0", {})
    assert item.find("podcast:location", NS).attrib == {}
    # A channel's place and license stay on the channel.
    assert channel_of(fg).find("podcast:license", NS) is None


def test_a_trailer_needs_its_date() -> None:
    with pytest.raises(ValueError, match="pubdate"):
        Podcasting20Extension().podcast_trailer("https://e.org/t.mp3", "Yakında")
