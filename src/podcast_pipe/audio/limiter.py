"""A lookahead true-peak limiter on float blocks, streaming, that touches only peaks over the ceiling.

Detector: 4× oversampling (oversample.py), run only on blocks whose sample peak comes within
``CANDIDATE_DB`` of the ceiling: the rest cannot reach it.

Gain, in steps of ``STEP`` frames (the required gain changes frame by frame, the gain that
follows it only over milliseconds): the required gain (ceiling / oversampled peak, 1 almost
always), its minimum in each step → the minimum over the lookahead (``ATTACK_S``) → a release
that lets the reduction (in dB) decay exponentially, fast (``RELEASE_FAST_S``) after an
isolated peak and slower (up to ``RELEASE_SLOW_S``) while limiting is dense, so that it neither
pumps nor distorts → a moving average as long as the lookahead, which turns the drop into a
smooth attack that is complete when the peak arrives → frame by frame, a straight line from each
step's gain to the next. Each step's gain is at most the required gain of every frame its
lookahead covers, and so is the line between two of them: no peak gets through. Every stage is
exact across block boundaries, and a signal that never reaches the ceiling comes out
bit-identical.
"""

from __future__ import annotations

import math
import operator
from array import array
from dataclasses import dataclass

import numpy as np

from .oversample import CANDIDATE_DB, HALF, Oversampler, db, extend_stretches, period_starts

ATTACK_S = 0.005  # in whole steps, rounded down
STEP = 8  # frames: the gain is computed once a step, drawn in between
RELEASE_FAST_S = 0.05
RELEASE_SLOW_S = 0.15
DENSITY_S = 0.4  # the release slows with the share of this past stretch being limited
DENSE = 0.5  # ... reaching the slow release at this share
REGION_S = 0.1  # block statistics, in ebur128's 100 ms steps
HEAVY_DB = 3.0  # "heavy" limiting, reported as a share of the programme
RESIDUAL = math.log(0.001)  # a released reduction (dB) this small ends: a -80 dB step
ACTIVE_DB = 0.1  # the limiter counts as active from this reduction on


def sliding_min(values: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = min(values[i:i+width])`` in O(n) (van Herk / Gil-Werman)."""
    n = len(values)
    padded = np.full(-(-n // width) * width, np.inf, dtype=values.dtype)
    padded[:n] = values
    blocks = padded.reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[: n - width + 1], prefix[width - 1 : n])


def _step_min(values: np.ndarray) -> np.ndarray:
    """The minimum of each ``STEP`` values, column by column: numpy's reduction along a short
    axis takes eight times as long."""
    steps = values.reshape(-1, STEP)
    least = steps[:, 0].copy()
    for column in range(1, STEP):
        np.minimum(least, steps[:, column], out=least)
    return least


def _energy(frames: np.ndarray) -> np.ndarray:
    """Sum of squares over the channels of each frame."""
    energy = np.square(frames[:, 0], dtype=np.float64)
    for channel in range(1, frames.shape[1]):
        energy += np.square(frames[:, channel], dtype=np.float64)
    return energy


@dataclass(frozen=True)
class LimiterStats:
    """What the limiter did to the programme (dB, seconds, share 0..1)."""

    max_reduction_db: float = 0.0
    limited_ms: float = 0.0  # time with more than ACTIVE_DB of gain reduction
    block_p99_db: float = 0.0  # 99th percentile of the level drop of 400 ms blocks (gated)
    heavy_share: float = 0.0  # share of the programme limited by more than HEAVY_DB


class TruePeakLimiter:
    """Feed blocks of shape (frames, channels) to :meth:`process`, then call :meth:`flush`.

    Output lags input by :attr:`latency` frames (or up to a ``STEP`` more); together the
    outputs hold every input frame. Channels are linked: one gain for all, so the stereo image
    does not move. Blocks with a sample peak at or over ``track_db`` are oversampled too, so
    that :attr:`true_peak_db` (the highest peak seen) is exact when ``track_db`` is a few dB
    under the sample peak.

    ``also_db``: more ceilings, one more output each (:meth:`process_all`): the detector is
    shared, each ceiling has its own gain and figures (:meth:`stage_stats`).
    """

    def __init__(
        self,
        ceiling_db: float,
        sample_rate: int,
        channels: int,
        track_db: float = math.inf,
        *,
        also_db: tuple[float, ...] = (),
    ) -> None:
        ceilings = (ceiling_db, *also_db)
        self.threshold = np.float32(10 ** ((min(ceilings) - CANDIDATE_DB) / 20))
        self.track = np.float32(10 ** (track_db / 20))
        self.sample_rate = sample_rate
        self.region = round(REGION_S * sample_rate)
        self.attack = STEP * max(1, int(ATTACK_S * sample_rate) // STEP)
        # A step's gain holds the required gain over its own intervals, the lookahead's, and
        # the next step's first (which a step's last frame begins).
        self.lookahead = self.attack + STEP
        self.latency = HALF + self.lookahead
        self._stages = [_Stage(db, sample_rate, self.attack) for db in ceilings]
        self._stages[0].region_peaks = array("d")
        # Streams, each kept as far as the next stage still needs it.
        self._pending = np.zeros((0, channels), np.float32)  # input not yet output
        self._oversampler = Oversampler(channels)
        self._received = 0
        self._end: int | None = None  # frames to output in all, once flushed
        # Oversampled peak per interval (between frames k and k+1; 0 where no block came near
        # a ceiling), from interval out - 1 on.
        self._envelope = np.zeros(0, np.float32)
        self._skip = HALF - 1  # the detector starts at interval -HALF
        self._out = 0  # frames output
        self._energy_in = array("d")  # per region, shared by the stages' statistics

    @property
    def stats(self) -> LimiterStats:
        return self.stage_stats(0)

    def stage_stats(self, stage: int) -> LimiterStats:
        """What ceiling ``stage`` (0: ``ceiling_db``, then ``also_db``) did to its output."""
        return self._stages[stage].stats(self._out, self._energy_in, self.region)

    def loss_lu(self, stage: int = 0) -> float:
        """How much quieter ceiling ``stage`` left the programme: the energy it took, in LU
        (ungated: the loud stretches, where it works, carry the energy anyway)."""
        total = float(np.sum(np.frombuffer(self._energy_in, np.float64)))
        drop = float(np.sum(np.frombuffer(self._stages[stage].energy_drop, np.float64)))
        return -10 * math.log10(1 - drop / total) if 0 < drop < total else 0.0

    @property
    def per_second_db(self) -> list[float]:
        """The deepest reduction within each second of the output (dB, 0 where none)."""
        return [round(v, 2) for v in self._stages[0].per_second]

    @property
    def region_peaks_db(self) -> np.ndarray:
        """The output's oversampled peak in each ``REGION_S`` region (ebur128's 100 ms frames),
        dBTP; -inf where no block came within ``CANDIDATE_DB`` of a ceiling."""
        with np.errstate(divide="ignore"):
            return 20 * np.log10(np.array(self._stages[0].region_peaks, np.float64))

    @property
    def true_peak_db(self) -> float:
        """The highest oversampled peak among the blocks examined, in dBTP."""
        return db(self._oversampler.peak)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Limit a block; returns the frames that are now final (fewer at the start)."""
        return self.process_all(block)[0]

    def flush(self) -> np.ndarray:
        """The last frames, held back for the lookahead."""
        return self.flush_all()[0]

    def process_all(self, block: np.ndarray) -> list[np.ndarray]:
        """:meth:`process`, with one output per ceiling."""
        self._pending = np.concatenate([self._pending, block])
        envelope = self._detect(block)
        skipped = min(self._skip, len(envelope))
        self._skip -= skipped
        self._envelope = np.concatenate([self._envelope, envelope[skipped:]])
        # Whole steps are ready, and the last frames once flushed (the envelope then runs on).
        ready = min(len(self._envelope) - self.lookahead, len(self._pending))
        if self._end is not None and ready >= self._end - self._out:
            ready = self._end - self._out
        else:
            ready -= ready % STEP
        if ready <= 0:
            return [self._pending[:0]] * len(self._stages)
        window = self._envelope[: -(-ready // STEP) * STEP + self.lookahead]
        out = self._pending[:ready]
        start, first = self._out, self._out // self.region
        regions = period_starts(start, ready, self.region)  # offsets in ``out`` where regions begin
        energy = _energy(out)
        sums = np.add.reduceat(energy, regions, dtype=np.float64)
        extend_stretches(self._energy_in, first, sums, operator.add)
        outs = [stage.apply(out, window, start, (first, regions, energy)) for stage in self._stages]
        self._pending = self._pending[ready:]
        self._envelope = self._envelope[ready:]
        self._out += ready
        return outs

    def flush_all(self) -> list[np.ndarray]:
        """:meth:`flush`, with one output per ceiling."""
        self._end = self._received
        zeros = np.zeros((self.latency + STEP, self._pending.shape[1]), np.float32)
        return self.process_all(zeros)

    def _detect(self, block: np.ndarray) -> np.ndarray:
        """Oversampled peak of each interval that the new frames complete (0 far under a ceiling)."""
        self._received += len(block)
        return self._oversampler.peaks(block, self.threshold, self.track)[0]


class _Stage:
    """One ceiling's gain, step by step (``STEP`` frames): the required gain from the shared
    envelope → hold over the lookahead → program-dependent release → attack smoothing → a
    line through the steps; and its figures."""

    def __init__(self, ceiling_db: float, sample_rate: int, attack: int) -> None:
        self.ceiling = np.float32(10 ** (ceiling_db / 20))
        self.sample_rate = sample_rate
        self.steps = attack // STEP  # the lookahead, in steps
        self._fast = STEP / (RELEASE_FAST_S * sample_rate)  # per step
        self._slow = STEP / (RELEASE_SLOW_S * sample_rate)
        self._limited_recent = np.zeros(round(DENSITY_S * sample_rate / STEP), bool)
        self._log_reduction = -np.inf  # ln of the reduction (dB) after the release, last step
        self._smoothing = np.ones(self.steps - 1, np.float64)  # last released gains
        self._last = 1.0  # the gain at the end of the last step
        self._min_gain = 1.0
        self._limited = 0
        self._heavy = 0
        self.energy_drop = array("d")  # per region
        self.per_second: list[float] = []
        # Oversampled peak of each region after the gain: kept for the first ceiling (the MP3's).
        self.region_peaks: array | None = None

    def apply(self, out: np.ndarray, window: np.ndarray, start: int, energy: tuple) -> np.ndarray:
        """The frames ``out`` (from frame ``start``, a step's first) limited, given the envelope
        ``window`` of their steps' intervals and the lookahead's; ``energy``: the first region's
        index, where regions begin in ``out``, and the frames' energy."""
        over = window > self.ceiling
        if over.any() or self._log_reduction > RESIDUAL:
            required = np.ones(len(window), np.float32)
            required[over] = self.ceiling / window[over]
            steps = self._gain(sliding_min(_step_min(required), self.steps + 2), start == 0)
            gain = self._draw(steps)[: len(out)]
        else:
            gain = None
            self._smoothing[:] = 1.0
            self._last = 1.0
            self._limited_recent = np.roll(self._limited_recent, -len(out) // STEP)
            self._limited_recent[-min(-(-len(out) // STEP), len(self._limited_recent)) :] = False
        self._account(start, len(out), energy, gain)
        if self.region_peaks is not None:
            self._peaks(window[: len(out)] if gain is None else window[: len(out)] * gain, energy)
        return out if gain is None else out * gain[:, None]

    def _peaks(self, peaks: np.ndarray, energy: tuple) -> None:
        """Each region's highest oversampled peak (0 where no block came near a ceiling)."""
        assert self.region_peaks is not None
        first, regions, _ = energy
        extend_stretches(self.region_peaks, first, np.maximum.reduceat(peaks, regions), max)

    def _gain(self, held: np.ndarray, first: bool) -> np.ndarray:
        """Release (in dB, program-dependent) and attack smoothing of the held gains, per step.

        The logarithms and powers are taken only where there is a reduction: most steps of
        even a limited block have none."""
        limited = held < 1
        log_reduction = np.full(len(held), -np.inf)
        log_reduction[limited] = np.log(-20 * np.log10(held[limited].astype(np.float64)))
        recent = np.concatenate([self._limited_recent, limited])
        counts = np.cumsum(recent, dtype=np.int64)
        width = len(self._limited_recent)
        density = (counts[width:] - counts[:-width]) / width
        self._limited_recent = recent[-width:]
        rate = self._fast + (self._slow - self._fast) * np.minimum(1.0, density / DENSE)
        decay = np.cumsum(rate)
        # R[m] = max(H[m], R[m-1] e^(-rate[m])) ⇔ ln R[m] + D[m] = running max of ln H + D.
        start = np.array([self._log_reduction])
        running = np.maximum.accumulate(np.concatenate([start, log_reduction + decay]))[1:]
        released = running - decay
        self._log_reduction = float(released[-1])
        gains = np.ones(len(held))
        active = released > RESIDUAL
        gains[active] = 10 ** (-np.exp(released[active]) / 20)
        if first:  # nothing before the start to ramp down on: start down
            self._smoothing[:] = gains[0]
            self._last = gains[0]
        history = np.concatenate([self._smoothing, gains])
        summed = np.concatenate([[0.0], np.cumsum(history)])
        smooth = (summed[self.steps :] - summed[: -self.steps]) / self.steps
        self._smoothing = history[len(history) - (self.steps - 1) :]
        # Rounding in the running sum must not turn "no reduction" into 0.9999999.
        return np.where(smooth > 1 - 1e-7, 1.0, smooth)

    def _draw(self, steps: np.ndarray) -> np.ndarray:
        """Frame by frame, a line from the end of each step to the end of the next."""
        ends = np.concatenate([[self._last], steps])
        self._last = float(steps[-1])
        along = np.arange(1, STEP + 1) / STEP
        return (ends[:-1, None] + np.diff(ends)[:, None] * along).astype(np.float32).ravel()

    def _account(self, start: int, frames: int, energy: tuple, gain: np.ndarray | None) -> None:
        """Figures per frame, per second and per region for :meth:`stats`."""
        first, regions, energy = energy
        last = (start + frames - 1) // self.sample_rate
        self.per_second.extend([0.0] * (last + 1 - len(self.per_second)))
        if gain is None or gain.min() >= 1:
            return
        limited = gain < 10 ** (-ACTIVE_DB / 20)
        self._limited += int(limited.sum())
        self._heavy += int((gain < 10 ** (-HEAVY_DB / 20)).sum())
        self._min_gain = min(self._min_gain, float(gain.min()))
        lost = energy * (1 - gain.astype(np.float64) ** 2)
        extend_stretches(self.energy_drop, first, np.add.reduceat(lost, regions), operator.add)
        seconds = period_starts(start, frames, self.sample_rate)
        deepest = np.minimum.reduceat(gain, seconds)
        for index in np.flatnonzero(deepest < 10 ** (-ACTIVE_DB / 20)):
            second = (start + int(seconds[index])) // self.sample_rate
            reduction = -20 * math.log10(float(deepest[index]))
            self.per_second[second] = max(self.per_second[second], reduction)

    def stats(self, frames: int, energy_in: array, region: int) -> LimiterStats:
        reduction = -20 * math.log10(self._min_gain) if self._min_gain < 1 else 0.0
        return LimiterStats(
            round(reduction, 2),
            round(self._limited * 1000 / self.sample_rate, 1),
            round(self._block_p99(energy_in, region), 2),
            round(self._heavy / max(1, frames), 4),
        )

    def _block_p99(self, energy_in: array, region: int) -> float:
        """99th percentile of the drop of 400 ms block levels, gated like BS.1770 (−70, −10)."""
        energy = np.array(energy_in)
        drop = np.zeros(len(energy))
        drop[: len(self.energy_drop)] = self.energy_drop
        if not drop.any():
            return 0.0
        kernel = np.ones(4)
        before = np.convolve(energy, kernel, "valid")
        after = before - np.convolve(drop, kernel, "valid")
        power = before / (4 * region)
        kept = power > 1e-7
        if not kept.any():
            return 0.0
        kept &= power > power[kept].mean() / 10
        with np.errstate(divide="ignore"):
            reduction = 10 * np.log10(before[kept] / np.maximum(after[kept], 1e-30))
        return float(np.percentile(reduction, 99))
