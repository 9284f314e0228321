"""Feed lint: each rule has a show that breaks it and one that passes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from podcast_pipe.check import check_workspace
from podcast_pipe.cli import cli
from podcast_pipe.config import Owner, PublishSettings, load_show
from podcast_pipe.errors import Problems
from podcast_pipe.feed import render_feed
from podcast_pipe.lint import lint_enclosure_hosts, lint_show
from podcast_pipe.manifest import LiveEpisode


@pytest.fixture
def cover(make_image: Callable) -> Path:
    """A cover Apple accepts, where make_show expects it."""
    return make_image("feed/cover.jpg", size=1400)


def found(problems: Problems) -> list[tuple[str, str | None, str]]:
    """(error|warning, field, message + hint) of every problem."""
    return [("error", p.field, f"{p.message} {p.hint}") for p in problems.errors] + [
        ("warning", p.field, f"{p.message} {p.hint}") for p in problems.warnings
    ]


def write_toml(root: Path, *lines: str) -> None:
    """A podcast.toml with the required keys and an owner, plus ``lines`` under [show]."""
    base = [
        "[show]", 'title = "Kardeş Şehirler"', 'description = "İzmir ve Bakü"',
        'author = "Ayşe Yılmaz"', 'language = "tr"',
        'owner = {name = "Ayşe Yılmaz", email = "ayse@example.org"}',
    ]  # fmt: skip
    (root / "podcast.toml").write_text("\n".join([*base, *lines]) + "\n", encoding="utf-8")


def kinds(problems: Problems) -> list[tuple[str, str | None]]:
    return [(kind, field) for kind, field, _ in found(problems)]


def test_a_good_show_has_no_problems(
    cover: Path, make_show: Callable, make_episode: Callable
) -> None:
    episodes = [make_episode("a", episode=1), make_episode("b", episode=2)]
    assert found(lint_show(make_show(), episodes)) == []


@pytest.mark.parametrize("owner", [None, Owner("Ayşe", "")])
def test_owner_email_is_required(cover: Path, make_show: Callable, owner: Owner | None) -> None:
    problems = lint_show(make_show(owner=owner), [])
    assert kinds(problems) == [("error", "show.owner")]
    assert str(problems.errors[0]).startswith(str(make_show().config_path))


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        (("Society and Culture", None), "did you mean `Society & Culture`?"),
        (("society & culture", None), "did you mean `Society & Culture`?"),
        (("Society & Culture", "Places and Travel"), "`Society & Culture > Places & Travel`?"),
        (("History", "Ancient"), "write just `History`"),
        (("Gardening", None), "Apple's category list"),
    ],
)
def test_unknown_category_gets_a_did_you_mean(
    cover: Path, make_show: Callable, category: tuple[str, str | None], expected: str
) -> None:
    [(kind, field, text)] = found(lint_show(make_show(categories=(category,)), []))
    assert (kind, field) == ("error", "show.categories")
    assert expected in text


@pytest.mark.parametrize(
    "category", [("Society & Culture", "Places & Travel"), ("History", None), ("TV & Film", None)]
)
def test_apple_categories_pass(cover: Path, make_show: Callable, category: tuple) -> None:
    assert found(lint_show(make_show(categories=(category,)), [])) == []


def test_a_show_needs_a_category(cover: Path, make_show: Callable) -> None:
    assert kinds(lint_show(make_show(categories=()), [])) == [("error", "show.categories")]


def test_description_limit_counts_bytes(cover: Path, make_show: Callable) -> None:
    # 2001 Turkish letters: under 4000 characters, over 4000 bytes.
    assert kinds(lint_show(make_show(description="ş" * 2001), [])) == [
        ("error", "show.description")
    ]
    assert found(lint_show(make_show(description="ş" * 2000), [])) == []


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://podcast.example.org/", True),
        ("https://podcast.example.org/", False),
        ("http://127.0.0.1:8000/", False),
        ("http://localhost:8000/", False),
    ],
)
def test_base_url_should_be_https_except_on_this_machine(
    cover: Path, make_show: Callable, base_url: str, warned: bool
) -> None:
    show = make_show(publish=PublishSettings(base_url=base_url))
    expected = [("warning", "publish.base_url")] if warned else []
    assert kinds(lint_show(show, [])) == expected


def test_explicit_must_be_stated_in_podcast_toml(tmp_path: Path, cover: Path) -> None:
    write_toml(tmp_path, 'categories = ["History"]')
    assert kinds(lint_show(load_show(tmp_path), [])) == [("warning", "show.explicit")]
    write_toml(tmp_path, 'categories = ["History"]', "explicit = false")
    assert found(lint_show(load_show(tmp_path), [])) == []


def test_cover_art_is_checked(make_image: Callable, make_show: Callable) -> None:
    make_image("feed/cover.jpg", size=(1400, 1000))
    [(kind, field, text)] = found(lint_show(make_show(), []))
    assert (kind, field) == ("error", "show cover") and "not square" in text


def test_episode_art_is_checked(
    cover: Path, make_image: Callable, make_show: Callable, make_episode: Callable
) -> None:
    small = make_image("episodes/a.jpg", size=600)
    good = make_image("episodes/b.jpg", size=1400)
    episodes = [make_episode("a", image=small), make_episode("b", image=good)]
    problems = lint_show(make_show(), episodes)
    assert kinds(problems) == [("error", "image")]
    # The message points at what to edit: the metadata file and its field, then the image.
    assert str(problems.errors[0]).startswith(f"{episodes[0].meta_path}: image: a.jpg is 600×600")


def test_long_show_notes_warn_that_the_description_is_cut(
    cover: Path, make_show: Callable, make_episode: Callable
) -> None:
    long = make_episode("long", notes="Kardeşlik şarkısı. " * 300)
    short = make_episode("short", notes="Kardeşlik şarkısı. " * 100)
    assert kinds(lint_show(make_show(), [long, short])) == [("warning", "notes")]


def test_serial_show_episodes_need_numbers(
    cover: Path, make_show: Callable, make_episode: Callable
) -> None:
    episodes = [make_episode("one"), make_episode("trailer", type="trailer")]
    assert kinds(lint_show(make_show(type="serial"), episodes)) == [("warning", "episode")]
    assert found(lint_show(make_show(type="episodic"), episodes)) == []


def test_missing_cover_is_an_error(make_show: Callable) -> None:
    assert kinds(lint_show(make_show(), [])) == [("error", "show.image")]


def test_check_runs_the_feed_lint(cover: Path, tmp_path: Path) -> None:
    write_toml(
        tmp_path, 'categories = ["Society & Culture > Places and Travel"]', "explicit = true"
    )
    (tmp_path / "episodes").mkdir()
    checked = check_workspace(tmp_path)
    assert kinds(checked.problems) == [("error", "show.categories")]


class MediaServer(ThreadingHTTPServer):
    ranges = True  # whether it answers a Range request with 206


class MediaHandler(BaseHTTPRequestHandler):
    """Serves one MP3 at /episodes/a.mp3; byte ranges only if the server says so."""

    body = b"ID3" + bytes(1000)

    def do_HEAD(self) -> None:
        self.reply(with_body=False)

    def do_GET(self) -> None:
        self.reply(with_body=True)

    server: MediaServer

    def reply(self, with_body: bool) -> None:
        if self.path != "/episodes/a.mp3":
            self.send_error(404)
            return
        wanted = self.headers.get("Range")
        body = self.body
        if wanted and self.server.ranges:
            body = body[:2]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes 0-1/{len(self.body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def media_host() -> Iterator[Callable[[bool], str]]:
    """Start a media server on 127.0.0.1: media_host(ranges) → its base URL."""
    servers: list[MediaServer] = []

    def start(ranges: bool) -> str:
        server = MediaServer(("127.0.0.1", 0), MediaHandler)
        server.ranges = ranges
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def published_feed(make_show: Callable, make_episode: Callable, base_url: str, key: str) -> Path:
    """feed/feed.xml of a one-episode show whose media is at base_url + key."""
    show = make_show(publish=PublishSettings(base_url=base_url))
    episode = make_episode("a")
    live = LiveEpisode("g", "a", key, 1003, "0" * 64, 1.0, "0" * 64, "2026-01-12T13:03:00Z")
    show.feed_dir.mkdir(parents=True, exist_ok=True)
    show.feed_path.write_bytes(render_feed(show, [(episode, live)]))
    return show.feed_path


@pytest.mark.parametrize(
    ("ranges", "key", "expected"),
    [
        (True, "episodes/a.mp3", None),
        (False, "episodes/a.mp3", "answered 200 to a range request, not 206"),
        (True, "episodes/gone.mp3", "answered 404 to HEAD, not 200"),
    ],
)
def test_enclosure_host_must_answer_range_requests(
    media_host: Callable, make_show: Callable, make_episode: Callable, ranges: bool, key: str,
    expected: str | None,
) -> None:  # fmt: skip
    feed = published_feed(make_show, make_episode, media_host(ranges), key)
    problems = lint_enclosure_hosts(feed, timeout_s=5)
    if expected is None:
        assert found(problems) == []
    else:
        [(kind, field, text)] = found(problems)
        assert (kind, field) == ("error", "enclosure") and expected in text


def test_unreachable_host_and_missing_feed(
    make_show: Callable, make_episode: Callable, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    feed = published_feed(make_show, make_episode, f"http://127.0.0.1:{port}/", "episodes/a.mp3")
    [(kind, _, text)] = found(lint_enclosure_hosts(feed, timeout_s=5))
    assert kind == "error" and "cannot be reached" in text
    assert kinds(lint_enclosure_hosts(tmp_path / "nope.xml")) == [("warning", None)]


def test_check_online_reports_the_media_host(
    cover: Path, media_host: Callable, make_show: Callable, make_episode: Callable, tmp_path: Path
) -> None:
    write_toml(tmp_path, 'categories = ["History"]', "explicit = false")
    (tmp_path / "episodes").mkdir()
    published_feed(make_show, make_episode, media_host(False), "episodes/a.mp3")
    offline = CliRunner().invoke(cli, ["-C", str(tmp_path), "check"])
    assert offline.exit_code == 0, offline.output
    online = CliRunner().invoke(cli, ["-C", str(tmp_path), "check", "--online"])
    assert online.exit_code == 1
    assert "answered 200 to a range request" in online.output
