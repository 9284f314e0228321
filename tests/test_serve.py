"""The preview server: HEAD, Range (206/416), content types, over a published folder."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from podcast_pipe.serve import make_server, parse_range


@pytest.fixture
def served(tmp_path, make_mp3):
    public = tmp_path / "public"
    (public / "episodes").mkdir(parents=True)
    mp3 = public / "episodes/izmir-1234abcd.mp3"
    mp3.write_bytes(make_mp3().read_bytes())
    (public / "feed.xml").write_bytes(b"<rss/>")
    (public / "chapters").mkdir()
    (public / "chapters/izmir.json").write_bytes(b'{"version": "1.2.0", "chapters": []}')
    (public / ".feed.xml.tmp").write_bytes(b"half")
    server = make_server(public, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1], mp3.read_bytes()
    server.shutdown()
    server.server_close()


def request(port: int, method: str, path: str, **headers: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_get_whole_file_with_type_and_length(served):
    port, data = served
    response, body = request(port, "GET", "/episodes/izmir-1234abcd.mp3")
    assert response.status == 200 and body == data
    assert response.getheader("Content-Type") == "audio/mpeg"
    assert response.getheader("Accept-Ranges") == "bytes"
    assert response.version == 11  # HTTP/1.1, so players can keep the connection
    assert "immutable" in response.getheader("Cache-Control")
    response, _ = request(port, "GET", "/feed.xml")
    assert response.getheader("Content-Type") == "application/rss+xml"
    assert "immutable" not in response.getheader("Cache-Control")
    response, _ = request(port, "GET", "/chapters/izmir.json")
    assert response.getheader("Content-Type") == "application/json+chapters"


def test_head_has_length_and_no_body(served):
    port, data = served
    response, body = request(port, "HEAD", "/episodes/izmir-1234abcd.mp3")
    assert response.status == 200 and body == b""
    assert int(response.getheader("Content-Length")) == len(data)


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-1", 0, 1),
        ("bytes=100-", 100, None),
        ("bytes=-10", -10, None),
        ("bytes=5-999999", 5, None),
    ],
)
def test_range_requests_get_206_and_the_right_bytes(served, header, first, last):
    port, data = served
    response, body = request(port, "GET", "/episodes/izmir-1234abcd.mp3", Range=header)
    expected = data[first : last + 1] if last is not None else data[first:]
    assert response.status == 206 and body == expected
    start = first if first >= 0 else len(data) + first
    end = start + len(expected) - 1
    assert response.getheader("Content-Range") == f"bytes {start}-{end}/{len(data)}"
    assert int(response.getheader("Content-Length")) == len(expected)


def test_unsatisfiable_range_is_416(served):
    port, data = served
    response, _ = request(port, "GET", "/episodes/izmir-1234abcd.mp3", Range=f"bytes={len(data)}-")
    assert response.status == 416
    assert response.getheader("Content-Range") == f"bytes */{len(data)}"


def test_no_listing_no_hidden_files_no_escape(served):
    port, _ = served
    assert request(port, "GET", "/episodes/")[0].status == 404
    assert request(port, "GET", "/.feed.xml.tmp")[0].status == 404
    assert request(port, "GET", "/../podcast.toml")[0].status == 404
    assert request(port, "GET", "/missing.mp3")[0].status == 404


def test_parse_range():
    assert parse_range(None, 10) is None
    assert parse_range("bytes=2-4", 10) == (2, 4)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=-0", 10) is False
    assert parse_range("bytes=10-", 10) is False
    assert parse_range("bytes=4-2", 10) is False
    assert parse_range("bytes=0-1,4-5", 10) is None  # several ranges: the whole file


def test_serve_command_explains_what_it_needs(tmp_path):
    from click.testing import CliRunner

    from podcast_pipe.cli import cli

    (tmp_path / "podcast.toml").write_text(
        '[show]\ntitle = "T"\ndescription = "D"\nauthor = "A"\nlanguage = "tr"\n'
    )
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "serve", "--port", "0"])
    assert result.exit_code == 1
    assert "nothing published here yet" in result.output and "podcast-pipe publish" in result.output
    with (tmp_path / "podcast.toml").open("a") as toml:
        toml.write('[publish]\ntarget = "s3://bucket/show"\nbase_url = "https://x.example/"\n')
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "serve"])
    assert result.exit_code == 1 and "file://" in result.output


def test_busy_port_is_a_user_error(served):
    from podcast_pipe.errors import PodcastError

    port, _ = served
    with pytest.raises(PodcastError, match=f"cannot listen on 127.0.0.1:{port}"):
        make_server(Path("."), port=port)


@pytest.fixture
def published(init_show) -> Path:
    """A show from `init` (the local default base_url) with two episodes published to public/."""
    from click.testing import CliRunner

    from podcast_pipe.cli import cli

    root = init_show("Bir", "İki")
    result = CliRunner().invoke(cli, ["-C", str(root), "publish"])
    assert result.exit_code == 0, result.output
    return root


def start_cli_server(root: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`podcast-pipe serve --port 0` as a real process; (process, the URL it prints)."""
    import podcast_pipe

    env = {**os.environ, "PYTHONPATH": str(Path(podcast_pipe.__file__).parents[1])}
    code = "from podcast_pipe.cli import main; main()"
    command = [sys.executable, "-u", "-c", code, "-C", str(root), "serve", "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    line = process.stdout.readline().decode()
    assert line.startswith("serving "), line + process.stderr.read().decode()
    return process, line.split()[1].removesuffix("feed.xml")


def test_serve_on_any_port_points_the_feed_at_itself(published: Path) -> None:
    """A podcast app subscribed to the served feed can fetch every enclosure, ranges included."""
    import feedparser

    process, base = start_cli_server(published)
    try:
        assert not base.endswith(":8000/")
        feed = feedparser.parse(base + "feed.xml")
        enclosures = [e.enclosures[0] for e in feed.entries]
        assert len(enclosures) == 2
        port = int(base.rstrip("/").rsplit(":", 1)[1])
        for enclosure in enclosures:
            assert enclosure.href.startswith(base), enclosure.href
            path = enclosure.href.removeprefix(base.rstrip("/"))
            head, body = request(port, "HEAD", path)
            assert head.status == 200 and body == b""
            assert int(head.getheader("Content-Length")) == int(enclosure.length)
            part, body = request(port, "GET", path, Range="bytes=0-9")
            assert part.status == 206 and len(body) == 10 and body.startswith(b"ID3")
        page, body = request(port, "GET", "/")  # the published website: its links follow too
        text = body.decode("utf-8")
        assert page.status == 200 and page.getheader("Content-Type").startswith("text/html")
        assert f'href="{base}feed.xml"' in text and "Bir" in text and "İki" in text
        assert "127.0.0.1:8000" not in text
        assert (published / "public" / "feed.xml").read_bytes().count(b"127.0.0.1:8000") > 0
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=30) == 130
    assert "Traceback" not in process.stderr.read().decode()


def test_home_page_of_an_empty_feed(served) -> None:
    port, _ = served
    response, body = request(port, "GET", "/")  # the fixture's feed is `<rss/>`
    assert response.status == 200 and b'href="feed.xml"' in body and b"<li>" not in body


def test_configured_base_url_is_served_as_published(tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    feed = b'<rss><channel><title>T</title><item><enclosure url="http://127.0.0.1:8000/a.mp3"/>'
    (public / "feed.xml").write_bytes(feed + b"</item></channel></rss>")
    (public / "index.html").write_bytes(b"<p>site</p>")
    for base_url, expected in ((None, b"127.0.0.1:8000/a.mp3"), ("http://127.0.0.1:8000/", None)):
        server = make_server(public, port=0, base_url=base_url)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        port = server.server_address[1]
        try:
            body = request(port, "GET", "/feed.xml")[1]
            assert (expected or f"127.0.0.1:{port}/a.mp3".encode()) in body
            assert request(port, "GET", "/")[1] == b"<p>site</p>"
        finally:
            server.shutdown()
            server.server_close()
