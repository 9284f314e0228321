"""RFC 5005 paging: feed.xml with the newest episodes, stable archive pages linked both ways."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import feedparser
import podcastparser
import pytest

from podcast_pipe.errors import Problems
from podcast_pipe.feed import feed_pages, render_feed
from podcast_pipe.paging import feed_size_warnings
from podcast_pipe.show import FeedSettings
from test_feed import NS, live, xml

BASE = "https://podcast.example.org/"
FH = "{http://purl.org/syndication/history/1.0}archive"
START = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def paged(make_show: Callable, make_episode: Callable) -> Callable[[int], dict[str, bytes]]:
    """feed_pages for the first ``n`` weekly episodes of a show paged by 10."""
    show = make_show(feed=FeedSettings(page_size=10))

    def render(n: int) -> dict[str, bytes]:
        episodes = [
            make_episode(f"bolum-{k:02d}", episode=k, date=START + dt.timedelta(weeks=k))
            for k in range(1, n + 1)
        ]
        return feed_pages(show, [(e, live(e)) for e in episodes], cover_key="c.jpg")

    return render


def links(page: bytes) -> dict[str, str]:
    found = xml(page).iterfind("channel/atom:link", NS)
    return {link.get("rel"): link.get("href").removeprefix(BASE) for link in found}


def numbers(page: bytes) -> list[int]:
    return [int(n.text) for n in xml(page).iterfind("channel/item/itunes:episode", NS)]


def test_25_episodes_make_three_documents_linked_both_ways(paged: Callable) -> None:
    pages = paged(25)
    assert sorted(pages) == ["feed-2.xml", "feed-3.xml", "feed.xml"]
    head, oldest, newer = pages["feed.xml"], pages["feed-2.xml"], pages["feed-3.xml"]
    assert numbers(head) == list(range(25, 15, -1))  # the newest 10, newest first
    assert numbers(oldest) == list(range(10, 0, -1))  # a fixed slice of the oldest
    assert numbers(newer) == list(range(15, 10, -1))  # the archive page still filling
    assert links(head) == {"self": "feed.xml", "prev-archive": "feed-3.xml", "next": "feed-3.xml"}
    assert links(newer) == {"self": "feed-3.xml", "current": "feed.xml",
                            "prev-archive": "feed-2.xml", "next": "feed-2.xml"}  # fmt: skip
    assert links(oldest) == {"self": "feed-2.xml", "current": "feed.xml"}
    assert xml(head).find(f"channel/{FH}") is None
    assert xml(oldest).find(f"channel/{FH}") is not None
    assert xml(newer).find(f"channel/{FH}") is not None
    # Walking the links from feed.xml reaches every episode exactly once.
    seen, name = [], "feed.xml"
    while name:
        seen += numbers(pages[name])
        name = links(pages[name]).get("prev-archive")
    assert sorted(seen) == list(range(1, 26))
    for page in pages.values():
        assert not feedparser.parse(page).bozo
        parsed = podcastparser.parse(BASE + "feed.xml", io.BytesIO(page))
        assert len(parsed["episodes"]) == len(numbers(page))


def test_a_new_episode_changes_only_feed_xml_and_the_filling_archive(paged: Callable) -> None:
    before, after = paged(25), paged(26)
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed == {"feed.xml", "feed-3.xml"}
    assert numbers(after["feed-3.xml"]) == list(range(16, 10, -1))


def test_full_archive_pages_never_change_again(paged: Callable) -> None:
    full = paged(30)  # feed-3.xml has just filled
    assert numbers(full["feed-3.xml"]) == list(range(20, 10, -1))
    later = paged(31)  # the next episode opens feed-4.xml
    assert sorted(later) == ["feed-2.xml", "feed-3.xml", "feed-4.xml", "feed.xml"]
    assert later["feed-2.xml"] == full["feed-2.xml"]
    assert later["feed-3.xml"] == full["feed-3.xml"]
    assert links(later["feed.xml"])["prev-archive"] == "feed-4.xml"
    assert links(later["feed-4.xml"])["prev-archive"] == "feed-3.xml"


def test_small_or_unpaged_feeds_are_one_document(
    paged: Callable, make_show: Callable, make_episode: Callable
) -> None:
    pages = paged(10)
    assert list(pages) == ["feed.xml"]
    assert xml(pages["feed.xml"]).find("channel/atom:link[@rel='next']", NS) is None
    assert "fh" not in xml(pages["feed.xml"]).nsmap
    show = make_show()
    items = [(e, live(e)) for e in (make_episode("a"), make_episode("b"))]
    assert feed_pages(show, items) == {"feed.xml": render_feed(show, items)}


def test_trailers_stay_on_feed_xml(make_show: Callable, make_episode: Callable) -> None:
    show = make_show(feed=FeedSettings(page_size=2))
    trailer = make_episode("fragman", type="trailer", date=START)
    later = [make_episode(f"b{k}", date=START + dt.timedelta(days=k)) for k in (1, 2, 3)]
    pages = feed_pages(show, [(e, live(e)) for e in (trailer, *later)])
    trailers = {name: xml(page).find("channel/podcast:trailer", NS) for name, page in pages.items()}
    assert trailers["feed.xml"] is not None and trailers["feed-2.xml"] is None


def messages(problems: Problems) -> list[str]:
    assert not problems.errors
    return [str(w) for w in problems.warnings]


def test_check_warns_before_directories_truncate_the_feed(make_show: Callable) -> None:
    show = make_show()
    assert messages(feed_size_warnings(show, 500, 999_999)) == []
    [many] = messages(feed_size_warnings(show, 501, None))
    assert "feed.page_size: the feed lists 501 episodes" in many and "page_size = 100" in many
    [big] = messages(feed_size_warnings(show, 20, 1_200_000))
    assert "the feed is 1.2 MB" in big
    paged = make_show(feed=FeedSettings(page_size=100))
    assert messages(feed_size_warnings(paged, 900, 3_000_000)) == []
