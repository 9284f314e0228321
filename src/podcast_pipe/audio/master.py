"""Mastering: one gain to the loudness target, a true-peak limiter that only catches peaks, the
MP3's true peak brought into [ceiling − 0.5, ceiling] where it lands, an optional speech chain.

Passes over the audio:

1. analysis (analysis.py): loudness, 100 ms frames, channel layout, the chain's measurements;
   for an episode mastered alone, ``check``'s cached analysis of its file (no decode);
2. rehearsals (stream.py), only when the limiter or the chain will change the loudness:
   decode → chain → gain → limiter → LAME on a sample of the programme, at most
   ``REHEARSALS``: the loudness the MP3 will read, and the overshoot LAME makes of the limited
   peaks, which lowers the ceiling of the encode; the first also encodes each rendition, whose
   own ceiling and trim (its limiter stage, after the shared detector) it learns;
3. the encode (stream.py): decode → chain → gain → limiter → LAME (and each rendition's
   encoder), each encoded stream metered per 100 ms frame while it is written (encode.py:
   loudness by ``ebur128``, true peak by the limiter's oversampler);
4. only if the MP3's true peak is over the ceiling in a few frames: those stretches lowered in
   the MP3 itself (mp3gain.py, ``_lower_peaks``), no re-encode;
5. only if the MP3 misses the target by more than ``LOUDNESS_GOAL_LU`` or its true peak is
   still over the ceiling: encode again, the gain moved by the miss, the PCM ceiling lowered by the
   overshoot LAME showed on this programme (``_reaim``), with the renditions that missed too
   (``_reaimed``); the renditions that kept the promise are kept;
6. only for renditions still off the promise: those once more, together, without the MP3.

The gain rule: gain = target − input loudness, plus what the limiter removes, but never more
than ``[audio] max_limiter_makeup`` over target − input: a programme whose peaks would need more
limiting is published quieter, with a warning naming the fix (the leveler), not squashed.

Channels: ``auto`` keeps mono as mono and stereo as stereo, but stereo whose L − R is under
``dual_mono_db`` (findings.py) of L + R (dual mono, dithered or not) is published as mono. Mono is mastered to
``loudness_mono`` as ``ebur128`` reads the mono file (AES TD1004: −19 LUFS mono sounds as loud
as −16 stereo, since a player sends the one channel to both speakers).
"""

from __future__ import annotations

import math
from array import array
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..config import AudioSettings
from ..errors import AudioError
from ..files import atomic_path
from . import mp3gain
from .analysis import Progress, analyse
from .analyze import Analysis
from .decode import Program
from .encode import Mp3Format
from .limiter import LimiterStats
from .meter import FRAME_S, Frames, Loudness
from .process import Chain, StepFigures
from .renditions import RenditionResult, rendition_path
from .stream import (
    MAX_SAMPLING,
    Aim,
    Rehearsal,
    Render,
    rehearse,
    render,
    render_renditions,
)
from .timeline import Timeline

MASTER_VERSION = 5  # bump when the same inputs would master differently
# The PCM is limited this far under the ceiling. LAME moves true peaks by about -0.4 dB on
# band-limited speech (measured: a 16 kHz meeting, 8 kHz prompts, at 64 kbps) and by -0.3 to
# +1 dB on full-band audio: the first lands in [ceiling - 0.5, ceiling], and the frames of the
# second that overshoot get a lower ceiling and one re-encode.
CEILING_MARGIN_DB = 0.1
FRAME_LOG_DB = 0.05  # a frame's true peak is read to 0.1 dB (ebur128's figures, encode.py)
NEAR_CEILING_DB = 0.5  # a frame whose PCM peaks this close to the ceiling shows LAME's rise
GUARD_DB = 0.2  # a re-encode aims the MP3's highest frame this far under the ceiling
# ... and the encode after a rehearsal: the whole programme's highest frame lands 0.2 to 0.9 dB
# higher than a sample's (the frames LAME raises most are few, and LAME's rise of a frame
# changes from one encode to the next). Aimed at the top of [ceiling - 0.5, ceiling], the few
# frames that cross it are lowered in place (``_lower_peaks``), not encoded again: on the
# generated programmes, the MP3 lands at -1.1 (10 min, 1 in 3), -1.0 (an hour, 1 in 10),
# -1.1 (three hours, 1 in 30, one stretch lowered), -1.2 and -1.0 (the hour and 10 min with
# the speech chain, one stretch lowered), each in one encode.
SAMPLE_GUARD_DB = 0.5
# ... plus this per doubling of the sampling past 1 in MAX_SAMPLING (over an hour: the sample
# stays 6 min long, and the highest of more frames unheard is higher).
SAMPLE_GROWTH_DB = 0.15
RENDITION_GROWTH_DB = 0.3  # a rendition's highest frame grows this much per doubling unheard
LOUDNESS_GOAL_LU = 0.2  # encode again when the MP3 misses the target by more
LOUDNESS_TOLERANCE_LU = 0.5  # the promise (SPEC): fail rather than publish outside it
MAX_ENCODES = 3
# An MP3 over the ceiling in this few 100 ms frames, by at most this many 1.5 dB steps, is
# lowered there in place (mp3gain.py) rather than encoded again; more, and the limiter does it.
# What is lowered stays under this share of the programme: its loudness moves by under
# 0.05 LU, and the meter's reading of the encode stands.
MAX_LOWERED = 20
MAX_STEPS = 2
MAX_LOWERED_SHARE = 0.01
# LAME at ≤ 160 kbps reads this much quieter than its source (measured: 997 Hz sine 0.4 LU,
# pink noise 0.3 LU, speech about 0.4 LU; 320 kbps: none).
LAME_LOSS_LU = 0.35
LIMITER_LIKELY_DB = 3.0  # true peak can be this far over the sample peak
REHEARSALS = 2
REHEARSAL_GOAL_LU = 0.1
TRUSTED_STEP_LU = 0.5  # a smaller miss is corrected without rehearsing the correction


@dataclass(frozen=True)
class MasterResult:
    """Figures of one mastered programme (the MP3 itself is at the ``out`` path given).

    JSON-friendly: :meth:`to_dict` / :meth:`from_dict` round-trip it for the build record.
    """

    input: Loudness  # the programme before gain, in the output's channel layout
    output: Loudness  # the encoded MP3, as its meter reads it (encode.py)
    gain_db: float
    limiter: LimiterStats
    format: Mp3Format
    encodes: int
    target: float = -16.0  # LUFS this master aimed at (loudness or loudness_mono)
    warnings: tuple[str, ...] = ()  # for the producer: figures and the setting that fixes it
    chain: tuple[StepFigures, ...] = ()  # what each [audio] process step did
    timeline: Timeline = field(default_factory=Timeline)
    renditions: tuple[RenditionResult, ...] = ()  # the other encodings, beside the MP3
    cpu_s: float = 0.0  # CPU seconds (user + system) of the MP3's encoder, every encode summed
    lowered: int = 0  # stretches of the MP3 lowered in place where it crossed the ceiling


def master(
    program: Program,
    settings: AudioSettings,
    out: Path,
    *,
    checked: Analysis | None = None,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> MasterResult:
    """Master ``program`` into ``out`` (written atomically), and each of ``[audio] renditions``
    beside it (``rendition_path``) from the same PCM; AudioError if it cannot be done.

    ``checked``: ``check``'s analysis of the episode's file (spares pass 1 where it can)."""
    report = on_progress or (lambda fraction: None)
    found = analyse(program, settings, checked=checked, exe=exe,
                    on_progress=lambda f: report(0.1 * f))  # fmt: skip
    fmt = Mp3Format(found.channels, settings.sample_rate, settings.bitrate_for(found.channels))
    target = settings.loudness_mono if fmt.channels == 1 else settings.loudness
    chain = Chain(settings.process, found.loudness.integrated, found.frames, found.low_band)
    lame = LAME_LOSS_LU if fmt.bitrate_kbps <= 160 else 0.0
    ceiling_db = settings.true_peak - CEILING_MARGIN_DB
    levelled = found.loudness.integrated + chain.loudness_shift
    gain = GainRule(target, levelled, settings.max_limiter_makeup, lame)
    # Renditions start where the MP3 does, less the loudness LAME alone loses.
    names = [name for name in settings.renditions if name != "mp3"]
    aims = {name: Aim(ceiling_db, -lame) for name in names}
    likely = found.loudness.sample_peak + gain.db + chain.max_boost_db
    if chain.active or likely > ceiling_db - LIMITER_LIKELY_DB:
        scratch = out.with_name(f".{out.name}.rehearsal")
        ceiling_db = _fit_gain(gain, program, fmt, ceiling_db, settings.true_peak, chain,
                               scratch, aims, exe=exe, on_progress=lambda f: report(0.1 + 0.2 * f))  # fmt: skip
    with ExitStack() as files:
        temp = files.enter_context(atomic_path(out))
        paths = {
            name: files.enter_context(atomic_path(rendition_path(out, name))) for name in names
        }
        results: dict[str, RenditionResult] = {}  # each rendition's latest encode, CPU summed
        cpu_s = 0.0  # the MP3 encoder's, every encode
        lowered = 0
        for attempt in range(1, MAX_ENCODES + 1):
            pending = {name: (paths[name], aims[name]) for name in aims}
            done = render(
                program, fmt, gain.db, ceiling_db, temp, chain, exe=exe,
                sample_peak_db=found.loudness.sample_peak, renditions=pending,
                on_progress=lambda f: report(0.3 + 0.7 * f),
            )  # fmt: skip
            cpu_s += done.cpu_s
            for r in done.renditions:
                before = results.get(r.name)
                spent = before.cpu_s + r.cpu_s if before else r.cpu_s
                results[r.name] = replace(r, cpu_s=round(spent, 2), encodes=attempt)
            miss = target - done.output.integrated
            retune = abs(miss) > LOUDNESS_GOAL_LU and not (miss > 0 and gain.capped)
            # A capped MP3 is published quieter (warned about): its renditions follow its level.
            level = min(target, done.output.integrated) if gain.capped else target
            aims = {
                name: _reaimed(aim, results[name].output, level, settings.true_peak, gain.slope)
                for name, aim in aims.items()
                if results[name].misses(level, settings.true_peak)
            }
            if done.output.true_peak > settings.true_peak and not retune:
                fixed = _lower_peaks(done, temp, settings.true_peak, fmt, program, exe=exe)
                if fixed:
                    done, lowered = fixed
            if not (retune or done.output.true_peak > settings.true_peak) or attempt == MAX_ENCODES:
                break
            if retune:
                gain.move(miss)
            if done.output.true_peak > settings.true_peak:
                ceiling_db -= _reaim(done, ceiling_db, settings.true_peak)
        _check(program, settings, target, done.output, gain)
        if aims:  # renditions off the promise still: once more, together, without the MP3
            pending = {name: (paths[name], aim) for name, aim in aims.items()}
            for again in render_renditions(program, fmt, gain.db, chain, pending, exe=exe,
                                           on_progress=lambda f: report(0.3 + 0.7 * f)):  # fmt: skip
                first = results[again.name]
                results[again.name] = replace(again, cpu_s=round(first.cpu_s + again.cpu_s, 2),
                                              encodes=first.encodes + 1)  # fmt: skip
        done = replace(done, renditions=tuple(results[name] for name in names))
    source = replace(
        found.loudness,
        true_peak=round(done.limiter.true_peak_db - gain.db - chain.max_boost_db, 1),
        duration_s=done.output.duration_s,
    )
    return MasterResult(
        source,
        done.output,
        round(gain.db, 2),
        done.limiter.stats,
        fmt,
        attempt,
        target,
        _warnings(settings, target, done, gain, level),
        chain.figures(done.frames, gain.db),
        _timeline(found.frames, done, gain.db, chain),
        done.renditions,
        round(cpu_s, 2),
        lowered,
    )


class GainRule:
    """The gain: ``target − input`` (``start``) plus what LAME, the limiter and the chain take
    away, but at most ``makeup`` over ``start``. It starts at ``start`` + LAME's usual loss;
    ``slope``: how much loudness a dB of gain still adds."""

    def __init__(self, target: float, input_lufs: float, makeup: float, lame_loss: float) -> None:
        self.start = target - input_lufs
        self.cap = self.start + makeup
        self.aim = target
        self.db = min(self.cap, self.start + lame_loss)
        self.slope = 1.0

    @property
    def capped(self) -> bool:
        return self.db >= self.cap - 0.01

    def move(self, miss: float) -> None:
        """Add gain for a loudness miss, at the slope last seen."""
        self.db = min(self.cap, self.db + miss / self.slope)

    def learn(self, before: tuple[float, float], after: tuple[float, float]) -> None:
        """The slope between two (gain, level) points, kept within [0.3, 1]."""
        if after[0] != before[0]:
            self.slope = min(1.0, max(0.3, (after[1] - before[1]) / (after[0] - before[0])))


def _fit_gain(
    gain: GainRule,
    program: Program,
    fmt: Mp3Format,
    ceiling_db: float,
    true_peak: float,
    chain: Chain,
    scratch: Path,
    aims: dict[str, Aim],
    *,
    exe: str | None,
    on_progress: Progress,
) -> float:
    """Rehearse chain + gain + limiter + the encoders (sampled), at most ``REHEARSALS`` times,
    moving the gain by the level missed (the limiter and the chain lower the loudness, LAME
    too, and a lowered ceiling: as much as the rehearsal's probe read, ``loss_per_db``).
    Returns the ceiling for the encode, lowered by ``_overshoot``: the whole programme's
    highest lands higher than the sample's, the more so the thinner the sample
    (``_sampled_growth``). Each rendition's aim in ``aims`` is learned in the first rehearsal:
    its ceiling lowered the same way, its trim set to read as the MP3."""
    last: tuple[float, float] | None = None
    for _ in range(REHEARSALS):
        aimed = {"mp3": Aim(ceiling_db), **({} if last else aims)}  # renditions: once
        heard = rehearse(program, fmt, gain.db, chain, scratch, aimed, exe=exe,
                         on_progress=on_progress)  # fmt: skip
        mp3 = heard.pop("mp3")
        # LAME raised the limited peaks (or kept them: frames are read to 0.1 dB): keep its
        # margin. On band-limited speech it lowers them, and the ceiling stays.
        lowered = 0.0
        if mp3.highest_db > ceiling_db - FRAME_LOG_DB:
            lowered = _overshoot(mp3, true_peak, _sampled_growth(mp3))
            ceiling_db -= lowered
        level = mp3.level - lowered * mp3.loss_per_db  # what the MP3 will read at that ceiling
        for name, rendition in heard.items():
            lower = max(0.0, _overshoot(rendition, true_peak, _unheard_growth(rendition)))
            louder = level - rendition.level + lower * mp3.loss_per_db
            aims[name] = aims[name].moved(-lower, louder)
        if last:
            gain.learn(last, (gain.db, level))
        last = (gain.db, level)
        miss = gain.aim - level
        if abs(miss) <= REHEARSAL_GOAL_LU or (miss > 0 and gain.capped):
            break
        gain.move(miss)
        if abs(miss) <= TRUSTED_STEP_LU:  # the slope is near 1 this close: the MP3 checks it
            break
    return ceiling_db


def _overshoot(heard: Rehearsal, true_peak: float, more_db: float = 0.0) -> float:
    """How far to lower a PCM ceiling so that the sample's highest frame sits
    ``SAMPLE_GUARD_DB`` (+ ``more_db``) under ``true_peak``. The MP3 is lowered only where
    LAME raised the limited peaks (on band-limited speech it lowers them); a rendition whenever
    it comes that close."""
    return heard.highest_db - (true_peak - SAMPLE_GUARD_DB - more_db)


def _sampled_growth(heard: Rehearsal) -> float:
    """How much higher the MP3's highest frame reads on the whole programme than on a sample
    thinner than 1 in ``MAX_SAMPLING`` (``SAMPLE_GUARD_DB`` covers the rest)."""
    return SAMPLE_GROWTH_DB * math.log2(max(1.0, heard.every / MAX_SAMPLING))


def _unheard_growth(heard: Rehearsal) -> float:
    """How much higher a rendition's highest frame reads on the whole programme than on the
    sample: Opus and AAC overshoot limited peaks by up to 2.5 dB, more erratically than LAME,
    and the highest of more frames is higher (measured on the generated hour, 1 in 10 sampled:
    0.6 dB more than ``SAMPLE_GUARD_DB``; on the 10-minute one, 1 in 3: none)."""
    return RENDITION_GROWTH_DB * math.log2(heard.every)


def _reaim(done: Render, ceiling_db: float, true_peak: float) -> float:
    """How far to lower the PCM ceiling after an MP3 crossed ``true_peak``: so that the next
    MP3 peaks near ``true_peak − GUARD_DB``, given the most LAME raised a frame whose PCM
    peaked within ``NEAR_CEILING_DB`` of the ceiling (such peaks are limited to the ceiling
    next time, and LAME raises them as much), and at least the highest frame's crossing.
    (LAME's overshoot of a frame changes from one encode to the next by as much as it varies
    between frames, so lowering only the frames that crossed moves the crossing elsewhere.)"""
    peaks = np.frombuffer(done.frames.true_peak, np.float32).astype(np.float64)
    highest = float(np.nanmax(peaks)) if np.isfinite(peaks).any() else true_peak
    lower = highest - (true_peak - GUARD_DB)
    pcm = done.limiter.region_peaks_db
    count = min(len(peaks), len(pcm))
    # ebur128's frames lag the PCM by LAME's delay: a frame's PCM peak is its neighbours' too.
    padded = np.concatenate([[-np.inf], pcm[:count], [-np.inf]])
    around = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    near = (around >= ceiling_db - NEAR_CEILING_DB) & np.isfinite(peaks[:count])
    if near.any():
        raised = float(np.max(peaks[:count][near] - around[near]))
        lower = max(lower, ceiling_db + raised - (true_peak - GUARD_DB))
    return max(0.0, lower)


def _lower_peaks(
    done: Render, mp3: Path, true_peak: float, fmt: Mp3Format, program: Program, *, exe: str | None
) -> tuple[Render, int] | None:
    """The MP3 at ``mp3`` lowered in place (mp3gain.py) where its 100 ms frames cross
    ``true_peak``, by as many 1.5 dB steps as bring each stretch ``GUARD_DB`` under it, and
    the stretches decoded again; the encode with its new true peaks, and how many stretches.
    None (the file untouched) where a re-encode is the better master: more than
    ``MAX_LOWERED`` frames over, or ``MAX_LOWERED_SHARE`` of the programme to lower, one over
    by more than ``MAX_STEPS`` steps, a stretch still over once lowered, or a file this does
    not edit."""
    peaks = np.frombuffer(done.frames.true_peak, np.float32).astype(np.float64)
    over = np.flatnonzero(peaks > true_peak)
    if not 0 < len(over) <= MAX_LOWERED:
        return None
    layout = mp3gain.read_layout(mp3)
    if layout is None:
        return None
    period = round(FRAME_S * fmt.sample_rate)
    stretches = _stretches(layout, over, peaks, period, true_peak)
    lowered = sum(len(frames) for frames, _ in stretches) * layout.samples
    if lowered > MAX_LOWERED_SHARE * len(peaks) * period or any(
        steps > MAX_STEPS for _, steps in stretches
    ):
        return None
    spans, undo = [], []
    for frames, steps in stretches:
        undo += mp3gain.lower(mp3, layout, frames, steps)
        start, end = layout.reached(frames)
        spans.append((start // period * period, -(-end // period) * period))
    read = mp3gain.true_peaks(mp3, layout, spans, period, fmt.channels, exe=exe,
                              subject=program.main.path)  # fmt: skip
    for (start, _), values in zip(spans, read, strict=True):
        first = start // period
        count = min(len(values), len(peaks) - first)
        with np.errstate(divide="ignore"):
            peaks[first : first + count] = np.round(20 * np.log10(values[:count]), 1)
    highest = round(float(np.nanmax(peaks)), 1)
    if highest > true_peak:
        mp3gain.restore(mp3, undo)
        return None
    frames = replace(done.frames, true_peak=array("f", peaks.astype(np.float32).tobytes()))
    # The sample peak was the meter's, of the stretches lowered or under them: at most this.
    output = replace(done.output, true_peak=highest,
                     sample_peak=min(done.output.sample_peak, highest))  # fmt: skip
    return replace(done, output=output, frames=frames), len(spans)


def _stretches(
    layout: mp3gain.Layout, over: np.ndarray, peaks: np.ndarray, period: int, true_peak: float
) -> list[tuple[range, int]]:
    """The MP3 frames reaching each meter frame in ``over`` (merged where they meet), and the
    steps each stretch is lowered by."""
    merged: list[tuple[range, int]] = []
    for index in over:
        frames = layout.reaching(int(index) * period, (int(index) + 1) * period)
        steps = math.ceil((peaks[index] - (true_peak - GUARD_DB)) / mp3gain.STEP_DB)
        if merged and merged[-1][0].stop >= frames.start:
            last, most = merged[-1]
            merged[-1] = (range(last.start, max(last.stop, frames.stop)), max(most, steps))
        else:
            merged.append((frames, steps))
    return merged


def _reaimed(aim: Aim, read: Loudness, level: float, true_peak: float, slope: float) -> Aim:
    """A rendition's aim after its file read ``read``: over the ceiling, its limiter's ceiling
    is lowered so that its highest peak lands ``GUARD_DB`` under it (the limiter, not the trim,
    takes the overshoot: the peaks come down, the loudness mostly stays); the trim moves by
    the loudness missed plus what the lower ceiling takes (1 − ``slope`` of it)."""
    lower = read.true_peak - (true_peak - GUARD_DB) if read.true_peak > true_peak else 0.0
    return aim.moved(-lower, level - read.integrated + lower * (1 - slope))


def _check(
    program: Program, settings: AudioSettings, target: float, output: Loudness, gain: GainRule
) -> None:
    """The promise: at the target within the tolerance (unless the gain rule stopped it, which
    is warned about) and under the ceiling."""
    miss = target - output.integrated
    if (abs(miss) > LOUDNESS_TOLERANCE_LU and not (miss > 0 and gain.capped)) or (
        output.true_peak > settings.true_peak
    ):
        raise AudioError(
            f"could not master to {target} LUFS / {settings.true_peak} dBTP: the "
            f"MP3 reads {output.integrated} LUFS, {output.true_peak} dBTP",
            path=program.main.path,
            hint="lower [audio] true_peak or loudness, or check the recording for clipping",
        )


def _warnings(
    settings: AudioSettings, target: float, done: Render, gain: GainRule, level: float
) -> tuple[str, ...]:
    """Producer-readable: why the master (or a rendition, aimed at ``level``) is not at the
    target, and the setting that fixes it."""
    others = tuple(
        warning
        for rendition in done.renditions
        if (warning := rendition.warning(level, settings.true_peak))
    )
    output = done.output
    miss = target - output.integrated
    if miss <= LOUDNESS_GOAL_LU or not gain.capped:
        return others
    limit = settings.max_limiter_makeup
    if "leveler" in settings.process:
        fix = (
            "its peaks stand far above its loudness even after the leveler; raise "
            "[audio] max_limiter_makeup (it squashes peaks) or lower the target"
        )
    else:
        fix = 'turn on the leveler with [audio] process = ["leveler"]'
    return (
        f"reached {output.integrated:.1f} LUFS, not {target:g}: the limiter would have to take "
        f"more than {limit:g} dB; {fix}",
        *others,
    )


def _timeline(found: Frames, done: Render, gain_db: float, chain: Chain) -> Timeline:
    """Per-second curves: the source after gain (and leveler) and the published file."""
    seconds = len(done.limiter.per_second_db)
    source_gain = gain_db + chain.frame_gains(len(found.momentary))
    return Timeline(
        momentary_in=_per_second(found.momentary, np.max, source_gain, seconds),
        short_term_in=_per_second(found.short_term, _last, source_gain, seconds),
        momentary_out=_per_second(done.frames.momentary, np.max, 0.0, seconds),
        short_term_out=_per_second(done.frames.short_term, _last, 0.0, seconds),
        true_peak_out=_per_second(done.frames.true_peak, np.max, 0.0, seconds),
        gain_reduction_db=done.limiter.per_second_db,
    )


def _last(values: np.ndarray, axis: int) -> np.ndarray:
    return values[:, -1]


def _per_second(values, pick, offset, seconds: int) -> list[float]:
    """Ten frames a second → one value (silence, under -120, stays at Timeline's floor)."""
    frames = np.frombuffer(values, np.float32).astype(np.float64)
    if len(frames) == 0:
        return []
    frames = np.where(
        frames > -120, frames + np.broadcast_to(offset, frames.shape)[: len(frames)], -120.0
    )
    padded = np.full(seconds * 10, -120.0)
    usable = min(len(padded), len(frames))
    padded[:usable] = frames[:usable]
    if usable < len(padded):
        padded[usable:] = frames[usable - 1]
    return [round(float(v), 1) for v in pick(padded.reshape(seconds, 10), axis=1)]
