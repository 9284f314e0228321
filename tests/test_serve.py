"""The preview server: HEAD, Range (206/416), content types, over a published folder."""

from __future__ import annotations

import http.client
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
