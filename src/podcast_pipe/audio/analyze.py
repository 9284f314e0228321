"""One fast decode pass per audio file, so ``check`` knows every file is real, complete audio.

A single ffmpeg run meters the file (``ebur128`` without true peak, its 100 ms frame log kept
for the curves and the noise floor), finds silences (``silencedetect``), takes per-channel
statistics (``astats``: DC offset, peaks, flat runs at full scale), and in side branches the
level of L+R and L−R (dual mono, an inverted channel) and of narrow 50/60 Hz bands (mains hum).

Results are cached in ``build/.cache/analysis/`` by the file's sha256 and ``ANALYSIS_VERSION``;
an index of (size, mtime) per path spares re-hashing an unchanged file, so a second ``check``
runs no ffmpeg at all. What the figures mean for the producer is decided in ``findings``.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mutagen

from ..errors import FFmpegError
from ..ffmpeg import FFmpeg
from ..files import sha256_file, write_atomic
from .meter import parse_summary
from .timeline import SILENT

ANALYSIS_VERSION = 1  # bump when what is measured, or how, changes
CACHE = Path(".cache") / "analysis"
INDEX = "index.json"
SILENCE_DB = -50.0  # silencedetect threshold
SILENCE_MIN_S = 1.0  # shortest silence recorded (shown on the inspector's time axis)
HUM_HZ = (50, 60)  # mains frequencies
HUM_REFERENCE_HZ = (35, 85)  # bands either side: a hum is a line above its neighbourhood
TIMEOUT_S = 3600
_STREAM = re.compile(r"Stream #0:\d+.*?: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)")
_FRAME = re.compile(r"t:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(\S+)\s+S:\s*(\S+)")
_SILENCE = re.compile(r"silence_(start|end): (-?[\d.]+)")
# Builds analyse on several threads: one writer at a time for the index and the cache files
# (their temporary names are per process).
_WRITING = threading.Lock()
_STAT = re.compile(r"^\[astats@(\w+) @ 0x[0-9a-f]+\] (.+?): (\S+)$", re.M)


@dataclass(frozen=True)
class ChannelStats:
    """astats of one channel: linear DC offset, dBFS levels, consecutive samples at the peak."""

    dc_offset: float
    peak_db: float
    rms_db: float
    flat_factor: float
    peak_count: int


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
    speech_lufs: float = SILENT  # 90th percentile of momentary loudness
    noise_lufs: float = SILENT  # 10th percentile of momentary loudness (room tone, hiss)
    noise_spread_db: float = 0.0  # how much the quietest fifth varies (steady: a noise floor)
    momentary: list[float] = field(default_factory=list)  # per second, LUFS
    short_term: list[float] = field(default_factory=list)
    silences: list[tuple[float, float]] = field(default_factory=list)
    stats: list[ChannelStats] = field(default_factory=list)
    sum_rms_db: float = SILENT  # L+R, stereo only
    difference_rms_db: float = SILENT  # L−R
    hum_db: dict[str, float] = field(default_factory=dict)  # by Hz: line over its neighbours

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["stats"] = [ChannelStats(**s) for s in data.get("stats", [])]
        data["silences"] = [tuple(s) for s in data.get("silences", [])]
        return cls(**data)


def analyze(path: Path, build_dir: Path, *, exe: str | None = None) -> Analysis:
    """The analysis of ``path``: from the cache when its content was analysed before."""
    cache = build_dir / CACHE
    sha256 = _hash(path, cache)
    cached = cache / f"{sha256}-v{ANALYSIS_VERSION}.json"
    try:
        return Analysis.from_dict(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    analysis = measure(path, sha256, exe=exe)
    with _WRITING:
        write_atomic(cached, json.dumps(analysis.to_dict()).encode("utf-8"))
    return analysis


def _hash(path: Path, cache: Path) -> str:
    """sha256 of the file, trusted from the index while its size and mtime are unchanged."""
    stat = path.stat()
    state = [stat.st_size, stat.st_mtime_ns]
    key = str(path.resolve())
    known = _read_index(cache).get(key)
    if known and known[:2] == state:
        return known[2]
    sha256 = sha256_file(path)
    with _WRITING:
        index = _read_index(cache)
        index[key] = [*state, sha256]
        write_atomic(cache / INDEX, json.dumps(index, indent=0).encode("utf-8"))
    return sha256


def _read_index(cache: Path) -> dict[str, list]:
    try:
        return json.loads((cache / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def measure(path: Path, sha256: str = "", *, exe: str | None = None) -> Analysis:
    """Decode ``path`` once through every meter; an unreadable file gives ``unreadable``."""
    if path.stat().st_size == 0:
        return Analysis(sha256, unreadable="the file is empty (0 bytes)")
    count = 2 + len(HUM_HZ) + len(HUM_REFERENCE_HZ)
    outputs = [arg for n in range(count) for arg in ("-map", f"[o{n}]", "-f", "null", "-")]
    args = ["-i", path, "-filter_complex", _graph(), *outputs]
    process = FFmpeg(args, subject=path, exe=exe)
    try:
        text = process.wait(TIMEOUT_S, check=False)
    except FFmpegError as exc:
        return Analysis(sha256, unreadable=exc.message)
    stream = _STREAM.search(text)
    if process.process.returncode != 0 or not stream:
        failed = process.process.returncode != 0
        reason = process.reason() if failed else "no audio stream ffmpeg can decode"
        return Analysis(sha256, unreadable=reason)
    return _parse(text, path, sha256, stream, process.last_time)


def _graph() -> str:
    """Meters on the file as it is; L+R, L−R and narrow low bands on side branches."""
    main = f"ebur128=framelog=info:peak=sample,silencedetect=n={SILENCE_DB}dB:d={SILENCE_MIN_S}"
    bands = (*HUM_HZ, *HUM_REFERENCE_HZ)
    # Two narrow band-passes in series: steep enough that a line stands out of its neighbours.
    band = "bandpass=f={0}:width_type=q:w=8,bandpass=f={0}:width_type=q:w=8"
    chains = [
        f"[h{hz}]{band.format(hz)},astats@band{hz}=measure_overall=none[o{n + 2}]"
        for n, hz in enumerate(bands)
    ]
    labels = "".join(f"[h{hz}]" for hz in bands)
    return ";".join(
        [
            "[0:a:0]asplit=3[m][st][mono]",
            f"[m]{main},astats@main=measure_overall=none[o0]",
            "[st]aformat=channel_layouts=stereo,asplit[a][b]",
            "[a]pan=mono|c0=c0+c1,astats@sum=measure_overall=none[s]",
            "[b]pan=mono|c0=c0-c1,astats@difference=measure_overall=none[d]",
            "[s][d]amix=inputs=2[o1]",
            f"[mono]aformat=channel_layouts=mono,asplit={len(bands)}{labels}",
            *chains,
        ]
    )


def _hum(stats: dict[str, list[dict[str, float]]]) -> dict[str, float]:
    """How far each mains band stands above the mean power of the reference bands (dB)."""

    def level(hz: int) -> float:
        return stats.get(f"band{hz}", [{}])[0].get("RMS level dB", SILENT)

    power = sum(10 ** (level(hz) / 10) for hz in HUM_REFERENCE_HZ) / len(HUM_REFERENCE_HZ)
    reference = 10 * math.log10(power) if power > 0 else SILENT
    return {str(hz): round(level(hz) - reference, 1) for hz in HUM_HZ}


def _parse(text: str, path: Path, sha256: str, stream: re.Match, decoded_s: float) -> Analysis:
    codec, rate, layout = stream.groups()
    frames = [(float(t), _db(m), _db(s)) for t, m, s in _FRAME.findall(text)]
    loudness = parse_summary(text)
    stats = _astats(text)
    momentary = sorted(m for _, m, _ in frames if m > SILENT)
    return Analysis(
        sha256=sha256,
        codec=codec,
        sample_rate=int(rate),
        channels=len(stats.get("main", [])) or _channels(layout),
        duration_s=round(decoded_s, 3),
        declared_s=declared_seconds(path),
        finished=_ogg_finished(path),
        integrated=_finite(loudness.integrated),
        lra=_finite(loudness.lra),
        sample_peak=_finite(loudness.sample_peak),
        speech_lufs=_percentile(momentary, 0.9),
        noise_lufs=_percentile(momentary, 0.1),
        noise_spread_db=_spread(momentary[: len(momentary) // 5]),
        momentary=_per_second(frames, 1),
        short_term=_per_second(frames, 2),
        silences=_silences(text, decoded_s),
        stats=[_channel(values) for values in stats.get("main", [])],
        sum_rms_db=stats.get("sum", [{}])[0].get("RMS level dB", SILENT),
        difference_rms_db=stats.get("difference", [{}])[0].get("RMS level dB", SILENT),
        hum_db=_hum(stats),
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
    return ChannelStats(
        dc_offset=values.get("DC offset", 0.0),
        peak_db=values.get("Peak level dB", SILENT),
        rms_db=values.get("RMS level dB", SILENT),
        flat_factor=values.get("Flat factor", 0.0),
        peak_count=int(values.get("Peak count", 0)),
    )


def _channels(layout: str) -> int:
    return {"mono": 1, "stereo": 2}.get(layout.strip(), 0)


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


def _silences(text: str, duration_s: float) -> list[tuple[float, float]]:
    """(start, end) pairs; ffmpeg < 6 leaves a trailing silence without its end."""
    silences: list[tuple[float, float]] = []
    for kind, value in _SILENCE.findall(text):
        if kind == "start":
            silences.append((max(0.0, float(value)), round(duration_s, 3)))
        elif silences:
            silences[-1] = (silences[-1][0], float(value))
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
