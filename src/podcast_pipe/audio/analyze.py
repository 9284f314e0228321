"""One fast decode pass per audio file, so ``check`` knows every file is real, complete audio.

A single ffmpeg run meters the file at its own rate (``ebur128`` without true peak, its 100 ms
frame log kept for the curves, the silences and the noise floor; ``volumedetect`` for samples
near full scale) and, on a copy resampled to 1 kHz where every other measure is nearly
free, DC offset and level per channel, the level of L+R and L−R (dual mono, an inverted
channel), and a mono tap read by the speech chain's ``LowBand``: mains hum lines in the quietest
stretches and the rumble under 80 Hz (what ``dehum`` and ``highpass`` plan from).
``astats`` at the file's own rate would cost as much as an MP3 encode; this pass costs about a
fifth of one.

Results are cached in ``build/.cache/analysis/`` by the file's sha256 and ``ANALYSIS_VERSION``;
an index of (size, mtime) per path spares re-hashing an unchanged file, so a second ``check``
runs no ffmpeg at all. What the figures mean for the producer is decided in ``findings``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import subprocess
import threading
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mutagen
import numpy as np

from ..errors import FFmpegError
from ..ffmpeg import TO_PIPE, FFmpeg
from ..files import sha256_file, write_atomic
from .decode import audio_stream, read_pcm
from .meter import FRAME_S, Frames, parse_summary
from .process import Hum, LowBand, LowBandFigures
from .timeline import SILENT

ANALYSIS_VERSION = 4  # bump when what is measured, or how, changes
CACHE = Path(".cache") / "analysis"
INDEX = "index.json"
LOW_RATE = 1000  # Hz: the side measures' copy (channel levels, the hum and rumble tap)
SILENCE_LUFS = -50.0  # momentary loudness (400 ms) under this: silence
SILENCE_MIN_S = 1.0  # shortest silence recorded (shown on the inspector's time axis)
TIMEOUT_S = 3600
# Bigger frames: per-frame overhead, not arithmetic, is most of the cost of the side measures.
LOW_COPY = f"aresample={LOW_RATE}:filter_size=8,asetnsamples=n={LOW_RATE}:p=0"
_FRAME = re.compile(r"t:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(\S+)\s+S:\s*(\S+)")
# Builds analyse on several threads: one writer at a time for the index and the cache files
# (their temporary names are per process).
_WRITING = threading.Lock()
_STAT = re.compile(r"^\[astats@(\w+) @ 0x[0-9a-f]+\] (.+?): (\S+)$", re.M)
_SAMPLES = re.compile(r"n_samples: (\d+)")
_NEAR_FULL_SCALE = re.compile(r"histogram_0db: (\d+)")


@dataclass(frozen=True)
class ChannelStats:
    """One channel (from the 1 kHz copy): linear DC offset and RMS level in dBFS."""

    dc_offset: float
    rms_db: float


@dataclass(frozen=True)
class Analysis:
    """What one decode pass learnt about an audio file (JSON-safe: -inf is stored as -120)."""

    sha256: str
    unreadable: str | None = None  # ffmpeg's reason, when it could not decode the file
    codec: str = ""
    sample_rate: int = 0
    channels: int = 0
    duration_s: float = 0.0  # decoded
    declared_s: float | None = None  # what the container's header states, when it states it
    finished: bool = True  # False: an Ogg stream without its end-of-stream page (cut off)
    integrated: float = SILENT
    lra: float = 0.0
    sample_peak: float = SILENT
    samples: int = 0  # decoded, all channels
    near_full_scale: int = 0  # samples within 1 dB of full scale (volumedetect)
    speech_lufs: float = SILENT  # 90th percentile of momentary loudness
    noise_lufs: float = SILENT  # 10th percentile of momentary loudness (room tone, hiss)
    noise_spread_db: float = 0.0  # how much the quietest fifth varies (steady: a noise floor)
    momentary: list[float] = field(default_factory=list)  # per second, LUFS
    short_term: list[float] = field(default_factory=list)
    silences: list[tuple[float, float]] = field(default_factory=list)
    stats: list[ChannelStats] = field(default_factory=list)
    sum_rms_db: float = SILENT  # L+R, stereo only
    difference_rms_db: float = SILENT  # L−R
    hum_hz: list[float] = field(default_factory=list)  # mains lines found (process.LowBand)
    hum_over_floor_db: float = 0.0  # … this far over their neighbours, in the quietest stretches
    rumble_level_db: float = SILENT  # content under 80 Hz, dBFS
    frame_log: str = ""  # every 100 ms frame's momentary and short-term LUFS: float32 pairs, base64

    def low_band(self) -> LowBandFigures:
        """The 1 kHz tap's findings, as the speech chain plans from them."""
        hum = Hum(tuple(self.hum_hz), self.hum_over_floor_db) if self.hum_hz else None
        return LowBandFigures(hum, self.rumble_level_db)

    def frames(self) -> Frames:
        """The 100 ms frames, as mastering's first pass reads them (it reuses this one)."""
        pairs = np.frombuffer(base64.b64decode(self.frame_log), np.float32).reshape(-1, 2)
        return Frames(array("f", pairs[:, 0].tobytes()), array("f", pairs[:, 1].tobytes()))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["stats"] = [ChannelStats(**s) for s in data.get("stats", [])]
        data["silences"] = [tuple(s) for s in data.get("silences", [])]
        return cls(**data)


def analyze(path: Path, build_dir: Path, *, exe: str | None = None, store: bool = True) -> Analysis:
    """The analysis of ``path``: from the cache when its content was analysed before.

    ``store=False`` reads the cache but writes nothing (``publish --dry-run``).

    A file whose size or mtime changed is decoded while it is hashed (both read it once; on two
    cores the hash is then free); the decode is stopped if the content turns out to be known.
    """
    cache = build_dir / CACHE
    known = _read_index(cache).get(str(path.resolve()))
    if known and known[:2] == _state(path) and (found := _cached(cache, known[2])):
        return found
    process = _start(path, exe)
    sha256 = sha256_file(path)
    if store:
        _remember(cache, path, sha256)
    found = _cached(cache, sha256)
    if found:
        if process:
            process.kill()
        return found
    analysis = _finish(process, path, sha256)
    if store:
        _store(cache, analysis)
    return analysis


def analysis_of(path: Path, sha256: str, cache: Path, *, exe: str | None = None) -> Analysis:
    """The analysis of a file whose sha256 is known (a build job's source), kept in ``cache``
    (a folder) by that hash: what ``check`` measured is the master's first pass."""
    found = _cached(cache, sha256)
    if found is None:
        found = measure(path, sha256, exe=exe)
        _store(cache, found)
    _remember(cache, path, sha256)
    return found


def _remember(cache: Path, path: Path, sha256: str) -> None:
    """Index ``path`` (by size and mtime) as holding ``sha256``: the next look needs no hash."""
    with _WRITING:
        index = _read_index(cache)
        index[str(path.resolve())] = [*_state(path), sha256]
        write_atomic(cache / INDEX, json.dumps(index, indent=0).encode("utf-8"))


def _store(cache: Path, analysis: Analysis) -> None:
    with _WRITING:
        data = json.dumps(analysis.to_dict()).encode("utf-8")
        write_atomic(_cache_path(cache, analysis.sha256), data)


def _state(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _cache_path(cache: Path, sha256: str) -> Path:
    return cache / f"{sha256}-v{ANALYSIS_VERSION}.json"


def _cached(cache: Path, sha256: str) -> Analysis | None:
    try:
        data = json.loads(_cache_path(cache, sha256).read_text(encoding="utf-8"))
        return Analysis.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _read_index(cache: Path) -> dict[str, list]:
    try:
        return json.loads((cache / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def measure(path: Path, sha256: str = "", *, exe: str | None = None) -> Analysis:
    """Decode ``path`` once through every meter; an unreadable file gives ``unreadable``."""
    return _finish(_start(path, exe), path, sha256)


class _Pass:
    """The running decode of a file, its 1 kHz mono tap read into a ``LowBand`` on a thread
    (so that the decode never waits while the caller hashes the file)."""

    def __init__(self, path: Path, exe: str | None) -> None:
        outputs = [arg for n in range(2) for arg in ("-map", f"[o{n}]", "-f", "null", "-")]
        outputs += ["-map", "[tap]", "-f", "f32le", *TO_PIPE, "pipe:1"]
        # One filter thread: the other core hashes the file meanwhile, and the graph's threads
        # would spend more on hand-offs than they save.
        args = ["-filter_complex_threads", "1", "-i", path, "-filter_complex", _graph(), *outputs]
        self.process = FFmpeg(args, subject=path, exe=exe, stdout=subprocess.PIPE)
        self.tap = LowBand()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for block in read_pcm(self.process, 1, LOW_RATE * 64):
            self.tap.feed(block[:, 0])

    def kill(self) -> None:
        self.process.kill()


def _start(path: Path, exe: str | None) -> _Pass | None:
    """The running decode of ``path`` (None for an empty file: nothing to decode)."""
    return _Pass(path, exe) if path.stat().st_size else None


def _finish(running: _Pass | None, path: Path, sha256: str) -> Analysis:
    if running is None:
        return Analysis(sha256, unreadable="the file is empty (0 bytes)")
    process = running.process
    try:
        text = process.wait(TIMEOUT_S, check=False)
    except FFmpegError as exc:
        return Analysis(sha256, unreadable=exc.message)
    running.reader.join()
    stream = audio_stream(text)
    if process.process.returncode != 0 or not stream:
        failed = process.process.returncode != 0
        reason = process.reason() if failed else "no audio stream ffmpeg can decode"
        return Analysis(sha256, unreadable=reason)
    try:
        return _parse(text, path, sha256, stream, process.last_time, running.tap.figures())
    except ValueError:  # no meter summary: nothing was decoded
        return Analysis(sha256, unreadable="no audio could be decoded from it")


def _graph() -> str:
    """The meters at the file's rate; everything else on a 1 kHz copy (see the docstring)."""
    meter = "ebur128=framelog=info:peak=sample,volumedetect"
    level = "measure_overall=none:measure_perchannel=DC_offset+RMS_level"
    return ";".join(
        [
            "[0:a:0]asetnsamples=n=8192:p=0,asplit[m][low]",
            f"[m]{meter}[o0]",
            f"[low]{LOW_COPY},astats@channels={level},asplit[st][mono]",
            "[st]aformat=channel_layouts=stereo,asplit[a][b]",
            "[a]pan=mono|c0=c0+c1[s]",
            "[b]pan=mono|c0=c0-c1[d]",
            f"[s][d]join=inputs=2:channel_layout=stereo:map=0.0-FL|1.0-FR,astats@pair={level}[o1]",
            "[mono]aformat=channel_layouts=mono,aformat=sample_fmts=flt[tap]",
        ]
    )


def _parse(
    text: str,
    path: Path,
    sha256: str,
    stream: tuple[str, int, int],
    decoded_s: float,
    low_band: LowBandFigures,
) -> Analysis:
    codec, rate, channels = stream
    frames = [(float(t), _db(m), _db(s)) for t, m, s in _FRAME.findall(text)]
    loudness = parse_summary(text)
    stats = _astats(text)
    momentary = sorted(m for _, m, _ in frames if m > SILENT)
    return Analysis(
        sha256=sha256,
        codec=codec,
        sample_rate=rate,
        channels=channels,
        duration_s=round(decoded_s, 3),
        declared_s=declared_seconds(path),
        finished=_ogg_finished(path),
        integrated=_finite(loudness.integrated),
        lra=_finite(loudness.lra),
        sample_peak=_finite(loudness.sample_peak),
        samples=int(_last(_SAMPLES, text)),
        near_full_scale=int(_last(_NEAR_FULL_SCALE, text)),
        speech_lufs=_percentile(momentary, 0.9),
        noise_lufs=_percentile(momentary, 0.1),
        noise_spread_db=_spread(momentary[: len(momentary) // 5]),
        momentary=_per_second(frames, 1),
        short_term=_per_second(frames, 2),
        frame_log=_frame_log(frames),
        silences=_silences(frames, decoded_s),
        # A mono file's 1 kHz copy is upmixed for the L+R/L−R branch: its first channel is it.
        stats=[_channel(values) for values in stats.get("channels", [])[:channels]],
        sum_rms_db=_level(stats, "pair", 0),
        difference_rms_db=_level(stats, "pair", 1),
        hum_hz=list(low_band.hum.frequencies) if low_band.hum else [],
        hum_over_floor_db=low_band.hum.over_floor_db if low_band.hum else 0.0,
        rumble_level_db=_finite(low_band.rumble_level_db),
    )


def _astats(text: str) -> dict[str, list[dict[str, float]]]:
    """Per astats instance, per channel: statistic name → value (-inf as SILENT)."""
    result: dict[str, list[dict[str, float]]] = {}
    for name, key, value in _STAT.findall(text):
        channels = result.setdefault(name, [])
        if key == "Channel":
            channels.append({})
        elif channels:
            channels[-1][key] = _db(value)
    return result


def _channel(values: dict[str, float]) -> ChannelStats:
    return ChannelStats(values.get("DC offset", 0.0), values.get("RMS level dB", SILENT))


def _level(stats: dict[str, list[dict[str, float]]], name: str, channel: int) -> float:
    channels = stats.get(name, [])
    return channels[channel].get("RMS level dB", SILENT) if len(channels) > channel else SILENT


def _last(pattern: re.Pattern, text: str) -> float:
    found = pattern.findall(text)
    return float(found[-1]) if found else 0.0


def _db(value: str) -> float:
    """A meter's reading as a finite float (-inf and NaN read as ``SILENT``)."""
    try:
        number = float(value)
    except ValueError:
        return SILENT
    return _finite(number)


def _finite(number: float) -> float:
    return max(number, SILENT) if math.isfinite(number) else SILENT


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else SILENT


def _spread(ordered: list[float]) -> float:
    """The 10th to 90th percentile distance of sorted values."""
    return round(_percentile(ordered, 0.9) - _percentile(ordered, 0.1), 1)


def _per_second(frames: list[tuple[float, float, float]], column: int) -> list[float]:
    """The frame-log values at the end of each whole second (index i: second i..i+1)."""
    values: dict[int, float] = {}
    for frame in frames:
        second = round(frame[0])
        if abs(frame[0] - second) < 0.05 and second >= 1:
            values[second - 1] = frame[column]
    return [values.get(i, SILENT) for i in range(max(values, default=-1) + 1)]


def _frame_log(frames: list[tuple[float, float, float]]) -> str:
    """The frames as ``Analysis.frame_log``: frame i ends at (i + 1) × 100 ms."""
    if not frames:
        return ""
    log = np.full((max(round(t / FRAME_S) for t, _, _ in frames), 2), SILENT, np.float32)
    for t, momentary, short_term in frames:
        log[round(t / FRAME_S) - 1] = (momentary, short_term)
    return base64.b64encode(log.tobytes()).decode("ascii")


def _silences(
    frames: list[tuple[float, float, float]], duration_s: float
) -> list[tuple[float, float]]:
    """(start, end) of each stretch of at least ``SILENCE_MIN_S`` whose momentary loudness
    stays under ``SILENCE_LUFS``, from the frames (a frame at t covers t − 0.4 … t)."""
    silences: list[tuple[float, float]] = []
    start: float | None = None
    for t, momentary, _ in [*frames, (math.inf, 0.0, 0.0)]:
        if momentary < SILENCE_LUFS:
            start = max(0.0, t - 0.4) if start is None else start
            end = min(t, duration_s)
        elif start is not None:
            if end - start >= SILENCE_MIN_S:
                silences.append((round(start, 3), round(end, 3)))
            start = None
    return silences


def declared_seconds(path: Path) -> float | None:
    """The length the container's header states (mutagen), for containers that state one.

    WAV, AIFF (frame counts), FLAC (sample count), MP4 (``mvhd``), Ogg (last granule) and MP3
    only with a Xing/VBRI/LAME header: otherwise mutagen estimates from the file size.
    """
    try:
        media = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, EOFError):
        return None
    info = getattr(media, "info", None)
    if info is None or getattr(info, "sketchy", False):
        return None
    if type(info).__name__ == "MPEGInfo" and not getattr(info, "encoder_info", ""):
        if getattr(info, "bitrate_mode", 0) == 0:  # no Xing/VBRI header: a size estimate
            return None
    length = getattr(info, "length", None)
    return float(length) if length else None


def _ogg_finished(path: Path) -> bool:
    """Whether an Ogg file ends with its end-of-stream page (a cut copy does not)."""
    if path.suffix.lower() not in (".ogg", ".opus", ".oga"):
        return True
    with path.open("rb") as stream:
        stream.seek(max(0, path.stat().st_size - 65536))
        tail = stream.read()
    start = tail.rfind(b"OggS")
    if start < 0 or len(tail) < start + 27:
        return False
    segments = tail[start + 27 : start + 27 + tail[start + 26]]
    complete = len(tail) >= start + 27 + len(segments) + sum(segments)
    return complete and bool(tail[start + 5] & 0x04)
