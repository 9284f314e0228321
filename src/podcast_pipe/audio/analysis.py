"""Pass 1 of mastering: the programme's loudness, 100 ms frames and channel layout.

An episode mastered alone (no intro, outro or trim; mono or stereo) reuses what ``check``
measured of its file (analyze.py, cached by content hash): no decode. Otherwise one decode of the whole programme through ``ebur128`` without true peak (fast),
logging its frames (the inspector's timeline, the leveler's plan, the noise floor); for stereo
with ``channels = "auto"``, the energy of L − R against L + R on a 1 kHz copy (dual mono:
published as mono); for ``dehum``/``highpass``, a 1 kHz tap of the low band read here
(process.LowBand).
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..config import AudioSettings
from ..ffmpeg import TO_PIPE
from . import analyze
from .decode import Program, read_pcm
from .findings import dual_mono, file_error, limit, truncation_error
from .meter import Frames, Loudness, MeteredFFmpeg, ebur128, parse_summary, require_sound
from .process import LowBand, LowBandFigures

MONO_DB = 10 * math.log10(2)  # dual-mono stereo → mono reads this much lower (BS.1770)
_RMS = re.compile(r"\[astats@dual @ 0x[0-9a-f]+\] RMS level dB: (\S+)")
CHUNK_FRAMES = 65536

Progress = Callable[[float], None]  # fraction done, 0..1


@dataclass(frozen=True)
class Analysis:
    """Pass 1: the programme's loudness in the output layout, that layout, its frames."""

    loudness: Loudness
    channels: int
    frames: Frames  # momentary and short-term, in the output layout
    low_band: LowBandFigures | None = None  # the 1 kHz tap's findings (dehum, highpass)


def analyse(
    program: Program,
    settings: AudioSettings,
    *,
    checked: analyze.Analysis | None = None,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> Analysis:
    """Pass 1: the programme's loudness, frames and sample peak in the output layout.

    ``checked``: ``check``'s analysis of the episode's file, used when it says all there is to
    know (see the module's docstring)."""
    if checked is not None and (reused := _reuse(checked, program, settings)) is not None:
        return reused
    channels_in = max(part.channels for part in program.parts)
    detect = settings.channels == "auto" and channels_in == 2
    if settings.channels == "auto":
        channels = 1 if channels_in == 1 else 2
    else:
        channels = int(settings.channels)
    layout = "mono" if channels == 1 else "stereo"
    # With an intro or outro, the episode itself is metered too: silence there is an error.
    tapped = len(program.parts) > 1
    graph = program.graph(layout, settings.sample_rate, tap="own" if tapped else "")
    meter = ebur128("programme", true_peak=False, frames=True)
    branches = [f"{meter}[m]"]
    outputs = ["-map", "[m]", "-f", "null", "-"]
    if detect:  # the energy of L − R against that of L + R, on a 1 kHz copy (as check's)
        branches.append(
            f"{analyze.LOW_COPY},pan=stereo|c0=c0-c1|c1=c0+c1,astats@dual={_RMS_ONLY}[d]"
        )
        outputs += ["-map", "[d]", "-f", "null", "-"]
    tap = LowBand() if {"dehum", "highpass"} & set(settings.process) else None
    if tap:
        branches.append(f"{tap.filters}[low]")
        outputs += ["-map", "[low]", "-f", "f32le", *TO_PIPE, "pipe:1"]
    if len(branches) > 1:
        labels = "".join(f"[b{n}]" for n in range(len(branches)))
        graph += f";[prog]asplit={len(branches)}{labels}"
        graph += "".join(f";[b{n}]{branch}" for n, branch in enumerate(branches))
    else:
        graph += f";[prog]{branches[0]}"
    if tapped:
        graph += f";[own]{ebur128('episode', true_peak=False)}[e]"
        outputs += ["-map", "[e]", "-f", "null", "-"]
    process = MeteredFFmpeg(
        [*program.inputs(), "-filter_complex", graph, *outputs],
        subject=program.main.path,
        exe=exe,
        stdout=subprocess.PIPE if tap else subprocess.DEVNULL,
        on_progress=fraction(program, on_progress),
    )
    if tap:
        for block in read_pcm(process, 1, CHUNK_FRAMES):
            tap.feed(block[:, 0])
    low_band = tap.figures() if tap else None
    stderr = process.wait()
    loudness = parse_summary(stderr, process.last_time, "ebur128@programme")
    own = parse_summary(stderr, instance="ebur128@episode") if tapped else loudness
    require_sound(own, program.main.path)
    if not tapped and program.trim == (0.0, None):
        declared = analyze.declared_seconds(program.main.path)
        if error := truncation_error(program.main.path, declared, process.last_time):
            raise error
    frames = process.frames["ebur128@programme"]
    rms = [float(v) for v in _RMS.findall(stderr)]
    if detect and len(rms) == 2 and rms[0] - rms[1] <= -limit("dual_mono_db"):
        return _as_mono(Analysis(loudness, 2, frames, low_band))
    return Analysis(loudness, channels, frames, low_band)


def _reuse(checked: analyze.Analysis, program: Program, settings: AudioSettings) -> Analysis | None:
    """Pass 1 from ``check``'s analysis of the file, when the programme is that file alone."""
    alone = len(program.parts) == 1 and program.trim == (0.0, None)
    layout = settings.channels in ("auto", str(checked.channels))
    if not (alone and layout and checked.channels in (1, 2)):
        return None
    if error := file_error(checked, program.main.path):
        raise error
    nan = float("nan")
    loudness = Loudness(checked.integrated, checked.lra, nan, checked.sample_peak,
                        checked.duration_s)  # fmt: skip
    found = Analysis(loudness, checked.channels, checked.frames(), checked.low_band())
    return _as_mono(found) if settings.channels == "auto" and dual_mono(checked) else found


def _as_mono(found: Analysis) -> Analysis:
    """Dual-mono stereo published as mono: BS.1770 reads the one channel ``MONO_DB`` lower."""
    loudness = replace(found.loudness, integrated=round(found.loudness.integrated - MONO_DB, 1))
    frames = Frames(*(_shifted(values, -MONO_DB) for values in (
        found.frames.momentary, found.frames.short_term)))  # fmt: skip
    return Analysis(loudness, 1, frames, found.low_band)


_RMS_ONLY = "measure_perchannel=RMS_level:measure_overall=none"


def _shifted(values, db: float):
    """A frame array with ``db`` added (silence stays silence)."""
    out = np.frombuffer(values, np.float32).copy()
    out[out > -120] += db
    return type(values)("f", out.tobytes())


def fraction(program: Program, on_progress: Progress | None) -> Callable[[float], None] | None:
    """Turn ffmpeg's seconds done into a fraction of the programme's expected length."""
    total = sum(part.duration_s or 0 for part in program.parts)
    if on_progress is None or total <= 0:
        return None
    return lambda seconds: on_progress(min(1.0, seconds / total))
