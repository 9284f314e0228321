"""What the build keeps on disk: build/<slug>.json records, the master cache's figures, report.json.

One codec (``to_data``/``from_data``) turns the dataclasses into JSON and back, walking their
fields, so a figure added to ``MasterResult``, ``LimiterStats`` or ``Timeline`` is stored and
read back without an edit here. A record that no longer reads is treated as missing (rebuilt).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..audio.master import MASTER_VERSION, MasterResult
from ..audio.renditions import rendition_path
from ..config import Show
from ..files import write_atomic

CACHE = ".cache"
REPORT = "report.json"


@dataclass(frozen=True)
class RenditionFile:
    """A tagged rendition (build/<slug>.mp3, .opus or .m4a), as published."""

    name: str  # "mp3" | "opus" | "aac"
    path: Path  # stored as its name
    bytes: int
    sha256: str
    bitrate_kbps: int
    integrity: str  # SRI, sha384-<base64>: podcast:integrity


@dataclass(frozen=True)
class BuildRecord:
    """What the build made of one episode; stored as build/<slug>.json beside the MP3."""

    slug: str
    mp3: Path  # build/<slug>.mp3, the final tagged file (stored as its name)
    bytes: int
    sha256: str  # of the final MP3
    duration_s: float
    source_sha256: str  # of the episode's own audio file
    intro_s: float  # where the episode's own second 0 is in the MP3 (the chapter offset)
    cache_key: str  # of the untagged master
    tag_key: str  # of exactly what the tags and chapters hold
    source_stat: tuple[int, int]  # size and mtime_ns, to trust source_sha256 without re-reading
    master: MasterResult  # loudness in and out, gain, limiter, format, encodes, …
    action: str = "up to date"  # what this run did: encoded, re-tagged, up to date
    renditions: tuple[RenditionFile, ...] = ()  # with Opus or AAC: every one, the MP3 first


@dataclass(frozen=True)
class CachedMaster:
    """The figures stored beside a cached master MP3: the result and the chapter offset.

    Stored flat (the result's fields and ``offset_s``), as earlier versions stored them.
    """

    result: MasterResult
    offset_s: float


def to_data(value: Any) -> Any:
    """A dataclass (nested ones too) as JSON-ready data; a class's own ``to_dict`` wins."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return value.name
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    return value


def from_data(cls: type, data: dict[str, Any]) -> Any:
    """The inverse of ``to_data`` for ``cls``, led by its field types; keys it lacks are dropped."""
    if hasattr(cls, "from_dict"):
        return cls.from_dict(data)
    hints = typing.get_type_hints(cls)
    values = {
        f.name: _typed(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)
        if f.name in data
    }
    return cls(**values)


def _typed(hint: Any, value: Any) -> Any:
    if hint is Path:
        return Path(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_data(hint, value)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_typed(item, v) for v in value)
    return value


def record_path(show: Show, slug: str) -> Path:
    return show.build_dir / f"{slug}.json"


def write_record(show: Show, record: BuildRecord) -> None:
    write_atomic(record_path(show, record.slug), json_bytes(_stored(record)))


def _stored(record: BuildRecord) -> dict[str, Any]:
    """The record as stored: ``action`` says what one run did, so it is not kept."""
    data = to_data(record)
    del data["action"]
    return data


def read_record(show: Show, slug: str) -> BuildRecord | None:
    """The episode's build record, if it was built and its MP3 is still there."""
    try:
        data = json.loads(record_path(show, slug).read_text(encoding="utf-8"))
        record = from_data(BuildRecord, data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    renditions = tuple(
        dataclasses.replace(r, path=show.build_dir / r.path.name) for r in record.renditions
    )
    record = dataclasses.replace(
        record, mp3=show.build_dir / record.mp3.name, renditions=renditions
    )
    files = [record.mp3, *(r.path for r in renditions)]
    return record if all(f.is_file() for f in files) else None


def master_file(folder: Path, slug: str, key: str) -> Path:
    """A workspace cache's master: ``<slug>-<key[:16]>.mp3``, its figures beside it as .json."""
    return folder / f"{slug}-{key[:16]}.mp3"


def read_master_file(path: Path) -> CachedMaster | None:
    """The figures of the master at ``path``, if it, its renditions and they exist and read."""
    try:
        cached = master_from_json(path.with_suffix(".json").read_bytes())
    except OSError:
        return None
    if cached is None:
        return None
    files = [path, *(rendition_path(path, r.name) for r in cached.result.renditions)]
    return cached if all(f.is_file() for f in files) else None


def write_master_file(path: Path, slug: str, cached: CachedMaster) -> None:
    """Store the figures of the master at ``path`` (written first: the .json says it is whole),
    and drop the slug's older masters."""
    write_atomic(path.with_suffix(".json"), master_json(cached))
    for old in path.parent.glob(f"{slug}-*"):
        if old.stem != path.stem and old.stem[len(slug) + 1 :].isalnum():
            old.unlink(missing_ok=True)


def master_json(cached: CachedMaster) -> bytes:
    """A master's figures as stored beside it: the result's fields and ``offset_s``, flat."""
    return json_bytes({**to_data(cached.result), "offset_s": cached.offset_s})


def master_from_json(data: bytes) -> CachedMaster | None:
    """The inverse of ``master_json``; None if it no longer reads (the master is made again)."""
    try:
        fields = json.loads(data)
        return CachedMaster(from_data(MasterResult, fields), fields["offset_s"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def write_report(show: Show) -> Path:
    """build/report.json: the records of every built episode."""
    records = [read_record(show, path.stem) for path in sorted(show.build_dir.glob("*.json"))]
    data = [_stored(record) for record in records if record is not None]
    path = show.build_dir / REPORT
    write_atomic(path, json_bytes({"master_version": MASTER_VERSION, "episodes": data}))
    return path


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
