"""Shared fixtures. Add yours; keep each one self-contained."""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import socket
import struct
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import imageio_ffmpeg
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from podcast_pipe.config import Owner, PublishSettings, Show
from podcast_pipe.episodes import Episode

# --- S3: a real moto server over HTTP, and a proxy in front of it that injects faults ---------

FAKE_KEY_ID = "AKIAFAKEKEYID0000000"
FAKE_SECRET = "fake-secret-Zq8mXv3Lr9Tw2Kp7Yb4N"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1, on a free port, for the whole session."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class S3Env:
    """A fresh bucket on the moto server; boto3 reaches it through AWS_ENDPOINT_URL."""

    endpoint: str
    bucket: str
    client: object

    def objects(self, prefix: str = "") -> dict[str, dict]:
        """Key → head_object() of every object in the bucket."""
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return {
            o["Key"]: self.client.head_object(Bucket=self.bucket, Key=o["Key"])
            for o in listing.get("Contents", [])
        }


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Env:
    """Fake credentials and a new bucket; no real AWS configuration is read."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookups
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    client = boto3.client("s3", endpoint_url=moto_url)
    bucket = f"show-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3Env(moto_url, bucket, client)


SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


def s3_error(code: str, message: str = "injected by the test proxy") -> bytes:
    """An S3 error reply body, as the service sends it."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    ).encode()


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection"}


@dataclass
class FaultProxy:
    """An HTTP proxy to the moto server that misbehaves on demand.

    ``slow_down``: answer the next N requests with 503 SlowDown (S3's throttling reply).
    ``resets``: for the next N requests with a body, read half of it and reset the connection.
    ``broken``: a predicate (method, path) → True makes the request fail every time, with
    ``broken_reply`` (status, XML body; 503 SlowDown unless set, see ``s3_error``).
    ``log``: (method, path) of every request that reached the proxy.
    """

    upstream: str
    url: str = ""
    slow_down: int = 0
    resets: int = 0
    broken: Callable[[str, str], bool] | None = None
    broken_reply: tuple[int, bytes] = (503, SLOW_DOWN)
    log: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, counter: str) -> bool:
        with self.lock:
            if getattr(self, counter) > 0:
                setattr(self, counter, getattr(self, counter) - 1)
                return True
            return False

    @property
    def mutating(self) -> list[tuple[str, str]]:
        """Requests that could change the bucket (everything but GET, HEAD and listing)."""
        return [(m, p) for m, p in self.log if m not in ("GET", "HEAD")]


def _proxy_handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    upstream = http.client.urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def finish(self) -> None:
            try:
                super().finish()
            except OSError:
                pass

        def _relay(self) -> None:
            proxy.log.append((self.command, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            if length and proxy.take("resets"):
                self.rfile.read(length // 2)
                # SO_LINGER 0: close with a TCP reset, as a dropped mobile link does.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else None
            if proxy.broken and proxy.broken(self.command, self.path):
                self._reply(*proxy.broken_reply)
                return
            if proxy.take("slow_down"):
                self._reply(503, SLOW_DOWN)
                return
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            # HEAD answers carry the object's length but no body.
            length_header = response.getheader("Content-Length")
            sent_length = length_header if self.command == "HEAD" else str(len(data))
            self.send_header("Content-Length", sent_length or "0")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body) if self.command != "HEAD" else 0))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

    return Handler


@pytest.fixture
def fault_proxy(s3: S3Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A FaultProxy in front of the moto server; boto3 now talks to the proxy."""
    proxy = FaultProxy(upstream=s3.endpoint)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(proxy))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    yield proxy
    server.shutdown()
    server.server_close()


# --- Audio --------------------------------------------------------------------------------------


@pytest.fixture
def make_mp3(tmp_path: Path) -> Callable[..., Path]:
    """Encode a short sine tone to MP3 with the bundled ffmpeg: make_mp3(name, seconds, hz)."""

    def make(name: str = "tone.mp3", seconds: float = 1.0, hz: int = 440) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
            "-i", f"sine=frequency={hz}:duration={seconds}", "-ac", "1", "-b:a", "64k", str(path),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        return path

    return make


# --- Artwork ------------------------------------------------------------------------------------


@pytest.fixture
def make_image(tmp_path: Path) -> Callable[..., Path]:
    """Write a solid-colour image with Pillow: make_image(name, size, mode, fmt, color).

    ``size`` is an int (square) or (width, height); ``fmt`` defaults to the extension's format.
    """

    def make(
        name: str = "cover.jpg",
        size: int | tuple[int, int] = 1400,
        mode: str = "RGB",
        fmt: str | None = None,
        color: object = "teal",
    ) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        dims = (size, size) if isinstance(size, int) else size
        Image.new(mode, dims, color).save(path, fmt)
        return path

    return make


# --- Workspaces: `init`'s template with its placeholders replaced -----------------------------


def fill_template(root: Path) -> None:
    """Replace what `init` and `new` left for the producer to write (check refuses it)."""
    from podcast_pipe.scaffold import TEMPLATE_NOTES, TEMPLATE_VALUES

    config = root / "podcast.toml"
    text = config.read_text(encoding="utf-8")
    for name, value in TEMPLATE_VALUES.items():
        own = "owner@example.net" if "email" in name else f"Our own {name.rpartition('.')[2]}"
        text = text.replace(f'"{value}"', f'"{own}"')
    config.write_text(text, encoding="utf-8")
    for meta in [*root.glob("episodes/*.md"), *root.glob("episodes/*/episode.md")]:
        notes = meta.read_text(encoding="utf-8").replace(TEMPLATE_NOTES, "Our guests and links.")
        meta.write_text(notes, encoding="utf-8")


@pytest.fixture
def init_show(
    tmp_path: Path, make_image: Callable[..., Path], make_audio: Callable[..., Path]
) -> Callable[..., Path]:
    """init_show(*titles, seconds=1.5) → tmp_path/show made by `init`, with a cover and one
    episode per title made by `new` from generated audio (dated 2026-01-01, -02, …) and the
    template filled in: a show `check` passes."""
    from click.testing import CliRunner

    from podcast_pipe.cli import cli

    def make(*titles: str, seconds: float = 1.5) -> Path:
        root = tmp_path / "show"
        assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
        make_image("show/feed/cover.jpg")
        for n, title in enumerate(titles, 1):
            audio = make_audio(f"raw/{n}.wav", f"sine=f={300 + 100 * n}", seconds)
            args = [
                "-C",
                str(root),
                "new",
                title,
                "--audio",
                str(audio),
                "--date",
                f"2026-01-{n:02d}",
            ]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
        fill_template(root)
        return root

    return make


# --- Model: Show and Episode objects built directly, without files ------------------------------


@pytest.fixture
def make_show(tmp_path: Path) -> Callable[..., Show]:
    """A valid Turkish show rooted in tmp_path; keyword arguments replace its fields."""

    def make(**fields: Any) -> Show:
        base: dict[str, Any] = dict(
            root=tmp_path,
            title="İzmir–Bakü: Kardeş Şehirler",
            description="İzmir ile Bakü'nün 40 yıllık kardeşliği üzerine bir dizi.",
            author="İzmir Büyükşehir Belediyesi",
            language="tr",
            image=tmp_path / "feed" / "cover.jpg",
            categories=(("Society & Culture", "Places & Travel"),),
            explicit_set=True,
            owner=Owner("Ayşe Yılmaz", "ayse@example.org"),
            publish=PublishSettings(base_url="https://podcast.example.org/"),
        )
        return Show(**{**base, **fields})

    return make


@pytest.fixture
def make_episode(tmp_path: Path) -> Callable[..., Episode]:
    """An Episode named by its slug (paths under tmp_path/episodes, not created)."""

    def make(slug: str = "bolum-1", **fields: Any) -> Episode:
        base: dict[str, Any] = dict(
            slug=slug,
            meta_path=tmp_path / "episodes" / f"{slug}.md",
            audio_path=tmp_path / "episodes" / f"{slug}.wav",
            title=f"Bölüm: {slug}",
            date=dt.datetime(2026, 1, 12, 16, 3, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        )
        return Episode(**{**base, **fields})

    return make


@pytest.fixture
def make_audio(tmp_path: Path) -> Callable[..., Path]:
    """Render an ffmpeg lavfi source to a file: make_audio(name, source, seconds, *options).

    ``source`` is a lavfi graph (default: a 997 Hz sine at -18 dBFS; ``aevalsrc`` sets exact
    levels and channels); ``options`` are extra output options; the extension picks the format.
    """

    def make(name: str = "tone.wav", source: str = "sine=f=997", seconds: float = 3.0,
             *options: str) -> Path:  # fmt: skip
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", source,
            "-t", str(seconds), *options, str(path),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        return path

    return make


# --- Website: the sample show rendered, with real MP3s, served over HTTP -------------------------

REPO = Path(__file__).resolve().parent.parent
SAMPLE_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Ayşe>Merhaba, İzmir'den selamlar!

00:00:08.500 --> 00:00:12.000
<v Perviz>Salam, Bakıdan salamlar: ğ ı ş ə İ.

00:00:20.000 --> 00:00:24.000
Ege ile Hazar &amp; iki kıyı.
"""

SAMPLE_SITE_SETTINGS = """
[site]
links = {apple = "https://podcasts.apple.com/tr/podcast/id1234567890", spotify = "https://open.spotify.com/show/4rOoJ6Egrf8K2IrywzwOMk"}
"""


@dataclass
class SampleSite:
    """The sample show's site as published: a served folder with pages, MP3s and feed."""

    url: str  # base URL of the server, ends with "/"
    root: Path  # the served folder
    show: Show
    items: list  # [(Episode, LiveEpisode)] as handed to render_site and render_feed
    hidden: list  # episodes in episodes/ that must not appear (draft, scheduled)
    objects: dict[str, bytes]  # the website's objects, as published
    plan: Any  # the publish that produced it (publish.Plan)


def _sample_workspace(folder: Path) -> Path:
    """A copy of the repo's sample show plus a draft, a scheduled episode and a transcript."""
    import shutil

    (folder / "feed").mkdir(parents=True)
    config = (REPO / "podcast.toml").read_text(encoding="utf-8").split("\n[site]")[0]
    config += SAMPLE_SITE_SETTINGS
    (folder / "podcast.toml").write_text(config, encoding="utf-8")
    shutil.copy(REPO / "feed" / "cover.jpg", folder / "feed")
    shutil.copytree(REPO / "episodes", folder / "episodes")
    (folder / "episodes" / "01-izmir-ve-baku.vtt").write_text(SAMPLE_VTT, encoding="utf-8")
    for stem, extra in (("taslak-bolum", "draft: true"), ("gelecek-bolum", "")):
        (folder / "episodes" / f"{stem}.md").write_text(
            f'---\ntitle: "Gizli {stem}"\ndate: 2099-01-01T10:00:00+03:00\n{extra}\n---\nGizli.\n',
            encoding="utf-8",
        )
        shutil.copy(REPO / "episodes" / "00-fragman.flac", folder / "episodes" / f"{stem}.flac")
    return folder


def fake_sample_build(show: Show, episodes: list[Episode]) -> list[tuple[Episode, Record]]:
    """Each episode "built": a short sine MP3 in build/ and the record a build would write."""
    from mutagen.mp3 import MP3

    from podcast_pipe.files import sha256_file

    show.build_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for n, episode in enumerate(episodes):
        mp3 = show.build_dir / f"{episode.slug}.mp3"
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
            "-i", f"sine=frequency={330 + 110 * n}:duration={40 + n}", "-ac", "1", "-b:a", "64k",
            str(mp3),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        record = Record(
            episode.slug,
            mp3,
            mp3.stat().st_size,
            sha256_file(mp3),
            MP3(mp3).info.length,
            sha256_file(episode.audio_path),
        )
        built.append((episode, record))
    return built


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleSite]:
    """The sample show published to its file:// target, served by `serve` on 127.0.0.1."""
    from podcast_pipe.config import load_show
    from podcast_pipe.episodes import load_episodes
    from podcast_pipe.publish import open_show_target, release
    from podcast_pipe.serve import make_server, preview_dir

    base = tmp_path_factory.mktemp("site")
    workspace = load_show(_sample_workspace(base / "show"))
    public = workspace.root / "public"  # the sample's target, file://public
    server = make_server(public, port=0)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    show = replace(workspace, publish=replace(workspace.publish, base_url=url))
    catalog = load_episodes(show)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    built = fake_sample_build(show, catalog.ready(now))
    plan = release(show, open_show_target(show), built, now=now)
    assert preview_dir(show) == public.resolve()
    objects = {key: (public / key).read_bytes() for key in plan.manifest.site}
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    hidden = [e for e in catalog.episodes if e.state(now) != "ready"]
    yield SampleSite(url, public, show, plan.items, hidden, objects, plan)
    server.shutdown()
    server.server_close()


# Speech-like: band-limited pink noise in ~2.7 syllables a second, a 1.5 s pause every 7 s,
# over a room tone 40 dB down (as benchmarks/bench_build.py makes it).
SPEECH = (
    "anoisesrc=c=pink:r=44100:a=0.25:seed=1,lowpass=f=7000,"
    "volume='0.01+pow(abs(sin(2*PI*2.7*t)),3)*lt(mod(t,7),5.5)':eval=frame"
)


@pytest.fixture
def make_speech(make_audio: Callable[..., Path]) -> Callable[..., Path]:
    """Render speech-like audio: make_speech(name, seconds, *options) (mono unless -ac 2)."""

    def make(name: str = "speech.wav", seconds: float = 10.0, *options: str) -> Path:
        return make_audio(name, SPEECH, seconds, *options)

    return make


# --- Build records without a build: the fields publish reads -----------------------------------


@dataclass(frozen=True)
class Record:
    """What build.read_record returns, for the fields publish reads."""

    slug: str
    mp3: Path
    bytes: int
    sha256: str
    duration_s: float
    source_sha256: str
    intro_s: float = 0.0
    renditions: tuple = ()  # the MP3 alone
