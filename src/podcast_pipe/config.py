"""podcast.toml → Show: read and validate every section, collecting every problem.

The model itself (Show, AudioSettings, PublishSettings, SiteSettings) is in show.py; it is
re-exported here.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import langcodes

from .errors import ConfigError, Problems
from .settings20 import SHOW_KEYS as SHOW_KEYS_20
from .settings20 import read_feed, read_show_values
from .show import (
    CONFIG_NAME,
    LOCAL_BASE_URL,
    MEDIUMS,
    NOTIFY_SERVICES,
    PODCAST_GUID_NAMESPACE,
    PROCESS_STEPS,
    RENDITIONS,
    SITE_LINKS,
    AudioSettings,
    BuildSettings,
    Funding,
    Notify,
    Owner,
    PublishSettings,
    Show,
    SiteSettings,
)
from .storage import TargetURLError, parse_target
from .validate import Reader, did_you_mean

__all__ = [
    "CONFIG_NAME",
    "LOCAL_BASE_URL",
    "PODCAST_GUID_NAMESPACE",
    "AudioSettings",
    "BuildSettings",
    "Funding",
    "Owner",
    "PublishSettings",
    "Show",
    "SiteSettings",
    "find_root",
    "inspect_show",
    "load_show",
]

SHOW_KEYS = {
    "title", "description", "author", "language", "image", "categories", "explicit", "owner",
    "website", "copyright", "type", "guid", "locked", "funding", "medium", "timezone",
    *SHOW_KEYS_20,
}  # fmt: skip


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
    """Read podcast.toml, collecting every problem instead of stopping at the first.

    The Show is None only when the file cannot be read; with problems it holds fallbacks for
    the bad values, so ``check`` can go on to the episodes (never publish such a Show).
    """
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
    top = Reader(path, problems, data, error=ConfigError)
    for section in data:
        if section not in SECTIONS:
            top.bad(section, "unknown section", did_you_mean(section, SECTIONS))
    show = _read_show(root, _section(top, "show"))
    audio = _read_audio(root, _section(top, "audio"))
    publish = _read_publish(_section(top, "publish"))
    feed = read_feed(_section(top, "feed"))
    site = _read_site(_section(top, "site"))
    build = _read_build(_section(top, "build"))
    return Show(**show, audio=audio, publish=publish, feed=feed, site=site, build=build), problems


SECTIONS = ("show", "audio", "publish", "feed", "site", "build")


def _section(top: Reader, name: str) -> Reader:
    """A reader for ``[name]`` (empty when absent; a problem when it is not a table)."""
    value = top.table.get(name, {})
    if not isinstance(value, dict):
        top.bad(name, "must be a table", f"write it as a [{name}] section")
        value = {}
    return top.within(value, f"{name}.")


def _required(r: Reader, key: str) -> str:
    return r.required(key, f'add `{key} = "…"` under [{r.prefix.rstrip(".")}]')


def _read_show(root: Path, r: Reader) -> dict[str, Any]:
    r.unknown(SHOW_KEYS)
    image = r.get("image", str, "feed/cover.jpg")
    owner = _read_owner(r, r.table.get("owner"))
    show_type = r.choice("type", ("episodic", "serial"))
    medium = r.get("medium", str, "podcast")
    if medium not in MEDIUMS:
        r.bad("medium", f"unknown medium {medium!r}", did_you_mean(medium, MEDIUMS))
    timezone = r.get("timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.bad(
            "timezone",
            f"unknown time zone {timezone!r}",
            'use an IANA name like "Europe/Istanbul"',
        )
        timezone = "UTC"
    return dict(
        root=root,
        title=_required(r, "title"),
        description=_required(r, "description"),
        author=_required(r, "author"),
        language=_read_language(r),
        image=(root / image).resolve() if image else root / "feed/cover.jpg",
        categories=_read_categories(r, r.table.get("categories", [])),
        explicit=bool(r.get("explicit", bool, False)),
        explicit_set="explicit" in r.table,
        owner=owner,
        website=r.get("website", str),
        copyright=r.get("copyright", str),
        type=show_type,
        guid=_read_guid(r),
        locked=bool(r.get("locked", bool, False)),
        funding=_read_funding(r, r.table.get("funding", [])),
        medium=medium,
        timezone=timezone,
        **read_show_values(r),
    )


def _read_guid(r: Reader) -> str | None:
    """podcast:guid as written (a UUID: the episodes' default GUIDs derive from it)."""
    guid = r.get("guid", str)
    if guid is None:
        return None
    try:
        return str(uuid.UUID(guid))
    except ValueError:
        r.bad("guid", f"{guid!r} is not a UUID", f'e.g. guid = "{uuid.uuid4()}"')
        return None


def _read_language(r: Reader) -> str:
    """A valid BCP 47 tag (``en``, ``tr``, ``en-GB``); a language's name gets its code."""
    language = _required(r, "language")
    if not language or langcodes.tag_is_valid(language):
        return language
    try:
        hint = f'did you mean `{langcodes.find(language)}`? write language = "…" as a code'
    except LookupError:
        hint = 'write a BCP 47 code such as "en", "tr", "az" or "en-GB"'
    r.bad("language", f"{language!r} is not a BCP 47 language tag", hint)
    return "en"


def _read_owner(r: Reader, value: Any) -> Owner | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("email"):
        r.bad("owner", "needs a name and an email", 'write owner = {name = "…", email = "…"}')
        return None
    return Owner(name=str(value.get("name", "")), email=str(value["email"]))


def _read_categories(r: Reader, value: Any) -> tuple[tuple[str, str | None], ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.bad(
            "categories",
            "must be a list of strings",
            'e.g. ["Society & Culture > Places & Travel"]',
        )
        return ()
    result = []
    for item in value:
        main, _, sub = (part.strip() for part in item.partition(">"))
        result.append((main, sub or None))
    return tuple(result)


def _read_funding(r: Reader, value: Any) -> tuple[Funding, ...]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) and "url" in v for v in value):
        r.bad(
            "funding",
            "must be a table or list of tables with a url",
            'funding = {url = "https://…", title = "Support us"}',
        )
        return ()
    return tuple(Funding(url=str(v["url"]), title=str(v.get("title", ""))) for v in value)


AUDIO_KEYS = {f.name for f in fields(AudioSettings)}
PUBLISH_KEYS = {f.name for f in fields(PublishSettings)}


def _read_audio(root: Path, r: Reader) -> AudioSettings:
    r.unknown(AUDIO_KEYS)
    d = AudioSettings()
    num = (int, float)
    channels = str(r.table.get("channels", d.channels))
    if channels not in ("auto", "1", "2"):
        r.bad("channels", f"unknown value {channels!r}", 'use "auto", 1 or 2')
        channels = d.channels
    id3 = r.get("id3_version", int, d.id3_version)
    if id3 not in (3, 4):
        r.bad("id3_version", f"must be 3 or 4, not {id3}", "use 3 (most compatible) or 4")
        id3 = d.id3_version
    settings = AudioSettings(
        loudness=float(r.get("loudness", num, d.loudness)),
        true_peak=float(r.get("true_peak", num, d.true_peak)),
        channels=channels,
        bitrate=r.get("bitrate", int, d.bitrate),
        sample_rate=r.get("sample_rate", int, d.sample_rate),
        intro=_audio_path(root, r, "intro", r.table.get("intro")),
        outro=_audio_path(root, r, "outro", r.table.get("outro")),
        crossfade_ms=r.get("crossfade_ms", int, d.crossfade_ms),
        trim_silence=bool(r.get("trim_silence", bool, d.trim_silence)),
        silence_threshold_db=float(r.get("silence_threshold_db", num, d.silence_threshold_db)),
        silence_padding_ms=r.get("silence_padding_ms", int, d.silence_padding_ms),
        ffmpeg=r.get("ffmpeg", str, d.ffmpeg),
        id3_version=id3,
        loudness_mono=float(r.get("loudness_mono", num, d.loudness_mono)),
        max_limiter_makeup=float(r.get("max_limiter_makeup", num, d.max_limiter_makeup)),
        process=_process_steps(r, r.table.get("process", [])),
        renditions=_renditions(r, r.table.get("renditions", ["mp3"])),
    )
    if not 0 <= settings.max_limiter_makeup <= 6:
        r.bad(
            "max_limiter_makeup",
            f"{settings.max_limiter_makeup} dB is out of range",
            "use 1.5 (the limiter catches peaks only) up to 6 (louder, squashed)",
        )
    if not -40 <= settings.loudness_mono <= -5:
        r.bad(
            "loudness_mono",
            f"{settings.loudness_mono} LUFS is out of range",
            "use -19 (as loud as -16 stereo) or -16",
        )
    if not -40 <= settings.loudness <= -5:
        r.bad(
            "loudness",
            f"{settings.loudness} LUFS is out of range",
            "use -16 (stereo) or -19 (mono)",
        )
    if not -9 <= settings.true_peak <= 0:
        r.bad(
            "true_peak",
            f"{settings.true_peak} dBTP is out of range",
            "use -1 (Apple's ceiling) or lower",
        )
    if settings.sample_rate not in (22050, 24000, 32000, 44100, 48000):
        r.bad(
            "sample_rate",
            f"{settings.sample_rate} Hz is not an MP3 rate podcast apps take",
            "use 44100 or 48000",
        )
    return settings


def _renditions(r: Reader, value: Any) -> tuple[str, ...]:
    """``[audio] renditions``: known encodings; the MP3 (the <enclosure>) is always made."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.bad("renditions", "must be a list of names", 'write it as ["mp3", "opus", "aac"]')
        return ("mp3",)
    for name in value:
        if name not in RENDITIONS:
            r.bad("renditions", f"unknown rendition {name!r}", did_you_mean(name, RENDITIONS))
    return tuple(name for name in RENDITIONS if name in value or name == "mp3")


def _process_steps(r: Reader, value: Any) -> tuple[str, ...]:
    """``[audio] process``: known steps, each once; they run in PROCESS_STEPS order."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.bad("process", f"must be a list of step names, not {value!r}", 'e.g. ["leveler"]')
        return ()
    for step in value:
        if step not in PROCESS_STEPS:
            r.bad("process", f"unknown step {step!r}", did_you_mean(step, PROCESS_STEPS))
    return tuple(step for step in PROCESS_STEPS if step in value)


def _audio_path(root: Path, r: Reader, key: str, value: Any) -> Path | None:
    if value in (None, "", False):
        return None
    if not isinstance(value, str):
        r.bad(key, "must be a path to an audio file", f'e.g. {key} = "assets/{key}.wav"')
        return None
    path = (root / value).resolve()
    if not path.is_file():
        r.bad(key, f"file not found: {value}", "fix the path (relative to podcast.toml)")
    return path


def _read_publish(r: Reader) -> PublishSettings:
    r.unknown(PUBLISH_KEYS)
    d = PublishSettings()
    target = r.get("target", str, d.target)
    try:
        scheme = parse_target(target).scheme
    except TargetURLError as exc:
        r.bad("target", exc.message, exc.hint or "")
        scheme = ""
    base_url = r.get("base_url", str, "") or ""
    if base_url and not base_url.startswith(("http://", "https://")):
        r.bad(
            "base_url",
            f"not an http(s) URL: {base_url!r}",
            'e.g. "https://podcast.example.org/"',
        )
    if not base_url:
        base_url = LOCAL_BASE_URL if scheme == "file" else ""
        if scheme == "s3":
            r.bad(
                "base_url",
                "is required for an s3:// target",
                "set the public URL the bucket is served from",
            )
    addressing = r.choice("addressing", ("auto", "path", "virtual"), "path for MinIO")
    checksums = r.choice("checksums", ("when_required", "when_supported"))
    retry_mode = r.choice("retry_mode", ("standard", "adaptive"))
    return PublishSettings(
        target=target.rstrip("/"),
        base_url=base_url.rstrip("/") + "/" if base_url else "",
        endpoint_url=r.get("endpoint_url", str),
        region=r.get("region", str),
        addressing=addressing,
        acl=r.get("acl", str),
        checksums=checksums,
        max_attempts=r.get("max_attempts", int, d.max_attempts),
        retry_mode=retry_mode,
        concurrency=r.get("concurrency", int, d.concurrency),
        keep_old=_read_keep_old(r, d.keep_old),
        notify=_read_notify(r),
    )


NOTIFY_HINT = (
    'e.g. notify = ["websub:https://pubsubhubbub.appspot.com/", "podcastindex", "podping"]'
)


def _read_notify(r: Reader) -> tuple[Notify, ...]:
    """``notify``: a list of "service" or "service:URL" (a URL replaces the service's own)."""
    value = r.table.get("notify", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.bad("notify", "must be a list of services", NOTIFY_HINT)
        return ()
    found: dict[str, Notify] = {}
    for entry in value:
        name, _, url = (part.strip() for part in entry.partition(":"))
        if name not in NOTIFY_SERVICES:
            r.bad("notify", f"unknown service {name!r}", did_you_mean(name, NOTIFY_SERVICES))
            continue
        url = url or NOTIFY_SERVICES[name] or ""
        if not url.startswith(("https://", "http://")):
            what = f"not an http(s) URL: {url!r}" if url else "needs the hub's URL"
            r.bad("notify", f"{name}: {what}", f'write "{name}:https://…"')
            continue
        found.setdefault(f"{name} {url}", Notify(name, url))
    return tuple(found.values())


def _read_site(r: Reader) -> SiteSettings:
    """``[site]``: enabled, links = {apple = "https://…", …}, accent = "#rrggbb"."""
    r.unknown(("enabled", "links", "accent"))
    d = SiteSettings()
    links = r.table.get("links", {})
    if not isinstance(links, dict):
        r.bad("links", "must be a table", 'write links = {apple = "https://…"}')
        links = {}
    for name, url in links.items():
        if name not in SITE_LINKS:
            r.bad(f"links.{name}", "unknown link", did_you_mean(name, SITE_LINKS))
        elif not isinstance(url, str) or not url.startswith(("https://", "http://")):
            r.bad(f"links.{name}", f"not an http(s) URL: {url!r}", 'e.g. "https://…"')
    accent = r.get("accent", str, d.accent)
    if not re.fullmatch(r"#([0-9a-fA-F]{3}){1,2}", accent):
        r.bad("accent", f"not a colour: {accent!r}", 'write it as "#rrggbb", e.g. "#0b6e6e"')
        accent = d.accent
    return SiteSettings(
        enabled=r.get("enabled", bool, d.enabled),
        links=tuple((name, links[name]) for name in SITE_LINKS if isinstance(links.get(name), str)),
        accent=accent.lower(),
    )


KEEP_OLD_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
KEEP_OLD_HINT = 'write a number of days (7) or e.g. "7 days", "36 hours"; 0 deletes at once'


def _read_keep_old(r: Reader, default: dt.timedelta) -> dt.timedelta:
    """``keep_old``: days as a number, or "<n> minutes|hours|days|weeks"."""
    value = r.table.get("keep_old")
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 36500:
        return dt.timedelta(days=value)
    number, _, unit = str(value).strip().partition(" ")
    seconds = KEEP_OLD_UNITS.get(unit.strip().lower().removesuffix("s"))
    try:
        amount = float(number)
    except ValueError:
        amount = -1.0
    if isinstance(value, str) and 0 <= amount < 36500 and (seconds or not unit.strip()):
        return dt.timedelta(seconds=amount * (seconds or 86400))
    r.bad("keep_old", f"not a length of time: {value!r}", KEEP_OLD_HINT)
    return default


def _read_build(r: Reader) -> BuildSettings:
    r.unknown({"cache"})
    cache = r.get("cache", str)
    if cache is not None and not cache.startswith(("file://", "s3://")):
        r.bad("cache", f"unsupported cache {cache!r}", 'use "s3://bucket/cache" or "file://DIR"')
        cache = None
    return BuildSettings(cache=cache.rstrip("/") if cache else None)
