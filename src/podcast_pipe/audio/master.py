"""Mastering: one linear gain to the loudness target, a true-peak limiter, MP3 verified as encoded.

Passes over the audio (QUIRKS.md has the timings behind this plan):

1. decode + ``ebur128`` without true peak (fast): integrated loudness for the gain, and, for
   stereo input with ``channels = "auto"``, whether both channels are identical;
2. only if the gain takes peaks near the ceiling: rehearse gain + limiter into a fast meter
   (no encode) and adjust the gain, since limiting lowers the loudness (secant steps);
3. decode → numpy gain and limiter → LAME, with the encoded stream metered by
   ``ebur128=peak=true`` while it is written (see encode.py); the decoder, this process and
   the encoder run concurrently, on both cores. The input's true peak comes from the
   limiter's own 4x oversampler rather than a second meter (which would cost a core-third);
4. only if the MP3 misses the target by more than ``LOUDNESS_GOAL_LU`` or its true peak is over
   the ceiling: re-aim (lower the limiter ceiling, move the PCM target by the miss), rehearse
   again if the limiter works, and encode again.

Channels: ``auto`` keeps mono as mono and stereo as stereo, but stereo whose two channels are
identical (dual mono) is published as mono: half the bitrate for the same sound. BS.1770 counts
a mono file's single channel once, so such a file reads 3.01 dB lower than its dual-mono source;
the gain includes that, and a mono episode is mastered to the same ``loudness`` as read by
``ebur128`` on the published file (shows that follow the AES advice of −19 LUFS for mono set
``loudness = -19``).
"""

from __future__ import annotations

import math
import queue
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..config import AudioSettings
from ..errors import AudioError
from ..ffmpeg import FFmpeg
from ..files import atomic_path
from .decode import Program, check_complete, read_pcm
from .encode import Encoder, Mp3Format
from .limiter import LimiterStats, TruePeakLimiter
from .meter import Loudness, PcmMeter, ebur128, parse_summary, require_sound

MASTER_VERSION = 2  # bump when the same inputs would master differently
# The PCM is limited this far under the ceiling: LAME raises true peaks (measured: by 1.2 dB
# over 1 h of heavily limited speech at 128 kbps, more over 3 h), and more under 96 kbps.
PEAK_MARGIN_DB = 2.0
LOW_BITRATE_MARGIN_DB = 0.5
LOUDNESS_GOAL_LU = 0.2  # encode again when the MP3 misses the target by more
LOUDNESS_TOLERANCE_LU = 0.5  # the promise (SPEC): fail rather than publish outside it
MAX_ENCODES = 3
# LAME at ≤ 160 kbps reads this much quieter than its source (measured: 997 Hz sine 0.4 LU,
# pink noise 0.3 LU, speech about 0.4 LU; 320 kbps: none). Aiming that much higher first
# saves most second encodes; the measurement of the MP3 still decides.
LAME_LOSS_LU = 0.35
LIMITER_LIKELY_DB = 3.0  # true peak can be this far over the sample peak
TRACK_DB = 3.5  # blocks this close to the sample peak may hold the true peak
REHEARSALS = 3
REHEARSAL_GOAL_LU = 0.15  # the meter reads to 0.1 LU
TRUSTED_STEP_LU = 0.3
REHEARSAL_SEGMENT_S = 6.0
REHEARSAL_SAMPLING_S = 600  # sample one segment in 2 from this length, in 3 from twice it…
CHUNK_FRAMES = 65536
DUAL_MONO_DB = 10 * math.log10(2)  # identical stereo → mono reads this much lower (BS.1770)
_MAX_VOLUME = re.compile(r"max_volume: (\S+) dB")

Progress = Callable[[float], None]  # fraction done, 0..1


@dataclass(frozen=True)
class MasterResult:
    """Figures of one mastered programme (the MP3 itself is at the ``out`` path given)."""

    input: Loudness  # the programme before gain, in the output's channel layout
    output: Loudness  # the encoded MP3, as ebur128=peak=true reads it
    gain_db: float
    limiter: LimiterStats
    format: Mp3Format
    encodes: int


def master(
    program: Program,
    settings: AudioSettings,
    out: Path,
    *,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> MasterResult:
    """Master ``program`` into ``out`` (written atomically); AudioError if it cannot be done."""
    report = on_progress or (lambda fraction: None)
    measured, channels = analyse(program, settings, exe=exe, on_progress=lambda f: report(0.1 * f))
    fmt = Mp3Format(channels, settings.sample_rate, settings.bitrate_for(channels))
    # What the limited PCM should read, so that the MP3 reads the target.
    target = settings.loudness + (LAME_LOSS_LU if fmt.bitrate_kbps <= 160 else 0.0)
    ceiling_db = settings.true_peak - PEAK_MARGIN_DB
    if fmt.bitrate_kbps < 96:
        ceiling_db -= LOW_BITRATE_MARGIN_DB
    search = GainSearch(target - measured.integrated)
    with atomic_path(out) as temp:
        for attempt in range(1, MAX_ENCODES + 1):
            if measured.sample_peak + search.gain_db > ceiling_db - LIMITER_LIKELY_DB:
                _fit_gain(search, program, fmt, ceiling_db, target, exe=exe,
                          on_progress=lambda f: report(0.1 + 0.2 * f))  # fmt: skip
            output, limiter, true_peak = render(
                program, fmt, search.gain_db, ceiling_db, temp, exe=exe,
                sample_peak_db=measured.sample_peak,
                on_progress=lambda f: report(0.3 + 0.7 * f),
            )  # fmt: skip
            miss = settings.loudness - output.integrated
            over = output.true_peak - settings.true_peak
            if abs(miss) <= LOUDNESS_GOAL_LU and over <= 0 or attempt == MAX_ENCODES:
                break
            # LAME's real loss was not the guess, or it raised the peaks too far: aim again.
            target += miss
            search.gain_db += miss
            if over > 0:
                ceiling_db -= over + 0.2
                search.forget()
        if abs(miss) > LOUDNESS_TOLERANCE_LU or over > 0:
            raise AudioError(
                f"could not master to {settings.loudness} LUFS / {settings.true_peak} dBTP: the "
                f"MP3 reads {output.integrated} LUFS, {output.true_peak} dBTP",
                path=program.main.path,
                hint="lower [audio] true_peak or loudness, or check the recording for clipping",
            )
    source = replace(measured, true_peak=true_peak, duration_s=output.duration_s)
    return MasterResult(source, output, round(search.gain_db, 2), limiter, fmt, attempt)


def _fit_gain(
    search: GainSearch,
    program: Program,
    fmt: Mp3Format,
    ceiling_db: float,
    target: float,
    *,
    exe: str | None,
    on_progress: Progress,
) -> None:
    """Rehearse gain + limiter until the PCM reads ``target`` (the limiter lowers loudness).

    A step from a miss of at most ``TRUSTED_STEP_LU`` is taken without rehearsing it: with
    any slope from 0.4 to 1 it lands within 0.13 LU, and the MP3 is measured anyway.
    """
    for _ in range(REHEARSALS):
        level = rehearse(program, fmt, search.gain_db, ceiling_db, exe=exe, on_progress=on_progress)
        miss = round(abs(target - level), 2)
        if miss <= REHEARSAL_GOAL_LU:
            return
        search.step(level, target)
        if miss <= TRUSTED_STEP_LU:
            return


class GainSearch:
    """The gain for a target level when the limiter makes loudness grow slower than gain.

    Secant steps on (gain, level) pairs; the slope is kept within [0.2, 1] and remembered
    when the limiter's ceiling changes (the pairs are not). It starts at 0.7: rehearsals only
    run when the limiter works, and then loudness lags gain.
    """

    def __init__(self, gain_db: float) -> None:
        self.gain_db = gain_db
        self.slope = 0.7
        self._last: tuple[float, float] | None = None

    def step(self, level: float, target: float) -> None:
        """Record the level reached at the current gain and move towards the target."""
        if self._last and self._last[0] != self.gain_db:
            slope = (level - self._last[1]) / (self.gain_db - self._last[0])
            self.slope = min(1.0, max(0.2, slope))
        self._last = (self.gain_db, level)
        self.gain_db += (target - level) / self.slope

    def forget(self) -> None:
        """The curve changed (a new ceiling): keep the slope, drop the last point."""
        self._last = None


def analyse(
    program: Program,
    settings: AudioSettings,
    *,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> tuple[Loudness, int]:
    """Pass 1: the programme's loudness and sample peak in the output layout, and that layout."""
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
    outputs = ["-map", "[m]", "-f", "null", "-"]
    if detect:
        # L − R is all zeros exactly when the channels are identical (dual mono).
        graph += f";[prog]asplit[a][b];[a]{ebur128('programme', true_peak=False)}[m]"
        graph += ";[b]pan=mono|c0=c0-c1,volumedetect[d]"
        outputs += ["-map", "[d]", "-f", "null", "-"]
    else:
        graph += f";[prog]{ebur128('programme', true_peak=False)}[m]"
    if tapped:
        graph += f";[own]{ebur128('episode', true_peak=False)}[e]"
        outputs += ["-map", "[e]", "-f", "null", "-"]
    process = FFmpeg(
        [*program.inputs(), "-filter_complex", graph, *outputs],
        subject=program.main.path,
        exe=exe,
        on_progress=_fraction(program, on_progress),
    )
    stderr = process.wait()
    loudness = parse_summary(stderr, process.last_time, "ebur128@programme")
    own = parse_summary(stderr, instance="ebur128@episode") if tapped else loudness
    require_sound(own, program.main.path)
    if not tapped and program.trim == (0.0, None):
        check_complete(program.main, process.last_time)
    difference = _MAX_VOLUME.search(stderr)
    if detect and difference and float(difference.group(1)) <= -90:
        channels = 1
        loudness = replace(loudness, integrated=round(loudness.integrated - DUAL_MONO_DB, 1))
    return loudness, channels


def render(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    ceiling_db: float,
    out: Path,
    *,
    sample_peak_db: float = math.inf,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> tuple[Loudness, LimiterStats, float]:
    """Decode → gain → true-peak limiter → MP3 at ``out``.

    Returns the MP3's loudness, the limiter's figures and the input's true peak, which the
    limiter's oversampler finds in the blocks within ``TRACK_DB`` of the input's sample peak.
    """
    encoder = Encoder(out, fmt, subject=program.main.path, exe=exe)
    track_db = sample_peak_db + gain_db - TRACK_DB
    limiter = TruePeakLimiter(ceiling_db, fmt.sample_rate, fmt.channels, track_db)
    output = _stream(program, fmt, gain_db, limiter, encoder, exe=exe, on_progress=on_progress)
    return output, limiter.stats, round(limiter.true_peak_db - gain_db, 1)


def rehearse(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    ceiling_db: float,
    *,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> float:
    """Integrated loudness after gain and limiter, without encoding.

    A long programme is sampled by the decoder: one ``REHEARSAL_SEGMENT_S`` stretch in 2
    (10 min and more) up to 1 in 4 (30 min and more). Loudness is an average: minutes of
    audio estimate it well, for a fraction of the cost.
    """
    meter = PcmMeter(fmt.channels, fmt.sample_rate, subject=program.main.path, exe=exe)
    seconds = sum(part.duration_s or 0 for part in program.parts)
    every = min(4, 1 + int(seconds // REHEARSAL_SAMPLING_S))
    period = every * REHEARSAL_SEGMENT_S
    keep = f"aselect='lt(mod(t\\,{period})\\,{REHEARSAL_SEGMENT_S})'" if every > 1 else ""
    limiter = TruePeakLimiter(ceiling_db, fmt.sample_rate, fmt.channels)
    return _stream(
        program, fmt, gain_db, limiter, meter, exe=exe, on_progress=on_progress, select=keep
    ).integrated


def _stream(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    limiter: TruePeakLimiter,
    sink: Encoder | PcmMeter,
    *,
    exe: str | None,
    on_progress: Progress | None,
    select: str = "",
) -> Loudness:
    """Pipe the decoded programme through gain and limiter into ``sink``; what it measured.

    The decoder, this process (numpy) and the sink run at once, on both cores. ``select``
    is a filter that lets the decoder drop part of the programme.
    """
    layout = "mono" if fmt.channels == 1 else "stereo"
    graph = program.graph(layout, fmt.sample_rate, out="pcm")
    if select:
        graph = program.graph(layout, fmt.sample_rate) + f";[prog]{select}[pcm]"
    decoder = FFmpeg(
        [*program.inputs(), "-filter_complex", graph, "-map", "[pcm]", "-f", "f32le", "pipe:1"],
        subject=program.main.path,
        exe=exe,
        stdout=subprocess.PIPE,
        on_progress=_fraction(program, on_progress),
    )
    gain = np.float32(10 ** (gain_db / 20))
    frames = 0
    try:
        with _Writer(sink.stdin) as writer:
            for block in read_pcm(decoder, fmt.channels, CHUNK_FRAMES):
                frames += len(block)
                writer.put(limiter.process(block * gain))
            writer.put(limiter.flush())
        decoder.wait()
        output = sink.finish(frames / fmt.sample_rate)
    except BrokenPipeError:
        sink.finish(0.0)  # raises FFmpegError with the sink's own reason
        raise
    except BaseException:
        decoder.kill()
        sink.kill()
        raise
    if frames == 0:
        raise AudioError(
            "decodes to no audio at all", path=program.main.path, hint="export it again"
        )
    return output


class _Writer:
    """Writes blocks to the encoder on its own thread, so numpy works while LAME encodes."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.blocks: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, block) -> None:
        if self.error:
            raise self.error
        self.blocks.put(np.ascontiguousarray(block, dtype="<f4"))

    def _run(self) -> None:
        while (data := self.blocks.get()) is not None:
            if self.error is None:
                try:
                    self.stream.write(data)
                except OSError as exc:  # the encoder died; its stderr says why
                    self.error = exc

    def __exit__(self, *exc_info) -> None:
        self.blocks.put(None)
        self.thread.join()
        if self.error and not exc_info[0]:
            raise self.error


def _fraction(program: Program, on_progress: Progress | None) -> Callable[[float], None] | None:
    """Turn ffmpeg's seconds done into a fraction of the programme's expected length."""
    total = sum(part.duration_s or 0 for part in program.parts)
    if on_progress is None or total <= 0:
        return None
    return lambda seconds: on_progress(min(1.0, seconds / total))
