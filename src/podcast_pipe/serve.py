"""Preview the ``file://`` target over HTTP, the way a podcast host serves it.

Apple's player rejects a server that answers a Range request with 200 (QUIRKS, Hosting), so
this server answers HEAD and single byte ranges (206, 416), with the headers publish stores
(publish/layout.py). A feed published with the local default base_url is served with that base
replaced by the address the app asked for, so any port (and a LAN address) works; ``/``
answers with a page listing the feed and episodes when the target has no index.html.
"""

from __future__ import annotations

import html
import io
import re
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from .config import Show
from .errors import ConfigError, PodcastError
from .publish import layout
from .storage import parse_target, target_dir

RANGE = re.compile(r"bytes=(\d*)-(\d*)")
CHUNK = 1 << 16
INDEX = "index.html"
REWRITTEN = (".xml", ".json", ".html")  # the feed, sidecars and site pages name base_url


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte of a single ``Range`` header; None without one; False if unsatisfiable.

    Several ranges in one header (rare in podcast apps) are answered with the whole file.
    """
    match = RANGE.fullmatch(header.strip()) if header else None
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        if int(last) == 0:
            return False
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return False
    return start, end


class PreviewHandler(SimpleHTTPRequestHandler):
    """Static files with Range, HEAD, and podcast content types; no directory listings.

    ``base_url``: the base the published feed names, replaced in the feed and sidecars by
    the address of this request (None: served as published).
    """

    server_version = "podcast-pipe"
    protocol_version = "HTTP/1.1"  # keep-alive: players fetch many ranges of one file

    def __init__(self, *args, base_url: str | None = None, **kwargs) -> None:
        self.base_url = base_url
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._send(body=True)

    def do_HEAD(self) -> None:
        self._send(body=False)

    def list_directory(self, path):  # a preview, not a file browser
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def _send(self, body: bool) -> None:
        found = self._find()
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        key, path, data = found
        size = len(data) if data is not None else path.stat().st_size
        wanted = parse_range(self.headers.get("Range"), size)
        if wanted is False:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        first, last = wanted or (0, size - 1)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if wanted else HTTPStatus.OK)
        headers = layout.headers(key)
        self.send_header("Content-Type", headers["content_type"])
        self.send_header("Cache-Control", headers["cache_control"])
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        if wanted:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(max(0, last - first + 1)))
        self.end_headers()
        if body:
            with io.BytesIO(data) if data is not None else path.open("rb") as source:
                source.seek(first)
                _copy(source, self.wfile, last - first + 1)

    def _find(self) -> tuple[str, Path, bytes | None] | None:
        """(key, file, bytes to send instead of the file's) for this request, or None."""
        root = Path(self.directory).resolve()
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            feed = root / layout.FEED_KEY
            if path.resolve() == root and not (root / INDEX).is_file() and feed.is_file():
                return INDEX, feed, home_page(self._rewritten(feed.read_bytes()))
            path = path / INDEX
        if not path.is_file() or path.name.startswith("."):
            return None
        key = path.relative_to(root).as_posix()
        if self.base_url and path.suffix in REWRITTEN:
            return key, path, self._rewritten(path.read_bytes())
        return key, path, None

    def _rewritten(self, data: bytes) -> bytes:
        """``data`` with the published base URL's address replaced by the one this request
        came to, whatever the scheme in front (``http://``, the site's ``podcast://`` links)."""
        if not self.base_url:
            return data
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        published = "://" + urlsplit(self.base_url).netloc + "/"
        return data.replace(published.encode(), f"://{host}/".encode())


def home_page(feed: bytes) -> bytes:
    """A plain page for ``/``: the show, how to subscribe, and each episode's audio."""
    channel = etree.fromstring(feed).find("channel")
    if channel is None:  # nothing published in it yet
        channel = etree.Element("channel")
    title = html.escape(channel.findtext("title") or "")
    items = []
    for item in channel.iter("item"):
        enclosure = item.find("enclosure")
        href = html.escape(enclosure.get("url", "") if enclosure is not None else "")
        name = html.escape(item.findtext("title") or "")
        date = html.escape(item.findtext("pubDate") or "")
        items.append(f'<li><a href="{href}">{name}</a> <small>{date}</small></li>')
    lines = [
        "<!doctype html>",
        f'<html lang="{html.escape(channel.findtext("language") or "en")}">',
        f'<meta charset="utf-8"><title>{title}</title>',
        f"<h1>{title}</h1>",
        f'<p>Subscribe in a podcast app: <a href="{layout.FEED_KEY}">{layout.FEED_KEY}</a></p>',
        "<ol>",
        *items,
        "</ol>",
        "</html>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _copy(source, sink, length: int) -> None:
    """Copy ``length`` bytes; a listener that hangs up mid-file is not an error."""
    try:
        while length > 0:
            chunk = source.read(min(CHUNK, length))
            if not chunk:
                return
            sink.write(chunk)
            length -= len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        return


def make_server(
    directory: Path, host: str = "127.0.0.1", port: int = 8000, *, base_url: str | None = None
) -> ThreadingHTTPServer:
    """A threaded server over ``directory`` (port 0 picks a free one); call serve_forever().

    ``base_url``: the local default base the feed was published with, rewritten per request.
    """
    handler = partial(PreviewHandler, directory=str(directory.resolve()), base_url=base_url)
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise PodcastError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="pick another port with --port",
        ) from None
    server.daemon_threads = True
    return server


def preview_dir(show: Show) -> Path:
    """The folder of the show's ``file://`` target, once something is published there."""
    if parse_target(show.publish.target).scheme != "file":
        raise ConfigError(
            f"serve previews a file:// target, not {show.publish.target}",
            path=show.config_path,
            field="publish.target",
            hint='publish to "file://public" for a local preview',
        )
    directory = target_dir(show.publish.target, show.root)
    if not (directory / layout.FEED_KEY).is_file():
        raise PodcastError(
            "nothing published here yet", path=directory, hint="run `podcast-pipe publish` first"
        )
    return directory
