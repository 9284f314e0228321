"""The one place that finds and runs ffmpeg: argument lists, progress, readable errors, timeouts.

Every ffmpeg call in the project goes through :class:`FFmpeg` (never a shell). Only options that
ffmpeg 5.1 already had are used, so an older system ffmpeg works as an override; ffprobe is
never needed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from .errors import FFmpegError

ENV_VAR = "PODCAST_PIPE_FFMPEG"
# Output options of a stream into a pipe. ffmpeg writes each packet to a pipe as it comes (a
# write and a wake-up of the reader per 26 ms MP3 frame, 138 000 an hour); these let it fill
# its 32 KB buffer first.
TO_PIPE = ("-flush_packets", "0")
_TIME = re.compile(rb"time=\s*(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?)")
# "[Parsed_ebur128_0 @ 0x55d…] " or "[in#0/wav @ 0x…] " before ffmpeg's own messages.
_PREFIX = re.compile(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*")
_NOISE = ("size=", "frame=", "Press [q]", "video:", "ffmpeg stats and -progress period")


def find_ffmpeg(override: str | None = None) -> str:
    """The ffmpeg binary: ``override``, else $PODCAST_PIPE_FFMPEG, else imageio-ffmpeg's."""
    for candidate, origin in ((override, "[audio] ffmpeg"), (os.environ.get(ENV_VAR), ENV_VAR)):
        if candidate:
            return _check(candidate, origin)
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise FFmpegError(
            f"no ffmpeg found ({exc})",
            hint=f"reinstall with `make install`, or set {ENV_VAR} to an ffmpeg binary",
        ) from exc


def _check(candidate: str, origin: str) -> str:
    """Resolve a user-given ffmpeg (a path or a name on PATH) and make sure it runs."""
    exe = shutil.which(candidate) or candidate
    try:
        subprocess.run([exe, "-version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise FFmpegError(
            f"{candidate!r} does not run as ffmpeg ({exc})",
            field=origin,
            hint=f"point {origin} at a working ffmpeg binary, or unset it to use the bundled one",
        ) from exc
    return exe


def parse_time(line: bytes) -> float | None:
    """Seconds from the ``time=HH:MM:SS.cc`` of an ffmpeg stats line, if any."""
    matches = _TIME.findall(line)
    if not matches:
        return None
    sign, hours, minutes, seconds = matches[-1]
    value = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return -value if sign else value


PIPE_BYTES = 1 << 20  # Linux's default 64 KiB makes the stages of a pipeline wait on each other
# A long run's stderr is read at most this often: ebur128 logs a line per 100 ms frame, and
# taking the GIL for each as ffmpeg writes it (36,000 an hour) cost an hour's build 2.7 CPU-s,
# with pauses 0.6. Runs shorter than DRAIN_PAUSE_AFTER_S never wait for their last lines.
DRAIN_PAUSE_S = 0.02
DRAIN_PAUSE_AFTER_S = 1.0


def widen(pipe: IO | None) -> None:
    """Enlarge a pipe's buffer where the system allows it (Linux; up to pipe-max-size)."""
    if pipe is None:
        return
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl  # POSIX; F_SETPIPE_SZ: Linux

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def lower_thread_priority(nice: int) -> None:
    """Give the calling thread the priority of ``nice`` (where it is lower), for work beside
    a process that everything waits for: on Linux, where priority is per thread (elsewhere,
    nothing)."""
    if sys.platform.startswith("linux"):
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            if os.getpriority(os.PRIO_PROCESS, thread) < nice:
                os.setpriority(os.PRIO_PROCESS, thread, nice)


class FFmpeg:
    """One running ffmpeg: stderr is drained on a thread (no pipe deadlock) and kept for errors.

    ``subject`` is the file the user knows (named in errors); ``on_progress`` gets seconds of
    media processed, from ffmpeg's stats lines; ``cwd`` lets output names stay relative (the
    tee muxer cannot take every character a folder name may hold); ``nice`` lowers the
    priority of helpers that must not slow down the process everything waits for;
    ``pass_fds`` are pipes it reads as ``pipe:N`` besides its stdin.
    """

    def __init__(
        self,
        args: Sequence[str | os.PathLike],
        *,
        subject: Path | str | None = None,
        exe: str | None = None,
        stdin: int | IO | None = subprocess.DEVNULL,
        stdout: int | IO | None = subprocess.DEVNULL,
        on_progress: Callable[[float], None] | None = None,
        cwd: Path | None = None,
        nice: int = 0,
        pass_fds: tuple[int, ...] = (),
    ) -> None:
        self.subject = subject
        self.on_progress = on_progress
        self.last_time = 0.0
        self.cpu_s = 0.0  # user + system seconds, once :meth:`wait` has reaped it
        self._stderr: list[bytes] = []
        # Stats lines are always on: their last ``time=`` is the decoded duration.
        command = [exe or find_ffmpeg(), "-hide_banner", "-nostdin", "-y", "-stats"]
        self.command = [*command, "-stats_period", "0.5", *map(str, args)]
        try:
            self.process = subprocess.Popen(
                self.command,
                stdin=stdin,
                stdout=stdout,
                stderr=subprocess.PIPE,
                cwd=cwd,
                pass_fds=pass_fds,
            )
        except OSError as exc:
            raise FFmpegError(
                f"cannot start ffmpeg: {exc}", path=subject, hint=f"check {ENV_VAR}"
            ) from exc
        if nice:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, nice)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            widen(pipe)
        self._started = time.monotonic()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        buffer = b""
        while chunk := self.process.stderr.read1(65536):
            buffer += chunk
            # Stats lines end in "\r", log lines in "\n".
            *lines, buffer = re.split(rb"[\r\n]", buffer)
            for line in lines:
                self._line(line)
            if time.monotonic() - self._started > DRAIN_PAUSE_AFTER_S:
                time.sleep(DRAIN_PAUSE_S)  # let lines gather (the widened pipe holds them)
        self._line(buffer)

    def _line(self, line: bytes) -> None:
        if not line.strip():
            return
        seconds = parse_time(line) if line.startswith(b"size=") else None
        if seconds is None:
            self._stderr.append(line)
            return
        self.last_time = max(self.last_time, seconds)
        if self.on_progress:
            self.on_progress(seconds)

    @property
    def stderr(self) -> str:
        return "\n".join(line.decode("utf-8", "replace") for line in self._stderr)

    def wait(self, timeout: float | None = None, *, check: bool = True) -> str:
        """Wait for the exit; raise FFmpegError (naming the subject) unless it succeeded."""
        try:
            code = self._reap(timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise FFmpegError(
                f"ffmpeg took longer than {timeout:.0f} s",
                path=self.subject,
                hint="the file may be damaged; try converting it to WAV or FLAC",
            ) from exc
        self._reader.join()
        if check and code != 0:
            raise FFmpegError(
                f"ffmpeg could not process it: {self.reason()}",
                path=self.subject,
                hint="check that it is a complete audio file; try converting it to WAV or FLAC",
            )
        return self.stderr

    def _reap(self, timeout: float | None) -> int:
        """Wait for the exit and keep the CPU time it used (``os.wait4``'s resource usage);
        the Popen gets its return code as if it had waited itself."""
        if self.process.returncode is not None or not hasattr(os, "wait4"):
            return self.process.wait(timeout)  # already reaped (a poll), or not POSIX
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while True:
            flags = 0 if deadline is None else os.WNOHANG
            pid, status, usage = os.wait4(self.process.pid, flags)
            if pid:
                break
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.command, timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return self.process.returncode

    def reason(self) -> str:
        """The most telling line of ffmpeg's stderr, without its ``[module @ 0x…]`` prefix."""
        lines = [_PREFIX.sub("", line).strip() for line in self.stderr.splitlines()]
        lines = [line for line in lines if line and not line.startswith(_NOISE)]
        errors = [
            line for line in lines if re.search(r"error|invalid|no such|fail|unknown", line, re.I)
        ]
        return (errors or lines or [f"exit code {self.process.returncode}"])[0][:300]

    def kill(self) -> None:
        """Stop the process (used when another stage of a pipeline failed)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def run(
    args: Sequence[str | os.PathLike],
    *,
    subject: Path | str | None = None,
    exe: str | None = None,
    timeout: float | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> FFmpeg:
    """Run ffmpeg to completion; return the finished process (``.stderr``, ``.last_time``)."""
    process = FFmpeg(args, subject=subject, exe=exe, on_progress=on_progress)
    process.wait(timeout)
    return process
