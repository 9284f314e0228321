"""The optional speech chain, ``[audio] process``: highpass, dehum, denoise, leveler, in that order.

Everything is planned from the analysis pass (master.py), so the chain adds no pass over the
programme: the first three are ffmpeg filters in the decoder of the encode, the leveler is a
gain curve applied in numpy before the limiter.

- ``highpass``: 80 Hz, 2nd order: rumble, handling noise, plosive thumps;
- ``dehum``: notches at the 50 or 60 Hz series, only when the low band's quietest stretches
  show a hum (a 1 kHz tap of the analysis pass, :class:`LowBand`); nothing otherwise;
- ``denoise``: ffmpeg ``afftdn`` set to the noise floor of the quietest stretches;
- ``leveler``: evens out speakers and sentences: the gain brings each 3 s stretch (ebur128's
  short-term loudness) ``LEVEL_RATIO`` of the way to the programme's loudness, at most
  ±``LEVEL_MAX_DB``, frozen where the momentary loudness says pause (not pumped up), smoothed.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from .meter import FRAME_S, Frames

HIGHPASS = "highpass=f=80:p=2"
# Low-band tap: 1 kHz mono, 4 s segments (0.25 Hz bins) for the hum's lines.
TAP_RATE = 1000
SEGMENT = 4 * TAP_RATE
MAINS = (50.0, 60.0)
HARMONICS = 8
HUM_DB = 10.0  # a mains line this far over its neighbourhood is hum
# ... if it is this loud at all (a full-scale sine: 0): quieter lines are a test tone's
# distortion or rounding, inaudible after any gain (a 440 Hz sine read "hum" at 120 Hz, 96 dB
# over a neighbourhood of nothing).
HUM_MIN_DBFS = -100.0
HARMONIC_DB = 6.0  # ... and a harmonic this far over its own is notched too
QUIET_SHARE = 0.3  # the quietest segments, where hum is not masked by speech
NOTCH_HZ = 3.0
RUMBLE_HZ = 80.0
FLOOR_PERCENTILE = 10  # of the momentary loudness: the quietest stretches
AFFTDN_OFFSET_DB = 5.0  # afftdn's nf sits this far over the momentary floor (measured, hiss)
AFFTDN_NR_DB = 12.0
# A step that would master the same inputs differently bumps its version here: the cache key
# of the shows that use it changes, and no other show's (``MASTER_VERSION``: every show's).
# denoise 2: the decoder's PCM is taken in longer blocks (stream.OUT_FRAMES), and afftdn's
# first 0.5 s follows how much is asked of it at a time.
STEP_VERSIONS = {"denoise": 2}
LEVEL_RATIO = 0.8
LEVEL_MAX_DB = 10.0
GATE_LU = 20.0  # momentary this far under the programme: a pause, the leveler holds
SMOOTH_FRAMES = 10
BLOCK_S = 0.4  # ebur128's momentary block, one every FRAME_S
MIN_SAMPLED_BLOCKS = 20  # fewer sounding blocks in a sample: no correction
# A smaller shift is left alone: the limiter evens most of it out (a meeting whose sample read
# 0.19 LU louder at the input read as the whole programme once limited and encoded).
SAMPLED_SHIFT_LU = 0.5


@dataclass(frozen=True)
class StepFigures:
    """What one step did: ``db`` is its headline figure, ``what`` says it in words."""

    step: str
    what: str
    db: float


@dataclass(frozen=True)
class Hum:
    frequencies: tuple[float, ...]  # notched
    over_floor_db: float


@dataclass(frozen=True)
class LowBandFigures:
    """What the 1 kHz tap found: the mains hum (or None) and the level of the content under
    ``RUMBLE_HZ`` (dBFS, mean power); ``check``'s analysis keeps them, the chain plans from them."""

    hum: Hum | None
    rumble_level_db: float

    def rumble_db(self, integrated: float) -> float:
        """Level under ``RUMBLE_HZ`` relative to the programme's loudness (dB)."""
        return self.rumble_level_db - (integrated + 0.691)


class LowBand:
    """The analysis pass's 1 kHz tap: mains hum lines (in the quietest segments) and rumble."""

    filters = f"aformat=channel_layouts=mono,aresample={TAP_RATE},aformat=sample_fmts=flt"

    def __init__(self) -> None:
        self._buffer = np.zeros(0, np.float32)
        self._window = np.hanning(SEGMENT)
        self._full_scale = (self._window.sum() / 2) ** 2  # a full-scale sine's line power
        self._power: list[float] = []
        self._lines: list[np.ndarray] = []  # per segment: (mains, harmonic, [line, around])
        self._spectrum = np.zeros(SEGMENT // 2 + 1)
        self._bins = np.fft.rfftfreq(SEGMENT, 1 / TAP_RATE)

    def feed(self, samples: np.ndarray) -> None:
        self._buffer = np.concatenate([self._buffer, samples])
        while len(self._buffer) >= SEGMENT:
            segment, self._buffer = self._buffer[:SEGMENT], self._buffer[SEGMENT:]
            power = np.abs(np.fft.rfft(segment * self._window)) ** 2
            self._spectrum += power
            self._power.append(float(np.mean(segment.astype(np.float64) ** 2)))
            self._lines.append(self._measure_lines(power))

    def _measure_lines(self, power: np.ndarray) -> np.ndarray:
        lines = np.zeros((len(MAINS), HARMONICS, 2))
        for m, mains in enumerate(MAINS):
            for k in range(HARMONICS):
                centre = mains * (k + 1)
                offset = np.abs(self._bins - centre)
                lines[m, k, 0] = power[offset <= 0.5].max()
                lines[m, k, 1] = np.median(power[(offset >= 2) & (offset <= 6)])
        return lines

    def hum(self) -> Hum | None:
        """The mains series found in the quietest segments, or None."""
        if not self._power:
            return None
        power = np.array(self._power)
        sounding = power > 1e-12
        if not sounding.any():
            return None
        quiet = sounding & (power <= np.quantile(power[sounding], QUIET_SHARE))
        lines = np.array(self._lines)[quiet].mean(axis=0)
        with np.errstate(divide="ignore"):
            over = 10 * np.log10(lines[:, :, 0] / np.maximum(lines[:, :, 1], 1e-30))
            audible = 10 * np.log10(lines[:, :, 0] / self._full_scale) >= HUM_MIN_DBFS
        over = np.where(audible, over, -np.inf)
        mains = int(np.argmax(over[:, :2].max(axis=1)))
        if over[mains, :2].max() < HUM_DB:
            return None
        notched = [k for k in range(HARMONICS) if over[mains, k] >= HARMONIC_DB]
        frequencies = tuple(MAINS[mains] * (k + 1) for k in notched)
        return Hum(frequencies, round(float(over[mains, notched].mean()), 1))

    def figures(self) -> LowBandFigures:
        """The hum and the rumble level of what was fed."""
        total = self._spectrum.sum()
        rumble = -math.inf
        if total > 0:
            share = self._spectrum[self._bins < RUMBLE_HZ].sum() / total
            rumble = 10 * math.log10(max(float(np.mean(self._power)) * share, 1e-30))
        return LowBandFigures(self.hum(), rumble)


class Chain:
    """The steps of ``[audio] process`` planned for one programme from its analysis."""

    def __init__(
        self,
        steps: tuple[str, ...],
        integrated: float,
        frames: Frames,
        low_band: LowBandFigures | None = None,
    ) -> None:
        self.steps = steps
        self.integrated = integrated
        self.frames = frames
        filters: list[str] = []
        self._figures: list[StepFigures] = []
        self.hum = low_band.hum if low_band and "dehum" in steps else None
        self.floor = _floor(frames.momentary)
        if "highpass" in steps:
            filters.append(HIGHPASS)
            rumble = low_band.rumble_db(integrated) if low_band else -math.inf
            what = f"content under 80 Hz at {rumble:.0f} dB of the programme, filtered out"
            self._figures.append(StepFigures("highpass", what, _round(rumble)))
        for line in self.hum.frequencies if self.hum else ():
            filters.append(f"bandreject=f={line:g}:width_type=h:width={NOTCH_HZ:g}")
        if "denoise" in steps and math.isfinite(self.floor):
            nf = min(-20.0, max(-80.0, self.floor + AFFTDN_OFFSET_DB))
            filters.append(f"afftdn=nr={AFFTDN_NR_DB:g}:nf={nf:.1f}")
        self.filters = filters
        self.decoder_filters = ",".join(filters) or "anull"
        self.times, self.gains = None, None
        if "leveler" in steps and len(frames.short_term):
            self.times, self.gains = _level_plan(frames, integrated)
        self.loudness_shift = self._predicted_shift()
        self.max_boost_db = float(self.gains.max()) if self.gains is not None else 0.0
        self._sampling: tuple[float, float] | None = None
        self.select = ""  # the filter keeping a sampled programme's segments (``sampled``)

    @property
    def active(self) -> bool:
        """Whether any step changes the sound (``dehum`` finding no hum does not)."""
        return bool(self.filters) or self.gains is not None

    def sampled(self, period_s: float, segment_s: float) -> Chain:
        """The same chain on a programme sampled by :attr:`select` (one segment per period)."""
        chain = copy.copy(self)  # the plan is shared, never changed
        chain.select = f"aselect='lt(mod(t\\,{period_s})\\,{segment_s})'"
        chain._sampling = (period_s, segment_s)
        return chain

    def level(self, block: np.ndarray, start: int, rate: int) -> np.ndarray:
        """The leveler's gain on ``block``, whose first frame is frame ``start`` of the stream."""
        if self.gains is None:
            return block
        frames = start + np.arange(len(block))
        if self._sampling:
            period, segment = (round(s * rate) for s in self._sampling)
            frames = frames // segment * period + frames % segment
        gain_db = np.interp(frames / rate, self.times, self.gains)
        return block * (10 ** (gain_db / 20)).astype(np.float32)[:, None]

    def sampled_shift(self) -> float:
        """How much louder the stretches this sampled chain keeps read than the whole
        programme, after the leveler (0 unsampled, or within ``SAMPLED_SHIFT_LU``), from the
        analysis frames: a rehearsal's reading, less this, is the whole programme's.
        (Stretches taken at a fixed period can fall in step with a programme's own rhythm: a
        looped clip, a jingle every minute.)"""
        momentary = np.frombuffer(self.frames.momentary, np.float32).astype(np.float64)
        if self._sampling is None or len(momentary) == 0:
            return 0.0
        period, segment = self._sampling
        ends = np.mod((np.arange(len(momentary)) + 1) * FRAME_S + 1e-6, period)
        kept = (ends >= BLOCK_S) & (ends <= segment + 2e-6)  # 400 ms blocks inside a stretch
        levelled = momentary + self.frame_gains(len(momentary))
        if np.count_nonzero(levelled[kept] > -70) < MIN_SAMPLED_BLOCKS:
            return 0.0
        shift = _gated(levelled[kept]) - _gated(levelled)
        return shift if abs(shift) > SAMPLED_SHIFT_LU else 0.0

    def frame_gains(self, count: int) -> np.ndarray | float:
        """The leveler's gain at each ebur128 frame's 400 ms block (0 without it)."""
        if self.gains is None:
            return 0.0
        centres = (np.arange(count) + 1) * FRAME_S - 0.2
        return np.interp(centres, self.times, self.gains)

    def _predicted_shift(self) -> float:
        """How much the leveler changes the integrated loudness, from the momentary frames
        (BS.1770's gating blocks are exactly these 400 ms blocks every 100 ms)."""
        if self.gains is None:
            return 0.0
        momentary = np.frombuffer(self.frames.momentary, np.float32).astype(np.float64)
        after = momentary + self.frame_gains(len(momentary))
        return _gated(after) - _gated(momentary)

    def figures(self, output: Frames, gain_db: float) -> tuple[StepFigures, ...]:
        """Each step's figures, the ones measured on the output included."""
        figures = list(self._figures)
        if "dehum" in self.steps:
            if self.hum:
                lines = ", ".join(f"{f:g}" for f in self.hum.frequencies)
                what = f"hum {self.hum.over_floor_db:g} dB over the floor, notched at {lines} Hz"
                figures.append(StepFigures("dehum", what, self.hum.over_floor_db))
            else:
                figures.append(StepFigures("dehum", "no hum found, nothing removed", 0.0))
        if "denoise" in self.steps:
            after = _floor(output.momentary) - gain_db
            drop = self.floor - after
            what = f"noise floor {self.floor:.0f} LUFS, lowered by {drop:.1f} dB"
            figures.append(StepFigures("denoise", what, _round(drop)))
        if self.gains is not None:
            up, down = float(self.gains.max()), float(self.gains.min())
            what = f"speech levelled: up to {up:+.1f} dB, down to {down:+.1f} dB"
            figures.append(StepFigures("leveler", what, round(up - down, 1)))
        order = {step: n for n, step in enumerate(self.steps)}
        return tuple(sorted(figures, key=lambda f: order[f.step]))


def _round(value: float) -> float:
    return round(value, 1) if math.isfinite(value) else 0.0


def _floor(momentary) -> float:
    """The noise floor: a low percentile of the momentary loudness where there is any sound."""
    values = np.frombuffer(momentary, np.float32)
    sounding = values[values > -70]
    return float(np.percentile(sounding, FLOOR_PERCENTILE)) if len(sounding) else -math.inf


def _gated(momentary: np.ndarray) -> float:
    """Integrated loudness from 400 ms block loudness (BS.1770: −70 absolute, −10 relative)."""
    blocks = momentary[momentary > -70]
    if len(blocks) == 0:
        return -70.0
    power = 10 ** (blocks / 10)
    relative = 10 * np.log10(power.mean()) - 10
    return float(10 * np.log10(power[blocks > relative].mean()))


def _level_plan(frames: Frames, integrated: float) -> tuple[np.ndarray, np.ndarray]:
    """The leveler's gain curve: (times in s, gains in dB), from the analysis frames."""
    short = np.frombuffer(frames.short_term, np.float32).astype(np.float64)
    momentary = np.frombuffer(frames.momentary, np.float32).astype(np.float64)
    raw = np.clip(LEVEL_RATIO * (integrated - short), -LEVEL_MAX_DB, LEVEL_MAX_DB)
    pause = ~((momentary >= integrated - GATE_LU) & (short >= integrated - GATE_LU))  # or NaN
    # Hold the last gain through pauses (the first sound's gain before it).
    index = np.where(pause, 0, np.arange(len(raw)))
    np.maximum.accumulate(index, out=index)
    held = raw[index]
    if pause.all():
        held[:] = 0.0
    elif pause[0]:
        held[: np.argmax(~pause)] = raw[np.argmax(~pause)]
    kernel = np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES
    padded = np.concatenate(
        [np.full(SMOOTH_FRAMES // 2, held[0]), held, np.full(SMOOTH_FRAMES, held[-1])]
    )
    smooth = np.convolve(padded, kernel, "valid")[: len(held)]
    times = (np.arange(len(held)) + 1) * FRAME_S - 1.5  # the centre of each 3 s window
    return times, smooth


def step_versions(steps: tuple[str, ...]) -> list[str]:
    """The versions of the chain's steps that have one (``STEP_VERSIONS``), for cache keys."""
    return [f"{step}:{STEP_VERSIONS[step]}" for step in steps if step in STEP_VERSIONS]
