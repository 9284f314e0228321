"""Loudness per ITU-R BS.1770-4 / EBU R128, read from ffmpeg's own ``ebur128`` filter.

Using the filter itself (rather than a re-implementation) makes our figures those of the
independent meter the spec names: ``ebur128=peak=true`` on the published file. Integrated
loudness is gated (−70 LUFS absolute, −10 LU relative), LRA follows EBU Tech 3342, true peak is
measured 4× oversampled. (The encode's meter leaves true peak to the limiter's oversampler,
which reads the same to the 0.1 dB ebur128 gives, for half the CPU: encode.py.)

Mono is measured as one channel, as BS.1770 says (a mono file reads 3 dB lower than the same
signal on both channels of a stereo file); ``dual_mono`` is not used.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AudioError
from ..ffmpeg import FFmpeg

SILENT_LUFS = -70.0
FRAME_S = 0.1  # ebur128 logs a frame every 100 ms
# A meter passes on what it read in large frames: ffmpeg's threads hand it on less often (an
# MP3's frames are 26 ms: this spares a tenth of the meter's CPU), and a pipe takes it at once.
DISCARDED = "asetnsamples=n=65536:p=0"


def ebur128(name: str = "", *, true_peak: bool = True, frames: bool = False) -> str:
    """The meter filter; ``name`` tells its summary apart. Without true peak: ~3x faster.

    With ``frames`` it logs every 100 ms frame, which :class:`MeteredFFmpeg` collects.
    """
    # framelog=verbose keeps the per-100 ms lines out of stderr; the summary is logged at info.
    peak = "true+sample" if true_peak else "sample"
    log = "info" if frames else "verbose"
    return f"ebur128{'@' + name if name else ''}=framelog={log}:peak={peak},{DISCARDED}"


EBUR128 = ebur128()
# "[Parsed_ebur128_0 @ 0x…] Summary:", or "[ebur128@episode @ 0x…] Summary:" for a named one.
_HEADER = re.compile(r"^\[(?:Parsed_)?([\w@]+?)(?:_\d+)? @ 0x[0-9a-f]+\] Summary:", re.M)
_FRAME = re.compile(rb"^\[(?:Parsed_)?([\w@]+?)(?:_\d+)? @ 0x[0-9a-f]+\] t: ")
_FRAME_M = re.compile(rb"\] t: (\S+) .*?M:\s*(\S+) S:\s*(\S+)")
_FRAME_TP = re.compile(rb"FTPK:\s*(.*?) dBFS")
_FIELDS = {
    "integrated": re.compile(r"I:\s+(\S+) LUFS"),
    "lra": re.compile(r"LRA:\s+(\S+) LU"),
    "sample_peak": re.compile(r"Sample peak:\s+Peak:\s+(\S+) dBFS"),
    "true_peak": re.compile(r"True peak:\s+Peak:\s+(\S+) dBFS"),
}


@dataclass(frozen=True)
class Loudness:
    """What a meter reads: LUFS, LU, dBTP, dBFS, seconds. Peaks of silence are -inf."""

    integrated: float
    lra: float
    true_peak: float
    sample_peak: float
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: -inf peaks become None."""
        return {k: v if math.isfinite(v) else None for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Loudness:
        return cls(**{k: -math.inf if v is None else float(v) for k, v in data.items()})


@dataclass
class Frames:
    """ebur128's 100 ms frames (frame i ends at (i + 1) / 10 s): momentary (400 ms) and
    short-term (3 s) loudness in LUFS, and the frame's true peak in dBTP (channels' maximum;
    from ``peak=true``, or from the encode meter's oversampler, encode.py). Compact arrays: three hours are 108,000 frames."""

    momentary: array = field(default_factory=lambda: array("f"))
    short_term: array = field(default_factory=lambda: array("f"))
    true_peak: array = field(default_factory=lambda: array("f"))

    def add(self, line: bytes) -> None:
        """Parse one frame line into its place, by its time: ffmpeg's stats line can garble a
        log line (they are written by different threads), and that frame then reads NaN."""
        loudness = _FRAME_M.search(line)
        if not loudness:
            return
        index = round(float(loudness.group(1)) / FRAME_S) - 1
        peak = _FRAME_TP.search(line)
        values = [float(loudness.group(2)), float(loudness.group(3))]
        if peak:
            values.append(max(float(v) for v in peak.group(1).split()))
        series = (self.momentary, self.short_term, self.true_peak)
        for values_of, value in zip(series, values, strict=False):  # no FTPK: no true peak
            if len(values_of) <= index:
                values_of.extend([math.nan] * (index + 1 - len(values_of)))
            values_of[index] = value


class MeteredFFmpeg(FFmpeg):
    """An ffmpeg whose ``ebur128(frames=True)`` filters' frame lines are parsed as they come
    (into :attr:`frames`, by filter instance: ``ebur128`` or ``ebur128@name``) rather than
    kept as text: a three-hour programme logs 108,000 of them."""

    def __init__(self, *args, **kwargs) -> None:
        self.frames: defaultdict[str, Frames] = defaultdict(Frames)
        super().__init__(*args, **kwargs)

    def _line(self, line: bytes) -> None:
        frame = _FRAME.match(line)
        if frame:
            self.frames[frame.group(1).decode()].add(line)
        else:
            super()._line(line)


def parse_summary(stderr: str, duration_s: float = 0.0, instance: str | None = None) -> Loudness:
    """The last ebur128 summary in an ffmpeg log (of the ``ebur128@<instance>`` filter, if
    given); missing peaks read as NaN."""
    headers = [m for m in _HEADER.finditer(stderr) if instance is None or m.group(1) == instance]
    if not headers:
        raise ValueError(f"no ebur128 summary in ffmpeg's output ({instance or 'any'})")
    start = headers[-1].end()
    following = _HEADER.search(stderr, start)
    summary = stderr[start : following.start() if following else len(stderr)]
    values = {}
    for name, pattern in _FIELDS.items():
        match = pattern.search(summary)
        values[name] = float(match.group(1)) if match else math.nan
    return Loudness(**values, duration_s=duration_s)


def measure_file(
    path: Path,
    *,
    exe: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Loudness:
    """Meter a file's first audio stream; AudioError when ffmpeg cannot decode it."""
    if not path.is_file():
        raise AudioError("file not found", path=path, hint="check the file name")
    args = ["-i", path, "-map", "0:a:0", "-af", EBUR128, "-f", "null", "-"]
    process = FFmpeg(args, subject=path, exe=exe, on_progress=on_progress)
    stderr = process.wait()
    loudness = parse_summary(stderr, process.last_time)
    if loudness.duration_s <= 0:
        raise AudioError("contains no audio (0 s)", path=path, hint="export it again")
    return loudness


def require_sound(loudness: Loudness, path: Path) -> None:
    """Refuse silent audio: it is almost always the wrong file or a failed export."""
    if loudness.integrated <= SILENT_LUFS:
        raise AudioError(
            "integrated loudness is below −70 LUFS; is this the right file?",
            path=path,
            hint="check the recording or export it again",
        )
