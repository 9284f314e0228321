"""Where masters are made: ``local`` (this machine) or ``dask://HOST:PORT`` (a Dask cluster).

Both run the same ``job.run``; only the place differs. This machine always hashes the sources,
tags, writes the records and the feed: a cluster only masters.

Why Dask (distributed) and not Ray: its wheels are pure Python (nothing to compile or fetch
beside the scheduler), ``LocalCluster`` gives tests real worker processes on one machine, and
its futures carry what a back catalogue needs: retries on another worker, re-running the jobs
of a lost worker, and cancellation. Ray would bring a large native runtime for no gain here.
Dask is optional: ``pip install 'podcast-pipe[network]'``.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from ..errors import BuildError, PodcastError
from .cache import StoreCache
from .job import Cache, Mastered, MasterJob, run

RETRIES = 2  # a job that crashed or lost its worker runs again, at most this often
INSTALL_HINT = "pip install 'podcast-pipe[network]'"
Progress = Callable[[float], None] | None  # fraction done; a cluster reports none
T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Makes masters. ``slots``: how many episodes this machine works on at once."""

    slots: int

    def master(
        self, job: MasterJob, cache: Cache, force: bool, on_progress: Progress
    ) -> Mastered: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Masters in this process, ``jobs`` at a time (each drives ffmpeg child processes)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.slots = jobs or os.cpu_count() or 1

    def master(self, job: MasterJob, cache: Cache, force: bool, on_progress: Progress) -> Mastered:
        return run(job, cache, force=force, on_progress=on_progress)

    def cancel(self) -> None:
        """Nothing to do: Ctrl-C reaches the ffmpeg children, and their output is temporary."""

    def close(self) -> None:
        pass


class DaskExecutor:
    """Masters on a Dask distributed cluster; each job a future with ``RETRIES`` retries."""

    def __init__(self, address: str, *, jobs: int | None = None) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise BuildError(
                "the dask executor needs Dask distributed, which is not installed",
                hint=f"run `{INSTALL_HINT}`",
            ) from None
        try:
            self.client = Client(address, timeout="20s")
        except OSError as exc:
            raise BuildError(
                f"cannot reach the Dask scheduler at {address}: {exc}",
                hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`",
            ) from None
        workers = sum(self.client.nthreads().values())
        # Twice the workers' threads: while one job finishes here (tagging), the next runs there.
        self.slots = jobs or max(2, 2 * workers)
        self.futures: set[Any] = set()
        self.lock = threading.Lock()

    def master(self, job: MasterJob, cache: Cache, force: bool, on_progress: Progress) -> Mastered:
        """Submit the job and wait for it; workers report no progress, only the result."""
        if isinstance(cache, StoreCache):  # a remote worker may not see this machine's files
            for blob in job.blobs():
                cache.share(blob)
        future = self.client.submit(attempt, job, cache, force, pure=False, retries=RETRIES)
        with self.lock:
            self.futures.add(future)
        try:
            outcome = future.result()
        finally:
            with self.lock:
                self.futures.discard(future)
        if isinstance(outcome, PodcastError):
            raise outcome
        return outcome

    def cancel(self) -> None:
        """Cancel every outstanding job (Ctrl-C): no worker writes a master after this."""
        with self.lock:
            futures = list(self.futures)
        if futures:
            self.client.cancel(futures, force=True)

    def close(self) -> None:
        self.client.close()


def attempt(job: MasterJob, cache: Cache, force: bool) -> Mastered | PodcastError:
    """``run`` on a worker; a user-fixable problem is returned, not raised: retrying won't fix it."""
    heap_for_blocks()
    try:
        return run(job, cache, force=force)
    except PodcastError as exc:
        return exc


# glibc's mallopt parameters, and the values a worker gets back (see ``heap_for_blocks``).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_BYTES, TRIM_BYTES = 32 << 20, 64 << 20


def heap_for_blocks() -> None:
    """Undo what a Dask nanny's ``MALLOC_TRIM_THRESHOLD_`` does to the mastering stream.

    Setting it turns off glibc's adaptive mmap threshold, so every numpy block over 128 KiB is
    mapped, faulted in page by page and unmapped again: a master took 1.4× as long (twice the
    system time). Fixed thresholds over the stream's blocks keep them on the heap. Only where
    the variable is set, and only on glibc (elsewhere this does nothing).
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)
    except (OSError, AttributeError):
        pass


def open_executor(spec: str, *, jobs: int | None = None) -> Executor:
    """``local`` or ``dask://HOST:PORT``."""
    if spec == "local":
        return LocalExecutor(jobs)
    scheme, sep, address = spec.partition("://")
    if sep and scheme == "dask" and address:
        return DaskExecutor(f"tcp://{address}", jobs=jobs)
    raise BuildError(f"unknown executor {spec!r}", hint='use "local" or "dask://HOST:PORT"')


def fan_out(executor: Executor, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``fn`` over ``items`` on ``executor.slots`` threads of this machine, in order.

    On Ctrl-C (or any exception out of ``fn``) the jobs not started are dropped and the
    executor's outstanding jobs cancelled; every cache write is atomic, so it stays consistent.
    """
    pool = ThreadPoolExecutor(max_workers=executor.slots)
    try:
        return list(pool.map(fn, items))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        executor.cancel()
        raise
    finally:
        pool.shutdown(wait=True)
