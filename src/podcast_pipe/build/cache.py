"""Where masters are kept: the workspace's build/.cache, or a store shared by many machines.

- ``WorkspaceCache``: build/.cache of one show (``<slug>-<key>.mp3`` + .json, record.py's
  layout). Workers reach it when the workspace is on a shared filesystem.
- ``StoreCache``: ``[build] cache = "s3://bucket/cache"`` (or ``file://DIR``) through storage/,
  content-addressed: ``masters/<key>.mp3`` and ``.json``, ``sources/<sha256>`` for workers that
  cannot see the workspace. Every object is whole or absent: S3 makes an object visible only
  when its upload is complete (one PUT, or the multipart upload's completion), and a folder
  target writes a temporary file and renames it. The .json is written after the MP3, so a
  master whose figures exist is complete; a killed worker leaves at most an MP3 without them,
  which reads as missing and is made again (to the same bytes).

The machine that runs ``build`` always copies a master into its own build/.cache, where tagging
and the build records find it.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from .. import mediatypes
from ..audio import analyze
from ..audio.renditions import rendition_path
from ..errors import BuildError
from ..files import atomic_path, sha256_file, write_atomic
from ..show import Show
from ..storage import Target, open_target
from .job import Blob, Mastered, MasterJob
from .record import (
    CACHE,
    CachedMaster,
    master_file,
    master_from_json,
    master_json,
    read_master_file,
    write_master_file,
)

CLIPS = "clips"  # the intros and outros, trimmed, as WAV
ANALYSIS = analyze.CACHE.name  # check's analyses of the sources, by content hash
IMMUTABLE = "public, max-age=31536000, immutable"  # a key names its content


class WorkspaceCache:
    """One show's build/.cache."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = str(folder)

    def get(self, job: MasterJob) -> Mastered | None:
        path = master_file(self.folder, job.slug, job.key())
        cached = read_master_file(path)
        return Mastered(str(path), cached, computed=False) if cached else None

    def put(self, job: MasterJob, mp3: Path, cached: CachedMaster) -> Mastered:
        path = master_file(self.folder, job.slug, job.key())
        for source, dest in _together(mp3, path, cached):
            with atomic_path(dest) as temp:
                shutil.copyfile(source, temp)
        write_master_file(path, job.slug, cached)
        return Mastered(str(path), cached, computed=True)

    def local(self, blob: Blob, scratch: Path) -> Path:
        path = Path(blob.path)
        if not path.is_file():
            raise BuildError(
                "this worker cannot read the episode's audio",
                path=path,
                hint='put the workspace on a filesystem every worker mounts, or set [build] cache = "s3://bucket/cache"',
            )
        return path

    def clips_dir(self) -> Path:
        return self.folder / CLIPS

    def analysis_dir(self) -> Path:
        return self.folder / ANALYSIS  # where `check` keeps its analyses

    def adopt(self, job: MasterJob, shared: StoreCache, mastered: Mastered) -> Mastered:
        """Copy a master from the shared store into this workspace's cache."""
        path = master_file(self.folder, job.slug, job.key())
        for location, dest in _together(Path(mastered.location), path, mastered.cached):
            with atomic_path(dest) as temp:
                shared.fetch(location.as_posix(), temp)
        write_master_file(path, job.slug, mastered.cached)
        return Mastered(str(path), mastered.cached, mastered.computed)


class StoreCache:
    """Masters shared by every machine and workspace, in an object store."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.url = target.url

    def __reduce__(self) -> tuple:
        """Sent to a worker as its URL, reopened there (boto3 clients do not pickle)."""
        return open_cache, (self.url,)

    def get(self, job: MasterJob) -> Mastered | None:
        key = job.key()
        data = self.target.get(f"masters/{key}.json")
        cached = master_from_json(data) if data is not None else None
        if cached is None or self.target.head(f"masters/{key}.mp3") is None:
            return None
        return Mastered(f"masters/{key}.mp3", cached, computed=False)

    def put(self, job: MasterJob, mp3: Path, cached: CachedMaster) -> Mastered:
        key = job.key()
        for source, dest in _together(mp3, Path(f"masters/{key}.mp3"), cached):
            self.target.put(dest.as_posix(), source, cache_control=IMMUTABLE,
                            content_type=mediatypes.for_suffix(dest.name))  # fmt: skip
        self.target.put(f"masters/{key}.json", master_json(cached), content_type=mediatypes.JSON,
                        cache_control=IMMUTABLE)  # fmt: skip
        return Mastered(f"masters/{key}.mp3", cached, computed=True)

    def local(self, blob: Blob, scratch: Path) -> Path:
        """The blob's file where this machine sees it, else the store's copy in ``scratch``."""
        path = Path(blob.path)
        if path.is_file():
            return path
        data = self.target.get(f"sources/{blob.sha256}")
        if data is None:
            raise BuildError(
                f"the cache has no copy of {path.name} ({blob.sha256[:12]})",
                path=self.url,
                hint="run the build again: it uploads the sources a remote worker needs",
            )
        path = scratch / blob.sha256
        write_atomic(path, data)
        if sha256_file(path) != blob.sha256:
            raise BuildError(f"the cache's copy of {blob.sha256[:12]} is damaged", path=self.url,
                             hint="delete that object from the cache and build again")  # fmt: skip
        return path

    def share(self, blob: Blob) -> None:
        """Upload a source for workers that cannot see this machine's files (once per content)."""
        key = f"sources/{blob.sha256}"
        if self.target.head(key) is None:
            self.target.put(key, Path(blob.path), content_type=mediatypes.OCTET_STREAM,
                            cache_control=IMMUTABLE)  # fmt: skip

    def clips_dir(self) -> Path:
        return Path(tempfile.gettempdir()) / "podcast-pipe-clips"

    def analysis_dir(self) -> Path:
        return Path(tempfile.gettempdir()) / "podcast-pipe-analysis"

    def fetch(self, location: str, dest: Path) -> None:
        data = self.target.get(location)
        if data is None:
            raise BuildError(f"{location} vanished from the cache", path=self.url,
                             hint="build again: the master is made anew")  # fmt: skip
        dest.write_bytes(data)


def _together(source: Path, dest: Path, cached: CachedMaster) -> list[tuple[Path, Path]]:
    """The master's files, which travel together: the MP3 and each rendition beside it."""
    names = [r.name for r in cached.result.renditions]
    return [(source, dest)] + [(rendition_path(source, n), rendition_path(dest, n)) for n in names]


def workspace_cache(show: Show) -> WorkspaceCache:
    return WorkspaceCache(show.build_dir / CACHE)


def shared_cache(show: Show) -> StoreCache | None:
    """The ``[build] cache`` store, or None (the workspace's own build/.cache then)."""
    return open_cache(show.build.cache, show.root) if show.build.cache else None


@functools.lru_cache(maxsize=8)
def open_cache(url: str, root: Path = Path(".")) -> StoreCache:
    """A store cache by URL; one per process (a worker reuses its S3 client across jobs)."""
    return StoreCache(open_target(url, root=root))
