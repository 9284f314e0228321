"""The website goes out with every publish: beside the feed, before it, and only what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from conftest import _sample_workspace, fake_sample_build
from podcast_pipe.config import SiteSettings, load_show
from podcast_pipe.episodes import load_episodes
from podcast_pipe.events import Reporter
from podcast_pipe.files import sha256_bytes
from podcast_pipe.publish import layout, open_show_target, release
from podcast_pipe.show import Show

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
PAGES = (layout.SITE_PAGE, layout.EPISODE_PAGE, layout.EMBED_PAGE)


class Sample:
    """The sample show in a fresh workspace, "built", published with ``publish()``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.show = load_show(root)
        self.events: list[tuple[str, str]] = []

    def publish(self, show: Show | None = None, **options):
        self.events.clear()
        show = show or load_show(self.root)
        ready = load_episodes(show).ready(NOW)
        built = fake_sample_build(show, ready)
        reporter = Reporter(on_event=lambda name, what: self.events.append((name, what)))
        target = open_show_target(show)
        return release(show, target, built, now=NOW, reporter=reporter, **options)

    @property
    def public(self) -> Path:
        return self.root / "public"

    def uploaded(self) -> list[str]:
        return [name for name, what in self.events if what == "uploaded"]


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return Sample(_sample_workspace(tmp_path / "show"))


def is_page(key: str) -> bool:
    return layout.row_for(key) in PAGES


def test_publish_puts_the_site_beside_the_feed_before_the_feed(sample):
    plan = sample.publish()
    site = plan.manifest.site
    slugs = [live.slug for _, live in plan.items]
    assert {"index.html", "site.css", "site.js", "sitemap.xml"} <= set(site)
    for slug in slugs:
        assert {f"episodes/{slug}/index.html", f"episodes/{slug}/embed.html"} <= set(site)
    assert len(slugs) == 4 and not any("taslak" in key or "gelecek" in key for key in site)
    for key, digest in site.items():  # on the target, as recorded, each of a kind the layout names
        assert sha256_bytes((sample.public / key).read_bytes()) == digest
        assert layout.row_for(key) is not None, key
    live = json.loads((sample.public / "manifest.json").read_bytes())
    assert live["site"] == site
    uploaded = sample.uploaded()
    feed_at = uploaded.index(layout.FEED_KEY)
    assert set(site) <= set(uploaded[:feed_at])  # every page up and verified before the feed
    # every picture sent is one a page shows or shares, under a key with its hash
    pages = b"".join((sample.public / key).read_bytes() for key in site if is_page(key))
    pictures = [key for key in site if key.startswith("images/")]
    assert pictures and all(key.encode() in pages for key in pictures)
    for key in pictures:
        assert layout.row_for(key) is layout.SITE_PICTURE
        assert site[key].startswith(key.rsplit("-", 1)[1].removesuffix(".jpg"))
    with Image.open(sample.public / next(k for k in pictures if "/card-" in k)) as image:
        assert image.size == (1200, 630)


def test_a_second_publish_uploads_no_page_and_changes_nothing(sample):
    first = sample.publish()
    before = {p: p.stat().st_mtime_ns for p in sample.public.rglob("*") if p.is_file()}
    again = sample.publish()
    assert again.up_to_date and again.uploads == [] and again.deletes == []
    assert again.manifest == first.manifest
    assert sample.uploaded() == []
    after = {p: p.stat().st_mtime_ns for p in sample.public.rglob("*") if p.is_file()}
    assert after == before


def test_an_edited_title_sends_only_the_pages_that_show_it(sample):
    first = sample.publish()
    meta = sample.root / "episodes/01-izmir-ve-baku.md"
    text = meta.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    meta.write_text(text.replace(title, 'title: "İzmir ve Bakü: yeni başlık"'), encoding="utf-8")
    plan = sample.publish()
    sent = {u.key for u in plan.uploads}
    assert {"index.html", "episodes/01-izmir-ve-baku/index.html"} <= sent
    assert all(is_page(key) for key in sent), sent  # no CSS, JS, picture or MP3 again
    assert len(sent) < len([k for k in first.manifest.site if is_page(k)])
    assert "yeni başlık" in (sample.public / "index.html").read_text(encoding="utf-8")
    assert plan.feed_changed and plan.deletes == []


def test_a_removed_episode_takes_its_pages_and_a_new_cover_its_pictures(sample):
    first = sample.publish()
    for path in sample.root.glob("episodes/00-fragman.*"):
        path.unlink()
    cover = sample.root / "feed/cover.jpg"
    with Image.open(cover) as image:
        image.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(cover, quality=80)
    plan = sample.publish(allow_removal=True)
    gone = {"episodes/00-fragman/index.html", "episodes/00-fragman/embed.html"}
    old_pictures = {k for k in first.manifest.site if k.startswith("images/") and "show" in k}
    # Out of the site, but kept for the grace period like media (cached feeds and pages) …
    assert old_pictures and gone | old_pictures <= set(plan.manifest.retired)
    assert all((sample.public / key).is_file() for key in gone | old_pictures)
    pruned = sample.publish(prune_now=True)  # … until it is over
    assert gone | old_pictures <= set(pruned.deletes)
    for key in gone | old_pictures:
        assert not (sample.public / key).exists(), key
    new_pictures = {k for k in plan.manifest.site if k.startswith("images/") and "show" in k}
    assert new_pictures.isdisjoint(old_pictures)
    assert all((sample.public / key).is_file() for key in new_pictures)
    assert b"00-fragman" not in (sample.public / "index.html").read_bytes()


def test_without_the_site_no_page_and_switching_it_off_takes_it_down(sample):
    off = dataclasses.replace(sample.show, site=SiteSettings(enabled=False))
    shutil.rmtree(sample.public, ignore_errors=True)
    plan = sample.publish(off)
    assert plan.manifest.site == {}
    assert not (sample.public / "index.html").exists()
    assert not list(sample.public.glob("episodes/*/index.html"))
    assert (sample.public / layout.FEED_KEY).is_file()
    on = sample.publish()
    assert (sample.public / "index.html").is_file()
    down = sample.publish(off)
    assert set(down.manifest.retired) >= set(on.manifest.site)
    down = sample.publish(off, prune_now=True)
    assert set(down.deletes) == set(on.manifest.site)
    assert not (sample.public / "index.html").exists()
    assert not list(sample.public.rglob("*.html"))


def test_site_objects_on_s3_carry_their_type_and_cache_policy(sample, s3):
    show = load_show(sample.root)
    publish = dataclasses.replace(
        show.publish, target=f"s3://{s3.bucket}/show", base_url="https://cdn.example.org/show/"
    )
    plan = sample.publish(dataclasses.replace(show, publish=publish))
    objects = {k.removeprefix("show/"): o for k, o in s3.objects("show/").items()}
    html = "text/html; charset=utf-8"
    expected = {
        "index.html": (html, layout.SHORT),
        "episodes/01-izmir-ve-baku/index.html": (html, layout.SHORT),
        "episodes/01-izmir-ve-baku/embed.html": (html, layout.SHORT),
        "site.css": ("text/css; charset=utf-8", layout.SHORT),
        "site.js": ("text/javascript; charset=utf-8", layout.SHORT),
        "sitemap.xml": ("application/xml", layout.SHORT),
    }
    for key, (content_type, cache) in expected.items():
        assert (objects[key]["ContentType"], objects[key]["CacheControl"]) == (content_type, cache)
    pictures = [k for k in plan.manifest.site if k.startswith("images/")]
    assert pictures
    for key in pictures:
        assert objects[key]["ContentType"] == "image/jpeg"
        assert objects[key]["CacheControl"] == layout.IMMUTABLE
    body = s3.client.get_object(Bucket=s3.bucket, Key="show/index.html")["Body"].read()
    assert b'href="https://cdn.example.org/show/feed.xml"' in body
