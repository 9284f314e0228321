"""One episode's master as a pure job: inputs by content hash in, the master and its figures out.

A ``MasterJob`` holds everything that decides the master (the audio by sha256, the mastering
settings, ``MASTER_VERSION``, the versions of the speech chain's steps it uses) and nothing
that does not: ``key()`` hashes those inputs alone, never a path or a clock, so a master made
on any machine is a cache hit on every other. ``run`` is what this process, a local thread or
a Dask worker executes: the same code everywhere.

The output is byte-identical wherever it runs: ffmpeg encodes with ``bitexact`` (no encoder
version or file name in the MP3), the limiter is plain numpy, and the master is written in a
scratch folder of its own before the cache stores it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..audio.analyze import analysis_of
from ..audio.master import MASTER_VERSION, master
from ..audio.process import step_versions
from ..audio.program import assemble
from ..config import AudioSettings
from ..ffmpeg import find_ffmpeg
from ..files import sha256_bytes
from .record import CachedMaster


@dataclass(frozen=True)
class Blob:
    """A file by its content: the sha256, and where it can be read on a shared filesystem."""

    sha256: str
    path: str  # absolute; a worker that cannot see it reads the cache's copy (``Cache.local``)


@dataclass(frozen=True)
class MasterJob:
    """The inputs of one master. ``slug`` names it in a workspace and in progress; not in the key."""

    slug: str
    source: Blob
    intro: Blob | None
    outro: Blob | None
    settings: AudioSettings  # its intro/outro paths cleared: the clips are the blobs
    version: int = MASTER_VERSION

    def key(self) -> str:
        """The master's cache key, from the inputs alone."""
        clips = [blob.sha256 if blob else None for blob in (self.intro, self.outro)]
        steps = step_versions(self.settings.process)
        return digest(self.version, self.source.sha256, *clips, self.settings.mastering(), *steps)

    def blobs(self) -> list[Blob]:
        return [blob for blob in (self.source, self.intro, self.outro) if blob]


@dataclass(frozen=True)
class Mastered:
    """A finished master: where its bytes are (``Cache.fetch`` reads them) and its figures."""

    location: str  # a path (a workspace's cache) or a key (an object store)
    cached: CachedMaster
    computed: bool  # False: it was in the cache already (made by any machine, any run)


class Cache(Protocol):
    """Where masters are kept, content-addressed by ``MasterJob.key()`` (see cache.py)."""

    url: str

    def get(self, job: MasterJob) -> Mastered | None: ...

    def put(self, job: MasterJob, mp3: Path, cached: CachedMaster) -> Mastered: ...

    def local(self, blob: Blob, scratch: Path) -> Path: ...

    def clips_dir(self) -> Path: ...

    def analysis_dir(self) -> Path: ...


def run(
    job: MasterJob,
    cache: Cache,
    *,
    force: bool = False,
    on_progress: Callable[[float], None] | None = None,
) -> Mastered:
    """The cached master of ``job``, or master it now and store it in ``cache``."""
    if not force and (hit := cache.get(job)) is not None:
        return hit
    exe = find_ffmpeg(job.settings.ffmpeg)
    with tempfile.TemporaryDirectory(prefix="podcast-pipe-") as folder:
        scratch = Path(folder)
        intro, outro = (cache.local(b, scratch) if b else None for b in (job.intro, job.outro))
        source = cache.local(job.source, scratch)
        checked = analysis_of(source, job.source.sha256, cache.analysis_dir(), exe=exe)
        program = assemble(source, intro, outro, job.settings, exe=exe,
                           clip_cache=cache.clips_dir())  # fmt: skip
        out = scratch / "master.mp3"
        result = master(program, job.settings, out, checked=checked, exe=exe,
                        on_progress=on_progress)  # fmt: skip
        return cache.put(job, out, CachedMaster(result, program.offset_s))


def digest(*parts: Any) -> str:
    """A sha256 of JSON-able parts: the one way a cache key is made from data."""
    return sha256_bytes(json.dumps(parts, default=str, sort_keys=True).encode())
