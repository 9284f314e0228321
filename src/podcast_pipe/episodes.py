"""episodes/ → [Episode]: both layouts, strict front matter, slugs, pending audio.

The model (Episode, Chapter, Person, Catalog) and the scan are here; the YAML block and its
date and time syntaxes are in frontmatter.py, the typed field checks in validate.py.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EpisodeError, Problems, display_path
from .frontmatter import parse_date, parse_timestamp, split_front_matter
from .mediatypes import TRANSCRIPT_SUFFIXES
from .settings20 import TEXT_MAX, read_license, read_location
from .show import License, Location, Show
from .validate import Reader

AUDIO_EXTS = (".wav", ".flac", ".aiff", ".aif", ".mp3", ".m4a", ".ogg", ".opus")
IMAGE_EXTS = (".jpg", ".jpeg", ".png")
BUNDLE_META = "episode.md"
EPISODE_TYPES = ("full", "trailer", "bonus")
PERSON_KEYS = {"name", "role", "group", "img", "href"}
CHAPTER_KEYS = {"start", "title", "url", "image"}
SOUNDBITE_KEYS = {"start", "duration", "title"}
# podcast:soundbite: apps play clips of up to about two minutes.
SOUNDBITE_MAX_S = 120
FRONT_MATTER_KEYS = {
    "title", "date", "episode", "season", "type", "explicit", "summary", "image", "chapters",
    "persons", "guid", "draft", "intro", "outro", "soundbites", "location", "license",
}  # fmt: skip

# Letters that NFKD does not reduce to ASCII (Turkish, Azerbaijani and a few neighbours).
_TRANSLITERATE = str.maketrans(
    {"ı": "i", "İ": "i", "ə": "e", "Ə": "e", "ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o",
     "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "œ": "oe", "Œ": "oe", "þ": "th"}
)  # fmt: skip


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated: ``İzmir ve Bakü`` → ``izmir-ve-baku``."""
    text = text.translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Chapter:
    start_s: float
    title: str
    url: str | None = None
    image: Path | None = None


@dataclass(frozen=True)
class Soundbite:
    """A clip apps can play as a preview: start and length in the episode's own audio."""

    start_s: float
    duration_s: float
    title: str | None = None


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "host"
    group: str = "cast"
    img: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Episode:
    """One episode: its metadata file, its audio and companions, its front matter."""

    slug: str
    meta_path: Path
    audio_path: Path | None  # None only for a draft whose audio is not there yet
    title: str
    date: dt.datetime  # time-zone aware publish time
    episode: int | None = None
    season: int | None = None
    type: str = "full"
    explicit: bool | None = None  # None: the show's setting
    summary: str | None = None
    notes: str = ""  # Markdown show notes
    image: Path | None = None
    transcript: Path | None = None
    chapters: tuple[Chapter, ...] = ()
    persons: tuple[Person, ...] = ()
    soundbites: tuple[Soundbite, ...] = ()
    location: Location | None = None
    license: License | None = None
    guid: str | None = None
    draft: bool = False
    # Per-episode intro/outro: None = the show's, False = none, a Path = this file.
    intro: Path | bool | None = None
    outro: Path | bool | None = None

    def is_scheduled(self, now: dt.datetime) -> bool:
        return self.date > now

    def state(self, now: dt.datetime) -> str:
        """draft, scheduled or ready (build and publish states come from elsewhere)."""
        if self.draft:
            return "draft"
        return "scheduled" if self.is_scheduled(now) else "ready"


def episode_guid(show: Show, episode: Episode) -> str:
    """The item GUID before publication: the ``guid`` field, else uuid5(show GUID, slug).

    Once published, the manifest's GUID wins (see manifest.py): it never changes.
    """
    if episode.guid:
        return episode.guid
    return str(uuid.uuid5(uuid.UUID(show.podcast_guid), episode.slug))


@dataclass
class Catalog:
    """What episodes/ holds: valid episodes, audio still waiting for metadata, problems."""

    episodes: list[Episode] = field(default_factory=list)
    pending: list[Path] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)

    def get(self, slug: str) -> Episode | None:
        return next((e for e in self.episodes if e.slug == slug), None)

    def ready(self, now: dt.datetime) -> list[Episode]:
        """Episodes that belong in the feed now: not drafts, not scheduled in the future."""
        return [e for e in self.episodes if e.state(now) == "ready"]


def load_episodes(show: Show) -> Catalog:
    """Scan episodes/ (flat and bundle layouts, mixed) and parse every metadata file."""
    catalog = Catalog()
    folder = show.episodes_dir
    if not folder.is_dir():
        catalog.problems.error(
            EpisodeError("folder not found", path=folder, hint="create it: `mkdir episodes`")
        )
        return catalog
    for meta, audio_candidates, companions in _discover(folder, catalog):
        episode = _parse(meta, audio_candidates, companions, catalog.problems)
        if episode:
            catalog.episodes.append(episode)
    _check_unique(catalog)
    catalog.episodes.sort(key=lambda e: (e.date, e.slug))
    return catalog


def _discover(folder: Path, catalog: Catalog) -> Iterable[tuple[Path, list[Path], list[Path]]]:
    """Yield (metadata file, audio candidates, companion files) per episode."""
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    files = [p for p in entries if p.is_file()]
    for bundle in (p for p in entries if p.is_dir()):
        inner = sorted(p for p in bundle.iterdir() if p.is_file() and not p.name.startswith("."))
        audio = [p for p in inner if p.suffix.lower() in AUDIO_EXTS]
        meta = bundle / BUNDLE_META
        if not meta.is_file():
            catalog.pending.extend(audio)
            continue
        yield meta, audio, [p for p in inner if p not in audio and p != meta]
    metas = {p.stem: p for p in files if p.suffix.lower() == ".md" and p.stem.lower() != "readme"}
    for path in files:
        if path.suffix.lower() in AUDIO_EXTS and path.stem not in metas:
            catalog.pending.append(path)
    for stem, meta in metas.items():
        same = [p for p in files if p.stem == stem and p != meta]
        yield meta, [p for p in same if p.suffix.lower() in AUDIO_EXTS], same


def _parse(
    meta: Path, audio: list[Path], companions: list[Path], problems: Problems
) -> Episode | None:
    errors_before = len(problems.errors)
    r = Reader(meta, problems, {}, error=EpisodeError)
    bad = r.bad
    data, notes = split_front_matter(meta, bad)
    if data is None:
        return None
    r = r.within(data, "")
    r.unknown(FRONT_MATTER_KEYS)
    stem = meta.parent.name if meta.name == BUNDLE_META else meta.stem
    slug = slugify(stem)
    if not slug:
        bad(None, f"cannot make a slug from the name {stem!r}", "rename it with letters or digits")
    draft = bool(r.flag("draft", False))
    audio_path = _one_audio(meta, audio, bad, problems if draft else None)
    title = r.required("title", 'add `title: "…"` to the front matter')
    date = parse_date(data.get("date"), bad)
    episode = Episode(
        slug=slug,
        meta_path=meta,
        audio_path=audio_path,
        title=title,
        date=date or dt.datetime.min.replace(tzinfo=dt.UTC),
        episode=r.count("episode"),
        season=r.count("season"),
        type=r.choice("type", EPISODE_TYPES),
        explicit=r.flag("explicit", None),
        summary=r.text("summary"),
        notes=notes.strip(),
        image=_image(meta, data, companions, bad),
        transcript=_single(companions, TRANSCRIPT_SUFFIXES, meta, "transcript", bad),
        chapters=_chapters(meta, r),
        persons=_persons(data.get("persons"), r),
        soundbites=_soundbites(r),
        location=read_location(r),
        license=read_license(r),
        guid=r.text("guid"),
        draft=draft,
        intro=_override(meta, data, "intro", bad),
        outro=_override(meta, data, "outro", bad),
    )
    return episode if len(problems.errors) == errors_before else None


def _one_audio(meta: Path, audio: list[Path], bad, draft: Problems | None) -> Path | None:
    """The episode's one audio file; a draft may wait for it (a warning, not an error)."""
    if len(audio) == 1:
        return audio[0]
    where = "in this folder" if meta.name == BUNDLE_META else f"named {meta.stem}.<ext>"
    hint = "add one: " + ", ".join(AUDIO_EXTS)
    if not audio and draft is not None:
        draft.warn(EpisodeError(f"draft has no audio file {where} yet", path=meta, hint=hint))
    elif not audio:
        bad("audio", f"no audio file {where}", hint + " (or mark it `draft: true` until then)")
    else:
        names = ", ".join(p.name for p in audio)
        bad("audio", f"more than one audio file {where}: {names}", "keep exactly one")
    return None


def _single(
    companions: list[Path], exts: tuple[str, ...], meta: Path, what: str, bad
) -> Path | None:
    found = [p for p in companions if p.suffix.lower() in exts]
    if len(found) > 1:
        bad(what, "more than one file: " + ", ".join(p.name for p in found), "keep one")
    return found[0] if found else None


def _image(meta: Path, data: dict, companions: list[Path], bad) -> Path | None:
    value = data.get("image")
    if value is None:
        return _single(companions, IMAGE_EXTS, meta, "image", bad)
    path = _relative_file(meta, value, "image", bad)
    if path and path.suffix.lower() not in IMAGE_EXTS:
        bad("image", f"{path.name} is not a JPEG or PNG", "use a .jpg or .png file")
    return path


def _relative_file(meta: Path, value: Any, key: str, bad) -> Path | None:
    if not isinstance(value, str) or not value.strip():
        bad(key, f"must be a file name, not {value!r}", f"e.g. `{key}: cover.jpg`")
        return None
    path = (meta.parent / value).resolve()
    if not path.is_file():
        bad(key, f"file not found: {value}", "the path is relative to this metadata file")
        return None
    return path


def _override(meta: Path, data: dict, key: str, bad) -> Path | bool | None:
    value = data.get(key)
    if value is None or value is False:
        return value
    return _relative_file(meta, value, key, bad)


def _time(r: Reader, key: str) -> float | None:
    """Seconds from a time field of a list entry; a problem naming the entry when unreadable."""
    value = parse_timestamp(r.table.get(key))
    if value is None:
        r.bad(key, f"not a time: {r.table.get(key)!r}", 'use "MM:SS" or "HH:MM:SS.mmm"')
    return value


def _chapters(meta: Path, r: Reader) -> tuple[Chapter, ...]:
    chapters: list[Chapter] = []
    for c in r.nested_list("chapters", CHAPTER_KEYS, example='{start: "02:15", title: "…"}'):
        start = _time(c, "start")
        if start is None:
            continue
        title = c.required("title", 'add `title: "…"`')
        if not title:
            continue
        if chapters and start <= chapters[-1].start_s:
            c.bad("start", "must be later than the chapter before", "list chapters in order")
        image = c.table.get("image")
        if image is not None:
            image = _relative_file(meta, image, "image", c.bad)
        chapters.append(Chapter(start, title, c.table.get("url"), image))
    if chapters and chapters[0].start_s != 0:
        r.bad(
            "chapters[1].start",
            "the first chapter must start at 00:00",
            'add {start: "00:00", title: "Giriş"}',
        )
    return tuple(chapters)


def _soundbites(r: Reader) -> tuple[Soundbite, ...]:
    found = []
    example = '{start: "12:30", duration: 45, title: "…"}'
    for b in r.nested_list("soundbites", SOUNDBITE_KEYS, example=example):
        start = _time(b, "start")
        duration = parse_timestamp(b.table.get("duration"))
        if duration is None or not 0 < duration <= SOUNDBITE_MAX_S:
            b.bad("duration", f"not a length over 0 and up to {SOUNDBITE_MAX_S} s: "
                  f"{b.table.get('duration')!r}", "give the clip's length in seconds, e.g. `duration: 45`")  # fmt: skip
            duration = None
        title = b.text("title")
        if title and len(title) > TEXT_MAX:
            b.bad("title", f"is {len(title)} characters long", f"keep it under {TEXT_MAX}")
        if start is not None and duration is not None:
            found.append(Soundbite(start, duration, title))
    return tuple(found)


def _persons(value: Any, r: Reader) -> tuple[Person, ...]:
    bad = r.bad
    if value is None:
        return ()
    if not isinstance(value, list):
        bad("persons", "must be a list", 'write persons: [{name: "…", role: guest}]')
        return ()
    persons = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            bad(f"persons[{n}]", "needs a name", 'write {name: "…", role: guest}')
            continue
        r.within(item, f"persons[{n}].").unknown(PERSON_KEYS)
        fields = {k: str(v) for k, v in item.items() if k in PERSON_KEYS}
        persons.append(Person(**fields))
    return tuple(persons)


def _check_unique(catalog: Catalog) -> None:
    by_slug: dict[str, Episode] = {}
    by_number: dict[tuple[int | None, int], Episode] = {}
    for ep in catalog.episodes:
        if ep.slug in by_slug:
            other = display_path(by_slug[ep.slug].meta_path)
            catalog.problems.error(EpisodeError(
                f"slug {ep.slug!r} is also the slug of {other}", path=ep.meta_path, field="slug",
                hint="rename one of them: slugs must be unique"))  # fmt: skip
        by_slug.setdefault(ep.slug, ep)
        if ep.episode is not None and ep.type == "full":
            key = (ep.season, ep.episode)
            if key in by_number:
                other = display_path(by_number[key].meta_path)
                catalog.problems.error(EpisodeError(
                    f"episode {ep.episode} (season {ep.season or '-'}) is also used by {other}",
                    path=ep.meta_path, field="episode", hint="give each episode its own number"))  # fmt: skip
            by_number.setdefault(key, ep)
    # An episode with a clash stays out: no half-valid show gets published.
    bad = {p.path for p in catalog.problems.errors}
    catalog.episodes = [e for e in catalog.episodes if e.meta_path not in bad]
