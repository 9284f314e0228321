"""Paging and podcast:image go out with publish: archive pages and cover variants on the target,
only what changed, retired like everything else; `feed` writes the pages, `serve` serves them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from conftest import Record
from podcast_pipe.config import PublishSettings, SiteSettings
from podcast_pipe.events import Reporter
from podcast_pipe.files import sha256_bytes
from podcast_pipe.localfeed import write_feed
from podcast_pipe.manifest import read_local
from podcast_pipe.publish import layout, open_show_target, release
from podcast_pipe.serve import make_server
from podcast_pipe.show import FeedSettings, Show

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
FIRST = dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC)
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"


class Workspace:
    """A show on a file:// target whose episodes are "built" as small stand-in files."""

    def __init__(self, show: Show, make_episode: Callable) -> None:
        self.show = show
        self.make_episode = make_episode
        self.count = 0
        self.built: list = []
        self.events: list[tuple[str, str]] = []

    def add(self, n: int) -> None:
        """n more episodes, a week apart, each with its own MP3 stand-in and build record."""
        self.show.build_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(n):
            self.count += 1
            slug = f"bolum-{self.count:02}"
            mp3 = self.show.build_dir / f"{slug}.mp3"
            mp3.write_bytes(b"ID3" + slug.encode() * 50)
            data = mp3.read_bytes()
            episode = self.make_episode(slug, date=FIRST + dt.timedelta(weeks=self.count))
            record = Record(slug, mp3, len(data), sha256_bytes(data), 60.0, f"src-{slug}")
            self.built.append((episode, record))

    def publish(self, show: Show | None = None, **options):
        self.show = show or self.show
        self.events.clear()
        reporter = Reporter(on_event=lambda name, what: self.events.append((name, what)))
        target = open_show_target(self.show)
        return release(self.show, target, self.built, now=NOW, reporter=reporter, **options)

    @property
    def public(self) -> Path:
        return self.show.root / "public"

    def uploaded(self) -> set[str]:
        return {name for name, what in self.events if what == "uploaded"}


@pytest.fixture
def workspace(tmp_path: Path, make_show, make_episode, make_image) -> Workspace:
    show = make_show(
        image=make_image("feed/cover.jpg", 1400),
        feed=FeedSettings(page_size=10),
        site=SiteSettings(enabled=False),
        publish=PublishSettings(target="file://public", base_url="https://podcast.example.org/"),
    )
    return Workspace(show, make_episode)


def guids(document: bytes) -> list[str]:
    return [entry.id for entry in feedparser.parse(document).entries]


def links(document: bytes) -> dict[str, str]:
    channel = etree.fromstring(document).find("channel")
    return {
        link.get("rel"): link.get("href").rsplit("/", 1)[1]
        for link in channel.iter(f"{{{ATOM_NS}}}link")
        if link.get("rel") != "self"
    }


def test_25_episodes_page_size_10_publish_3_documents_linked_both_ways(workspace):
    workspace.add(25)
    plan = workspace.publish()
    public = workspace.public
    names = sorted(p.name for p in public.glob("feed*.xml"))
    assert names == ["feed-2.xml", "feed-3.xml", "feed.xml"]
    docs = {name: (public / name).read_bytes() for name in names}
    assert [len(guids(docs[n])) for n in names] == [10, 5, 10]
    assert len(set().union(*(guids(d) for d in docs.values()))) == 25
    assert links(docs["feed.xml"]) == {"prev-archive": "feed-3.xml", "next": "feed-3.xml"}
    assert links(docs["feed-3.xml"]) == {
        "current": "feed.xml",
        "prev-archive": "feed-2.xml",
        "next": "feed-2.xml",
    }
    assert links(docs["feed-2.xml"]) == {"current": "feed.xml"}
    # the archive pages went up before the feed, with the feed's hashes in the manifest
    order = [name for name, what in workspace.events if what == "uploaded"]
    assert order.index("feed-2.xml") < order.index("feed.xml")
    assert order.index("feed-3.xml") < order.index("feed.xml")
    assert plan.manifest.feed_objects == {
        n: sha256_bytes(d) for n, d in docs.items() if n != "feed.xml"
    }
    # feed/ keeps the same documents
    local = workspace.show.feed_dir
    assert {n: (local / n).read_bytes() for n in names} == docs


def test_a_new_episode_uploads_only_feed_xml_and_the_filling_page(workspace):
    workspace.add(25)
    workspace.publish()
    full = (workspace.public / "feed-2.xml").read_bytes()
    workspace.add(1)
    workspace.publish()
    pages = {
        key
        for key in workspace.uploaded()
        if layout.row_for(key) in (layout.FEED, layout.FEED_PAGE)
    }
    assert pages == {"feed.xml", "feed-3.xml"}
    assert (workspace.public / "feed-2.xml").read_bytes() == full
    assert len(guids((workspace.public / "feed-3.xml").read_bytes())) == 6
    # nothing changed: nothing written
    workspace.publish()
    assert workspace.uploaded() == set()


def test_paging_switched_off_retires_the_archive_pages(workspace):
    workspace.add(12)
    workspace.publish()
    assert (workspace.public / "feed-2.xml").is_file()
    one_document = dataclasses.replace(workspace.show, feed=FeedSettings(page_size=None))
    plan = workspace.publish(one_document)
    assert len(guids((workspace.public / "feed.xml").read_bytes())) == 12
    assert "feed-2.xml" in plan.manifest.retired  # kept for cached feeds, then deleted
    assert not (workspace.show.feed_dir / "feed-2.xml").exists()
    workspace.publish(prune_now=True)
    assert not (workspace.public / "feed-2.xml").exists()


def test_the_feed_command_writes_the_archive_pages_and_serve_serves_them(workspace):
    workspace.add(12)
    workspace.publish()
    local = workspace.show.feed_dir
    published = (local / "feed-2.xml").read_bytes()
    (local / "feed-2.xml").unlink()
    (local / "feed-9.xml").write_bytes(b"<rss/>")  # left from a longer feed
    write_feed(workspace.show, [episode for episode, _ in workspace.built], NOW)
    assert (local / "feed-2.xml").read_bytes() == published
    assert not (local / "feed-9.xml").exists()

    server = make_server(workspace.public, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed-2.xml"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.headers["Content-Type"] == "application/rss+xml"
            assert response.headers["Cache-Control"] == layout.SHORT
            assert response.read() == published
    finally:
        server.shutdown()
        server.server_close()


def podcast_images(document: bytes) -> dict[str, dict[str, str]]:
    channel = etree.fromstring(document).find("channel")
    return {i.get("purpose"): dict(i.attrib) for i in channel.iter(f"{{{PODCAST_NS}}}image")}


def test_podcast_images_are_uploaded_under_hashed_keys_named_by_the_feed(workspace, make_image):
    workspace.add(2)
    show = dataclasses.replace(workspace.show, images=("artwork", "banner"), feed=FeedSettings())
    plan = workspace.publish(show)
    named = podcast_images((workspace.public / "feed.xml").read_bytes())
    assert sorted(named) == ["artwork", "banner"]
    for purpose, attributes in named.items():
        key = attributes["href"].removeprefix(show.publish.base_url)
        assert layout.row_for(key) is layout.PODCAST_IMAGE
        data = (workspace.public / key).read_bytes()
        assert key.endswith(f"-{sha256_bytes(data)[:8]}.jpg")
        assert plan.manifest.feed_objects[key] == sha256_bytes(data)
        assert attributes["width"] == {"artwork": "1400", "banner": "2400"}[purpose]
    assert workspace.publish().up_to_date
    # a new cover: new variants go up, the old ones are retired with the grace period
    make_image("feed/cover.jpg", 1400, color="orange")
    plan = workspace.publish()
    renamed = podcast_images((workspace.public / "feed.xml").read_bytes())
    old_keys = {a["href"].removeprefix(show.publish.base_url) for a in named.values()}
    new_keys = {a["href"].removeprefix(show.publish.base_url) for a in renamed.values()}
    assert old_keys.isdisjoint(new_keys)
    assert new_keys <= workspace.uploaded()
    assert old_keys <= set(plan.manifest.retired)
    assert set(read_local(workspace.show.feed_dir / "manifest.json").feed_objects) == new_keys


def test_the_planner_takes_podcast_images_from_its_sources(workspace):
    from podcast_pipe.manifest import Manifest
    from podcast_pipe.podcast_images import GeneratedImage, PodcastImage
    from podcast_pipe.publish.plan import Sources, plan_release

    drawn: list[tuple[str, ...]] = []

    def podcast_images(cover: Path, purposes: tuple[str, ...]) -> list[GeneratedImage]:
        drawn.append(purposes)
        return [
            GeneratedImage(
                PodcastImage("images/cover-social-0123abcd.jpg", "social", 1200, 630), b"x"
            )
        ]

    sources = Sources(
        image=lambda p: (b"cover", "jpg"), file=lambda p: None, podcast_images=podcast_images
    )
    show = dataclasses.replace(workspace.show, images=("social",))
    plan = plan_release(show, [], Manifest(), NOW, sources)
    assert drawn == [("social",)]
    assert "images/cover-social-0123abcd.jpg" in {u.key for u in plan.uploads}
    assert b"https://podcast.example.org/images/cover-social-0123abcd.jpg" in plan.feed
    without = plan_release(workspace.show, [], Manifest(), NOW, sources)  # no [show] images
    assert drawn == [("social",)] and without.manifest.feed_objects == {}
