"""4× oversampled peaks, streaming: the limiter's detector and the encoded files' true-peak meter.

Three least-squares fractional-delay filters of ``TAPS`` taps, flat within 0.1 dB up to 92 % of
Nyquist (20.3 kHz at 44.1 kHz), read the peaks between samples; they run only on blocks of
``BLOCK`` frames whose sample peak reaches a threshold: the rest cannot hold the peak sought.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

TAPS = 32  # per phase
PASSBAND = 0.92  # of Nyquist, where the interpolating phases are flat
HALF = TAPS // 2  # the detector reads this many frames ahead of the interval it measures
BLOCK = 512
ROW = 64
CANDIDATE_DB = 4.0  # inter-sample peaks of band-limited audio stay within ~3 dB of the samples


@functools.cache
def phases() -> np.ndarray:
    """Taps of the three interpolating phases, shape (TAPS, 3), float32 (made on first use).

    Each phase is the least-squares fit of a delay by 1/4, 2/4, 3/4 frame over the passband
    (a windowed sinc of this length loses dBs near Nyquist; this one reads within 0.1 dB).
    """
    offsets = np.arange(TAPS) - (HALF - 1)
    w = np.linspace(0, PASSBAND * np.pi, 4000)
    basis = np.concatenate([np.cos(np.outer(w, offsets)), np.sin(np.outer(w, offsets))])
    taps = []
    for delay in (0.25, 0.5, 0.75):
        wanted = np.concatenate([np.cos(w * delay), np.sin(w * delay)])
        taps.append(np.linalg.lstsq(basis, wanted, rcond=None)[0])
    return np.stack(taps, 1).astype(np.float32)


@functools.cache
def _toeplitz() -> np.ndarray:
    """The three phases as one matrix: (ROW + TAPS - 1 frames) @ it = (3 × ROW outputs).

    One matrix product over a batch of rows is far faster than gathering a window per frame.
    """
    matrix = np.zeros((ROW + TAPS - 1, 3, ROW), np.float32)
    for t in range(ROW):
        matrix[t : t + TAPS, :, t] = phases()
    return matrix.reshape(ROW + TAPS - 1, 3 * ROW)


def _linked_peak(frames: np.ndarray) -> np.ndarray:
    """The largest absolute value over the channels of each frame (linked channels)."""
    peak = np.abs(frames[:, 0])
    for channel in range(1, frames.shape[1]):
        np.maximum(peak, np.abs(frames[:, channel]), out=peak)
    return peak


def period_starts(start: int, frames: int, period: int) -> np.ndarray:
    """Offsets in a block of ``frames`` frames, beginning at frame ``start``, where a new
    ``period`` begins; 0 first (for ``reduceat``)."""
    following = np.arange(-(-(start + 1) // period) * period, start + frames, period) - start
    return np.concatenate([[0], following[following > 0]]).astype(np.intp)


def extend_stretches(
    series: array, index: int, values: np.ndarray, combine: Callable[[float, float], float]
) -> None:
    """Put the figures of consecutive stretches, from stretch ``index`` on, into ``series`` (one
    float each: an hour of 100 ms stretches is 288 KB, not the 1 MB of a list): the stretch
    the last call ended in is ``combine``d with its rest; stretches no call gave read 0."""
    if len(values) == 0:
        return
    if len(series) > index:
        series[index] = combine(series[index], values[0])
        values = values[1:]
    else:
        series.extend([0.0] * (index - len(series)))
    series.frombytes(np.asarray(values, np.float64).tobytes())


class Oversampler:
    """Feed it consecutive blocks of shape (frames, channels): :meth:`peaks` gives the
    oversampled peak of each interval between two frames, ``HALF`` intervals behind the frames
    fed. :attr:`peak` is the highest it read."""

    def __init__(self, channels: int) -> None:
        self._tail = np.zeros((TAPS - 1, channels), np.float32)  # the filter's context
        self.peak = 0.0

    def peaks(
        self, block: np.ndarray, threshold: float, track: float = math.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each interval the new frames complete: the oversampled peak, read only in the
        ``BLOCK``s whose sample peak is over ``threshold`` or at least ``track`` (0 elsewhere);
        and the sample peak of its two ends."""
        frames = len(block)
        extended = np.concatenate([self._tail, block])
        self._tail = extended[len(extended) - (TAPS - 1) :]
        envelope = np.zeros(frames, np.float32)
        linked = _linked_peak(extended[HALF - 1 : HALF + frames])
        edges = np.maximum(linked[:-1], linked[1:])  # both ends of each interval
        count = -(-frames // BLOCK)
        padded = np.zeros(count * BLOCK, np.float32)
        padded[:frames] = edges
        peaks = padded.reshape(count, BLOCK).max(axis=1)
        hot = (peaks > threshold) | (peaks >= track)
        if not hot.any():
            return envelope, edges
        # Rows of ROW intervals with the filter's context, for every channel of every hot block.
        starts = (np.flatnonzero(hot)[:, None] * BLOCK + np.arange(0, BLOCK, ROW)).ravel()
        context = np.zeros((extended.shape[1], count * BLOCK + TAPS - 1), np.float32)
        context[:, : len(extended)] = extended.T
        # Picked from a view of every window: a fancy index per frame took nine times as long.
        windows = sliding_window_view(context, ROW + TAPS - 1, axis=1)[:, starts]
        # Stacked small products, one hot block each: a single big `@` lets OpenBLAS split it
        # over threads, and the hand-off costs 10-50x the arithmetic while ffmpeg keeps both
        # cores busy.
        stacked = windows.reshape(-1, BLOCK // ROW, ROW + TAPS - 1)
        between = np.abs(stacked @ _toeplitz()).reshape(-1, 3, ROW)
        rows = (starts[:, None] + np.arange(ROW)).ravel()
        peaks = np.maximum(between.max(axis=1).reshape(-1, len(rows)).max(axis=0), padded[rows])
        kept = rows < frames
        envelope[rows[kept]] = peaks[kept]
        self.peak = max(self.peak, float(peaks[kept].max()))
        return envelope, edges


def db(value: float) -> float:
    """A peak (linear) in dB; -inf for none."""
    return 20 * math.log10(value) if value > 0 else -math.inf


class FramePeaks:
    """The true peak of each ``period``-frame stretch (ebur128's 100 ms frames) of a stream
    fed in consecutive blocks: oversampled in the blocks within ``CANDIDATE_DB`` of the
    highest sample peak so far, the sample peak elsewhere (there a few tenths of a dB under
    the true peak at most, and far under the highest). :attr:`peak` is the stream's true peak."""

    def __init__(self, channels: int, period: int) -> None:
        self.channels = channels
        self.period = period
        self.values = array("d")  # linear, one per stretch
        self._oversampler = Oversampler(channels)
        self._near = np.float32(10 ** (-CANDIDATE_DB / 20))
        self._highest = np.float32(0)
        self._received = 0

    @property
    def peak(self) -> float:
        return float(np.max(np.frombuffer(self.values, np.float64), initial=0.0))

    def add(self, block: np.ndarray) -> None:
        """The next frames, shape (frames, channels)."""
        if len(block):
            self._highest = max(self._highest, np.abs(block).max())
        first = self._received - HALF  # the interval the first peak read belongs to
        self._received += len(block)
        envelope, edges = self._oversampler.peaks(block, self._highest * self._near)
        peaks = np.maximum(envelope, edges)[max(0, -first) :]
        if not len(peaks):
            return
        start = max(0, first)
        highest = np.maximum.reduceat(peaks, period_starts(start, len(peaks), self.period))
        extend_stretches(self.values, start // self.period, highest, max)

    def finish(self) -> None:
        """Read the last intervals, held back by the filter's length."""
        self.add(np.zeros((HALF, self.channels), np.float32))
