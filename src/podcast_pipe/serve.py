"""Preview the ``file://`` target over HTTP, the way a podcast host serves it.

Apple's player rejects a server that answers a Range request with 200 (QUIRKS, Hosting), so
this server answers HEAD and single byte ranges (206, 416), with the headers publish stores
(publish/layout.py).
"""

from __future__ import annotations

import re
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .config import Show
from .errors import ConfigError, PodcastError
from .publish import layout
from .storage import parse_target, target_dir

RANGE = re.compile(r"bytes=(\d*)-(\d*)")
CHUNK = 1 << 16


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
    """Static files with Range, HEAD, and podcast content types; no directory listings."""

    server_version = "podcast-pipe"
    protocol_version = "HTTP/1.1"  # keep-alive: players fetch many ranges of one file

    def do_GET(self) -> None:
        self._send(body=True)

    def do_HEAD(self) -> None:
        self._send(body=False)

    def list_directory(self, path):  # a preview, not a file browser
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def _send(self, body: bool) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or path.name.startswith("."):
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        key = path.relative_to(Path(self.directory).resolve()).as_posix()
        size = path.stat().st_size
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
            with path.open("rb") as file:
                file.seek(first)
                _copy(file, self.wfile, last - first + 1)


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


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A threaded server over ``directory`` (port 0 picks a free one); call serve_forever()."""
    handler = partial(PreviewHandler, directory=str(directory.resolve()))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise PodcastError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="pick another port with --port (and set base_url to match)",
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
