"""podcast.toml → Show: the channel metadata, audio targets and publish target."""

from __future__ import annotations

import difflib
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, Problems

CONFIG_NAME = "podcast.toml"
# Podcasting 2.0 namespace for podcast:guid (uuid5 of the feed URL without scheme).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


@dataclass(frozen=True)
class Owner:
    name: str
    email: str


@dataclass(frozen=True)
class Funding:
    url: str
    title: str


@dataclass(frozen=True)
class AudioSettings:
    """Mastering targets from ``[audio]``."""

    loudness: float = -16.0  # integrated LUFS, stereo output
    loudness_mono: float = -19.0  # integrated LUFS, mono output (AES TD1004: sounds as loud)
    true_peak: float = -1.0  # dBTP ceiling of the published file
    channels: str = "auto"  # auto | 1 | 2
    bitrate: int | None = None  # kbps; None: 128 stereo / 64 mono
    sample_rate: int = 44100
    intro: Path | None = None  # absolute
    outro: Path | None = None
    crossfade_ms: int = 500
    trim_silence: bool = False
    silence_threshold_db: float = -50.0
    silence_padding_ms: int = 250
    ffmpeg: str | None = None  # override of the bundled binary
    id3_version: int = 3  # 3 or 4
    max_limiter_makeup: float = 1.5  # dB of gain the limiter may take back (it removes loudness)
    process: tuple[str, ...] = ()  # speech chain, in PROCESS_STEPS order

    def bitrate_for(self, channels: int) -> int:
        """The MP3 bitrate in kbps for the given output channel count."""
        if self.bitrate:
            return self.bitrate
        return 64 if channels == 1 else 128


@dataclass(frozen=True)
class PublishSettings:
    """Where and how the show is published, from ``[publish]``. Never holds secrets."""

    target: str = "file://public"
    base_url: str = ""  # public URL the target is served from, ends with "/"
    endpoint_url: str | None = None
    region: str | None = None
    addressing: str = "auto"  # auto | path | virtual
    acl: str | None = None  # e.g. "public-read"; many providers refuse ACLs
    checksums: str = "when_required"  # when_required | when_supported
    max_attempts: int = 8
    retry_mode: str = "standard"  # botocore: standard | adaptive (also throttles the client)
    concurrency: int = 4

    @property
    def feed_url(self) -> str:
        return self.base_url + "feed.xml"


@dataclass(frozen=True)
class Show:
    """The show: everything in podcast.toml, with paths resolved against the workspace."""

    root: Path
    title: str
    description: str
    author: str
    language: str
    image: Path  # the show cover, absolute
    categories: tuple[tuple[str, str | None], ...] = ()
    explicit: bool = False
    explicit_set: bool = False  # podcast.toml states `explicit` (lint warns when it does not)
    owner: Owner | None = None
    website: str | None = None
    copyright: str | None = None
    type: str = "episodic"  # episodic | serial
    guid: str | None = None
    locked: bool = False
    funding: tuple[Funding, ...] = ()
    medium: str = "podcast"
    timezone: str = "UTC"
    audio: AudioSettings = field(default_factory=AudioSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def feed_dir(self) -> Path:
        return self.root / "feed"

    @property
    def feed_path(self) -> Path:
        return self.feed_dir / "feed.xml"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def podcast_guid(self) -> str:
        """``podcast:guid``: as configured, else uuid5 of the feed URL without scheme."""
        if self.guid:
            return self.guid
        url = self.publish.feed_url.split("://", 1)[-1].rstrip("/")
        return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, url))


SHOW_KEYS = {
    "title", "description", "author", "language", "image", "categories", "explicit", "owner",
    "website", "copyright", "type", "guid", "locked", "funding", "medium", "timezone",
}  # fmt: skip
AUDIO_KEYS = {
    "loudness", "true_peak", "channels", "bitrate", "sample_rate", "intro", "outro",
    "crossfade_ms", "trim_silence", "silence_threshold_db", "silence_padding_ms", "ffmpeg",
    "id3_version", "loudness_mono", "max_limiter_makeup", "process",
}  # fmt: skip
PROCESS_STEPS = ("highpass", "dehum", "denoise", "leveler")  # the order they run in
PUBLISH_KEYS = {
    "target", "base_url", "endpoint_url", "region", "addressing", "acl", "checksums",
    "max_attempts", "retry_mode", "concurrency",
}  # fmt: skip
MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog"}


def did_you_mean(word: str, choices: set[str] | list[str]) -> str:
    """A hint naming the closest known word, or listing the valid ones."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return "valid keys: " + ", ".join(sorted(choices))


def find_root(start: Path) -> Path:
    """The workspace holding podcast.toml: ``start`` or its nearest parent."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} here or in any parent folder",
        path=start,
        hint="run `podcast-pipe init` to create a show, or pass `-C DIR`",
    )


def load_show(root: Path) -> Show:
    """Read and validate podcast.toml; raise the first problem (``check`` shows all)."""
    show, problems = inspect_show(root)
    problems.raise_first()
    assert show is not None
    return show


def inspect_show(root: Path) -> tuple[Show | None, Problems]:
    """Read podcast.toml, collecting every problem instead of stopping at the first."""
    problems = Problems()
    root = root.resolve()
    path = root / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.error(ConfigError("file not found", path=path, hint="run `podcast-pipe init`"))
        return None, problems
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.error(
            ConfigError(f"not valid TOML: {exc}", path=path, hint="fix the syntax at that line")
        )
        return None, problems
    reader = _Reader(path, problems)
    for section in data:
        if section not in {"show", "audio", "publish"}:
            reader.bad(
                section, "unknown section", did_you_mean(section, ["show", "audio", "publish"])
            )
    show = _read_show(root, reader, _table(data, "show", reader))
    audio = _read_audio(root, reader, _table(data, "audio", reader))
    publish = _read_publish(reader, _table(data, "publish", reader))
    if problems.errors or show is None:
        return None, problems
    return Show(**show, audio=audio, publish=publish), problems


def _table(data: dict[str, Any], name: str, reader: _Reader) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        reader.bad(name, "must be a table", f"write it as a [{name}] section")
        return {}
    return value


class _Reader:
    """Typed access to a TOML table that records problems under ``section.key``."""

    def __init__(self, path: Path, problems: Problems) -> None:
        self.path = path
        self.problems = problems

    def bad(self, key: str, message: str, hint: str) -> None:
        self.problems.error(ConfigError(message, path=self.path, field=key, hint=hint))

    def unknown(self, section: str, table: dict[str, Any], known: set[str]) -> None:
        for key in table:
            if key not in known:
                self.bad(f"{section}.{key}", "unknown key", did_you_mean(key, known))

    def get(self, section: str, table: dict, key: str, kind: type | tuple, default: Any = None):
        value = table.get(key, default)
        if (
            value is None
            or isinstance(value, kind)
            and not (isinstance(value, bool) and kind in (int, float, (int, float)))
        ):
            return value
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        self.bad(f"{section}.{key}", f"must be a {names}, not {value!r}", f"write a {names}")
        return default

    def choice(
        self, section: str, table: dict, key: str, choices: tuple[str, ...], note: str = ""
    ) -> str:
        """One of ``choices`` (the first is the default); a problem and the default otherwise."""
        value = self.get(section, table, key, str, choices[0])
        if value not in choices:
            valid = ", ".join(f'"{c}"' for c in choices)
            hint = f"use one of {valid}" + (f" ({note})" if note else "")
            self.bad(f"{section}.{key}", f"unknown value {value!r}", hint)
            return choices[0]
        return value

    def required(self, section: str, table: dict, key: str) -> str:
        value = self.get(section, table, key, str)
        if not value or not str(value).strip():
            self.bad(f"{section}.{key}", "is required", f'add `{key} = "…"` under [{section}]')
            return ""
        return value.strip()


def _read_show(root: Path, r: _Reader, t: dict[str, Any]) -> dict[str, Any] | None:
    r.unknown("show", t, SHOW_KEYS)
    image = r.get("show", t, "image", str, "feed/cover.jpg")
    owner = _read_owner(r, t.get("owner"))
    show_type = r.choice("show", t, "type", ("episodic", "serial"))
    medium = r.get("show", t, "medium", str, "podcast")
    if medium not in MEDIUMS:
        r.bad("show.medium", f"unknown medium {medium!r}", did_you_mean(medium, MEDIUMS))
    timezone = r.get("show", t, "timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.bad(
            "show.timezone",
            f"unknown time zone {timezone!r}",
            'use an IANA name like "Europe/Istanbul"',
        )
        timezone = "UTC"
    return dict(
        root=root,
        title=r.required("show", t, "title"),
        description=r.required("show", t, "description"),
        author=r.required("show", t, "author"),
        language=r.required("show", t, "language"),
        image=(root / image).resolve() if image else root / "feed/cover.jpg",
        categories=_read_categories(r, t.get("categories", [])),
        explicit=bool(r.get("show", t, "explicit", bool, False)),
        explicit_set="explicit" in t,
        owner=owner,
        website=r.get("show", t, "website", str),
        copyright=r.get("show", t, "copyright", str),
        type=show_type,
        guid=r.get("show", t, "guid", str),
        locked=bool(r.get("show", t, "locked", bool, False)),
        funding=_read_funding(r, t.get("funding", [])),
        medium=medium,
        timezone=timezone,
    )


def _read_owner(r: _Reader, value: Any) -> Owner | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("email"):
        r.bad("show.owner", "needs a name and an email", 'write owner = {name = "…", email = "…"}')
        return None
    return Owner(name=str(value.get("name", "")), email=str(value["email"]))


def _read_categories(r: _Reader, value: Any) -> tuple[tuple[str, str | None], ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.bad(
            "show.categories",
            "must be a list of strings",
            'e.g. ["Society & Culture > Places & Travel"]',
        )
        return ()
    result = []
    for item in value:
        main, _, sub = (part.strip() for part in item.partition(">"))
        result.append((main, sub or None))
    return tuple(result)


def _read_funding(r: _Reader, value: Any) -> tuple[Funding, ...]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) and "url" in v for v in value):
        r.bad(
            "show.funding",
            "must be a table or list of tables with a url",
            'funding = {url = "https://…", title = "Support us"}',
        )
        return ()
    return tuple(Funding(url=str(v["url"]), title=str(v.get("title", ""))) for v in value)


def _read_audio(root: Path, r: _Reader, t: dict[str, Any]) -> AudioSettings:
    r.unknown("audio", t, AUDIO_KEYS)
    d = AudioSettings()
    num = (int, float)
    channels = str(t.get("channels", d.channels))
    if channels not in ("auto", "1", "2"):
        r.bad("audio.channels", f"unknown value {channels!r}", 'use "auto", 1 or 2')
        channels = d.channels
    id3 = r.get("audio", t, "id3_version", int, d.id3_version)
    if id3 not in (3, 4):
        r.bad("audio.id3_version", f"must be 3 or 4, not {id3}", "use 3 (most compatible) or 4")
        id3 = d.id3_version
    settings = AudioSettings(
        loudness=float(r.get("audio", t, "loudness", num, d.loudness)),
        true_peak=float(r.get("audio", t, "true_peak", num, d.true_peak)),
        channels=channels,
        bitrate=r.get("audio", t, "bitrate", int, d.bitrate),
        sample_rate=r.get("audio", t, "sample_rate", int, d.sample_rate),
        intro=_audio_path(root, r, "intro", t.get("intro")),
        outro=_audio_path(root, r, "outro", t.get("outro")),
        crossfade_ms=r.get("audio", t, "crossfade_ms", int, d.crossfade_ms),
        trim_silence=bool(r.get("audio", t, "trim_silence", bool, d.trim_silence)),
        silence_threshold_db=float(
            r.get("audio", t, "silence_threshold_db", num, d.silence_threshold_db)
        ),
        silence_padding_ms=r.get("audio", t, "silence_padding_ms", int, d.silence_padding_ms),
        ffmpeg=r.get("audio", t, "ffmpeg", str, d.ffmpeg),
        id3_version=id3,
        loudness_mono=float(r.get("audio", t, "loudness_mono", num, d.loudness_mono)),
        max_limiter_makeup=float(
            r.get("audio", t, "max_limiter_makeup", num, d.max_limiter_makeup)
        ),
        process=_process_steps(r, t.get("process", [])),
    )
    if not 0 <= settings.max_limiter_makeup <= 6:
        r.bad(
            "audio.max_limiter_makeup",
            f"{settings.max_limiter_makeup} dB is out of range",
            "use 1.5 (the limiter catches peaks only) up to 6 (louder, squashed)",
        )
    if not -40 <= settings.loudness_mono <= -5:
        r.bad(
            "audio.loudness_mono",
            f"{settings.loudness_mono} LUFS is out of range",
            "use -19 (as loud as -16 stereo) or -16",
        )
    if not -40 <= settings.loudness <= -5:
        r.bad(
            "audio.loudness",
            f"{settings.loudness} LUFS is out of range",
            "use -16 (stereo) or -19 (mono)",
        )
    if not -9 <= settings.true_peak <= 0:
        r.bad(
            "audio.true_peak",
            f"{settings.true_peak} dBTP is out of range",
            "use -1 (Apple's ceiling) or lower",
        )
    if settings.sample_rate not in (22050, 24000, 32000, 44100, 48000):
        r.bad(
            "audio.sample_rate",
            f"{settings.sample_rate} Hz is not an MP3 rate podcast apps take",
            "use 44100 or 48000",
        )
    return settings


def _process_steps(r: _Reader, value: Any) -> tuple[str, ...]:
    """``[audio] process``: known steps, each once; they run in PROCESS_STEPS order."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.bad("audio.process", f"must be a list of step names, not {value!r}", 'e.g. ["leveler"]')
        return ()
    for step in value:
        if step not in PROCESS_STEPS:
            r.bad("audio.process", f"unknown step {step!r}", did_you_mean(step, PROCESS_STEPS))
    return tuple(step for step in PROCESS_STEPS if step in value)


def _audio_path(root: Path, r: _Reader, key: str, value: Any) -> Path | None:
    if value in (None, "", False):
        return None
    if not isinstance(value, str):
        r.bad(f"audio.{key}", "must be a path to an audio file", f'e.g. {key} = "assets/{key}.wav"')
        return None
    path = (root / value).resolve()
    if not path.is_file():
        r.bad(f"audio.{key}", f"file not found: {value}", "fix the path (relative to podcast.toml)")
    return path


def _read_publish(r: _Reader, t: dict[str, Any]) -> PublishSettings:
    r.unknown("publish", t, PUBLISH_KEYS)
    d = PublishSettings()
    target = r.get("publish", t, "target", str, d.target)
    if not target.startswith(("file://", "s3://")):
        r.bad(
            "publish.target",
            f"unsupported target {target!r}",
            'use "file://public" or "s3://bucket/prefix"',
        )
    base_url = r.get("publish", t, "base_url", str, "") or ""
    if base_url and not base_url.startswith(("http://", "https://")):
        r.bad(
            "publish.base_url",
            f"not an http(s) URL: {base_url!r}",
            'e.g. "https://podcast.example.org/"',
        )
    if not base_url:
        base_url = "http://127.0.0.1:8000/" if target.startswith("file://") else ""
        if not base_url:
            r.bad(
                "publish.base_url",
                "is required for an s3:// target",
                "set the public URL the bucket is served from",
            )
    addressing = r.choice("publish", t, "addressing", ("auto", "path", "virtual"), "path for MinIO")
    checksums = r.choice("publish", t, "checksums", ("when_required", "when_supported"))
    retry_mode = r.choice("publish", t, "retry_mode", ("standard", "adaptive"))
    return PublishSettings(
        target=target.rstrip("/"),
        base_url=base_url.rstrip("/") + "/" if base_url else "",
        endpoint_url=r.get("publish", t, "endpoint_url", str),
        region=r.get("publish", t, "region", str),
        addressing=addressing,
        acl=r.get("publish", t, "acl", str),
        checksums=checksums,
        max_attempts=r.get("publish", t, "max_attempts", int, d.max_attempts),
        retry_mode=retry_mode,
        concurrency=r.get("publish", t, "concurrency", int, d.concurrency),
    )
