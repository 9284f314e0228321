"""A lookahead true-peak limiter on float blocks, streaming, that touches only peaks over the ceiling.

The peak detector oversamples 4× (BS.1770-4 Annex 2: a 48-tap polyphase interpolator), but only
in blocks whose sample peak comes within ``CANDIDATE_DB`` of the ceiling: the rest cannot reach
it, and speech at −16 LUFS is mostly such blocks (the check of the MP3 catches a rare miss).
The gain is the minimum of the required gain over a window (lookahead, then hold), smoothed by
a moving average as long as the lookahead, so it is down to the required value when the peak
arrives and nothing outside those windows changes: a signal that never reaches the ceiling
comes out bit-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

OVERSAMPLE = 4
TAPS_PER_PHASE = 12
# The interpolated values trail their position by half the filter: look that much further ahead.
FILTER_DELAY = TAPS_PER_PHASE // 2
BLOCK = 512
CANDIDATE_DB = 4.0  # inter-sample peaks of band-limited audio stay within ~3 dB of the samples
ATTACK_S = 0.010
HOLD_S = 0.030


def _phases() -> np.ndarray:
    """Taps of the three interpolating phases, shape (TAPS_PER_PHASE, 3): a Kaiser-windowed sinc."""
    length = OVERSAMPLE * TAPS_PER_PHASE + 1
    n = np.arange(length)
    centre = length // 2
    taps = np.sinc((n - centre) / OVERSAMPLE) * np.kaiser(length, 8.0)
    return np.stack([taps[p : p + OVERSAMPLE * TAPS_PER_PHASE : OVERSAMPLE] for p in (1, 2, 3)], 1)


PHASES = _phases().astype(np.float32)
ROW = 32


def _toeplitz() -> np.ndarray:
    """The three phases as one matrix: (ROW + taps - 1 input frames) @ it = (3 × ROW outputs).

    One matrix product per batch of rows is far faster than convolving each phase separately.
    """
    matrix = np.zeros((ROW + TAPS_PER_PHASE - 1, 3, ROW), np.float32)
    for t in range(ROW):
        for k in range(TAPS_PER_PHASE):
            matrix[t + TAPS_PER_PHASE - 1 - k, :, t] = PHASES[k]
    return matrix.reshape(ROW + TAPS_PER_PHASE - 1, 3 * ROW)


TOEPLITZ = _toeplitz()


def sliding_min(values: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = min(values[i:i+width])`` in O(n) (van Herk / Gil-Werman)."""
    n = len(values)
    padded = np.full(-(-n // width) * width, np.inf, dtype=values.dtype)
    padded[:n] = values
    blocks = padded.reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[: n - width + 1], prefix[width - 1 : n])


@dataclass(frozen=True)
class LimiterStats:
    """How much the limiter did: deepest gain reduction and how long it was active."""

    max_reduction_db: float = 0.0
    limited_ms: float = 0.0


class TruePeakLimiter:
    """Feed blocks of shape (frames, channels) to :meth:`process`, then call :meth:`flush`.

    Output lags input by :attr:`latency` frames; together the outputs hold every input frame.
    Channels are linked: one gain for all, so the stereo image does not move. Blocks with a
    sample peak at or over ``track_db`` are oversampled too, so that :attr:`true_peak_db` (the
    highest peak seen) is exact when ``track_db`` is a few dB under the sample peak.
    """

    def __init__(
        self, ceiling_db: float, sample_rate: int, channels: int, track_db: float = math.inf
    ) -> None:
        self.ceiling = np.float32(10 ** (ceiling_db / 20))
        self.threshold = np.float32(10 ** ((ceiling_db - CANDIDATE_DB) / 20))
        self.track = np.float32(10 ** (track_db / 20))
        self.attack = max(1, round(ATTACK_S * sample_rate))
        self.hold = round(HOLD_S * sample_rate)
        self.latency = self.attack - 1 + FILTER_DELAY
        self.history = self.attack - 1 + self.hold  # required gains kept before the output
        self.sample_rate = sample_rate
        self._pending = np.zeros((0, channels), np.float32)
        self._required = np.ones(self.history, np.float32)
        self._tail = np.zeros((TAPS_PER_PHASE - 1, channels), np.float32)
        self._min_gain = 1.0
        self._limited = 0
        self._peak = 0.0

    @property
    def stats(self) -> LimiterStats:
        reduction = -20 * math.log10(self._min_gain) if self._min_gain < 1 else 0.0
        return LimiterStats(round(reduction, 2), round(self._limited * 1000 / self.sample_rate, 1))

    @property
    def true_peak_db(self) -> float:
        """The highest oversampled peak among the blocks examined, in dBTP."""
        return 20 * math.log10(self._peak) if self._peak > 0 else -math.inf

    def process(self, block: np.ndarray) -> np.ndarray:
        """Limit a block; returns the frames that are now final (fewer at the start)."""
        self._required = np.concatenate([self._required, self._required_gain(block)])
        self._pending = np.concatenate([self._pending, block])
        ready = len(self._pending) - self.latency
        if ready <= 0:
            return self._pending[:0]
        out = self._pending[:ready]
        window = self._required[: self.history + ready + self.latency]
        if window.min() < 1:
            gain = self._gain(window, ready)
            out = out * gain[:, None]
            limited = gain < 1
            self._limited += int(limited.sum())
            self._min_gain = min(self._min_gain, float(gain.min()))
        self._pending = self._pending[ready:]
        self._required = self._required[ready:]
        return out

    def flush(self) -> np.ndarray:
        """The last frames, held back for the lookahead."""
        channels = self._pending.shape[1]
        return self.process(np.zeros((self.latency, channels), np.float32))

    def _gain(self, required: np.ndarray, ready: int) -> np.ndarray:
        # held[m] = min(required[m - hold .. m + latency]); gain = mean of `attack` held values.
        held = sliding_min(required, self.hold + self.latency + 1)[: self.attack - 1 + ready]
        summed = np.concatenate([[0.0], np.cumsum(held, dtype=np.float64)])
        gain = (summed[self.attack :] - summed[: -self.attack]) / self.attack
        # Rounding in the running sum must not turn "no reduction" into 0.9999999.
        return np.where(gain > 1 - 1e-6, 1.0, gain).astype(np.float32)

    def _required_gain(self, block: np.ndarray) -> np.ndarray:
        """Per frame, the gain that keeps the oversampled peak at the ceiling (1 almost always)."""
        frames, channels = block.shape
        extended = np.concatenate([self._tail, block])
        self._tail = extended[len(extended) - (TAPS_PER_PHASE - 1) :]
        required = np.ones(frames, np.float32)
        count = -(-frames // BLOCK)
        linked = np.zeros(count * BLOCK, np.float32)  # per frame, the loudest channel
        for channel in range(channels):
            np.maximum(linked[:frames], np.abs(block[:, channel]), out=linked[:frames])
        linked = linked.reshape(count, BLOCK)
        peaks = linked.max(axis=1)
        hot = (peaks > self.threshold) | (peaks >= self.track)
        # A peak between two blocks is interpolated in the later one: take the neighbours too.
        hot[1:] |= hot[:-1]
        hot[:-1] |= hot[1:]
        if not hot.any():
            return required
        # Rows of ROW frames plus the filter's history, for every channel of every hot block.
        starts = (np.flatnonzero(hot)[:, None] * BLOCK + np.arange(0, BLOCK, ROW)).ravel()
        context = np.zeros((channels, count * BLOCK + TAPS_PER_PHASE - 1), np.float32)
        context[:, : len(extended)] = extended.T
        rows = context[:, starts[:, None] + np.arange(ROW + TAPS_PER_PHASE - 1)]
        # Stacked small products: one big `@` lets OpenBLAS split it over threads, and the
        # hand-off costs 10-50x the arithmetic while ffmpeg keeps both cores busy.
        stacked = rows.reshape(-1, BLOCK // ROW, ROW + TAPS_PER_PHASE - 1)
        interpolated = np.abs(stacked @ TOEPLITZ).reshape(-1, 3 * ROW)
        per_channel = np.maximum(
            np.maximum(interpolated[:, :ROW], interpolated[:, ROW : 2 * ROW]),
            interpolated[:, 2 * ROW :],
        ).reshape(channels, -1)
        envelope = np.maximum(per_channel.max(axis=0), linked[hot].ravel()).reshape(-1, BLOCK)
        self._peak = max(self._peak, float(envelope.max()))
        over = envelope > self.ceiling
        gains = np.where(over, self.ceiling / np.maximum(envelope, 1e-12), 1).astype(np.float32)
        full = np.ones(count * BLOCK, np.float32)
        full.reshape(count, BLOCK)[hot] = gains
        required[:] = full[:frames]
        return required
