"""The website in a real browser: headless Chromium (Debian's package) driven by Playwright.

Skipped with one line when no Chromium is installed, except under CI (the variable CI set),
where a missing browser is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import feedparser
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not os.environ.get("CI"):
    if not CHROMIUM:
        pytest.skip(
            "browser tests: no chromium on PATH (apt-get install chromium)", allow_module_level=True
        )
    pytest.importorskip("playwright.sync_api", reason="browser tests: pip install -e '.[dev]'")
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright  # noqa: E402

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "site-screenshots"
LOCAL = "http://127.0.0.1:"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM:
        pytest.fail("CI is set but chromium is not installed (.ci/run installs it as root)")
    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile; the browser is never downloaded.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A browser tab on the served site that records console errors and every request."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.requests and all(url.startswith(LOCAL) for url in self.requests), self.requests


@pytest.fixture
def visit(browser: Browser, sample_site) -> Iterator:
    contexts = []

    def open_page(key: str, width: int = 1280, height: int = 900, js: bool = True) -> Visit:
        context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=js
        )
        contexts.append(context)
        tab = Visit(context.new_page())

        def only_local(route: Route) -> None:
            tab.requests.append(route.request.url)
            if route.request.url.startswith((LOCAL, "data:")):
                route.continue_()
            else:
                route.abort()  # nothing may leave the machine; assert_clean reports it

        context.route("**/*", only_local)
        tab.page.on("console", lambda m: _console(tab, m))
        tab.page.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        tab.page.goto(sample_site.url + key, wait_until="load")
        return tab

    yield open_page
    for context in contexts:
        context.close()


def _console(tab: Visit, message: ConsoleMessage) -> None:
    if message.type == "error":
        tab.errors.append(message.text)


def wait_for_metadata(page: Page) -> float:
    page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=15000)
    return page.evaluate("document.querySelector('audio').duration")


def current_time(page: Page) -> float:
    return page.evaluate("document.querySelector('audio').currentTime")


def test_show_page_lists_exactly_the_published_episodes(visit, sample_site):
    tab = visit("")  # "/", as `serve` answers it
    titles = tab.page.locator("ol.episodes h3 a").all_inner_texts()
    newest_first = sorted(sample_site.items, key=lambda i: i[0].date, reverse=True)
    assert titles == [e.title for e, _ in newest_first]
    copy = tab.page.locator("[data-copy]")
    assert copy.is_visible() and copy.inner_text() == "Kopyala"  # revealed by the script
    tab.assert_clean()


def test_audio_loads_metadata_and_matches_the_feed(visit, sample_site):
    feed = feedparser.parse((sample_site.root / "feed.xml").read_bytes())
    durations = {e.title: float(e.itunes_duration) for e in feed.entries}
    for episode, _ in sample_site.items:
        tab = visit(f"episodes/{episode.slug}/index.html")
        assert abs(wait_for_metadata(tab.page) - durations[episode.title]) <= 1.0
        tab.assert_clean()


def test_chapter_click_and_keyboard_seek(visit, sample_site):
    tab = visit("episodes/01-izmir-ve-baku/index.html")
    wait_for_metadata(tab.page)
    chapter = tab.page.locator("ol.chapters a[data-start='13']")
    chapter.click()
    assert abs(current_time(tab.page) - 13) < 1
    tab.page.wait_for_function(
        "document.querySelector(\"ol.chapters a[data-start='13']\").hasAttribute('aria-current')"
    )
    # Keyboard: the chapters are links, reachable with Tab and followed with Enter.
    tab.page.locator("ol.chapters a[data-start='6']").focus()
    tab.page.keyboard.press("Enter")
    assert abs(current_time(tab.page) - 6) < 1
    tab.assert_clean()


def test_transcript_cues_are_visible_and_seek(visit, sample_site):
    tab = visit("episodes/01-izmir-ve-baku/index.html")
    wait_for_metadata(tab.page)
    cues = tab.page.locator("ol.cues li")
    assert cues.count() == 3
    assert all(cues.nth(n).is_visible() for n in range(3))
    assert "Bakıdan salamlar" in cues.nth(1).inner_text()
    cues.nth(1).locator("a").click()
    assert abs(current_time(tab.page) - 8.5) < 1
    tab.assert_clean()


def test_embed_page_fits_its_iframe(visit, sample_site):
    tab = visit("episodes/02-kardes-sehirler/embed.html", width=360, height=150)
    wait_for_metadata(tab.page)
    assert tab.page.evaluate("document.documentElement.scrollHeight") <= 150
    tab.assert_clean()


def test_readable_without_javascript(visit, sample_site):
    tab = visit("episodes/01-izmir-ve-baku/index.html", js=False)
    assert tab.page.locator("ol.chapters li").count() == 4
    href = tab.page.locator("ol.chapters a[data-start='6']").get_attribute("href")
    assert href.endswith(".mp3#t=6")  # without the script a chapter opens the MP3 at its time
    tab = visit("index.html", js=False)
    assert tab.page.locator("ol.episodes li").count() == len(sample_site.items)
    assert not tab.page.locator("[data-copy]").is_visible()


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots_and_no_sideways_scrolling(visit, sample_site, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, key in (("show", "index.html"), ("episode", "episodes/01-izmir-ve-baku/index.html")):
        tab = visit(key, width=width)
        tab.page.wait_for_load_state("networkidle")
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
        path = SCREENSHOTS / f"{name}-{width}.png"
        tab.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        tab.assert_clean()
