"""The true-peak limiter: only peaks over the ceiling change, and they end up under it."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from podcast_pipe.audio.limiter import TruePeakLimiter, sliding_min
from podcast_pipe.audio.meter import measure_file

RATE = 44100


def run(limiter: TruePeakLimiter, signal: np.ndarray, block: int = 4096) -> np.ndarray:
    parts = [limiter.process(signal[i : i + block]) for i in range(0, len(signal), block)]
    return np.concatenate([*parts, limiter.flush()])


def speech_like(seconds: float, seed: int = 1) -> np.ndarray:
    """Noise band-limited to 8 kHz under a syllable-rate envelope: a crest factor like speech's."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    spectrum = np.fft.rfft(rng.standard_normal((len(t), 2)), axis=0)
    spectrum[int(8000 * seconds) :] = 0
    noise = np.fft.irfft(spectrum, len(t), axis=0)
    envelope = np.abs(np.sin(2 * np.pi * 2.5 * t)) ** 3
    return (noise / noise.std() * 0.25 * envelope[:, None]).astype(np.float32)


def test_signal_under_the_ceiling_is_bit_identical():
    signal = speech_like(3) * np.float32(0.5)  # peaks around -6 dBFS
    limiter = TruePeakLimiter(-1.0, RATE, 2)
    out = run(limiter, signal)
    assert np.array_equal(out, signal)
    assert limiter.stats.limited_ms == 0 and limiter.stats.max_reduction_db == 0


def test_output_has_the_input_length_whatever_the_block_size():
    signal = speech_like(2)
    outs = [run(TruePeakLimiter(-3.0, RATE, 2), signal, block) for block in (1000, 4096, 65536)]
    assert all(len(out) == len(signal) for out in outs)
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[1], outs[2])


def test_only_the_neighbourhood_of_a_peak_changes():
    t = np.arange(3 * RATE) / RATE
    signal = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None]
    signal[int(1.5 * RATE)] = 1.0  # one click, 10 dB over a -3 dBTP ceiling
    limiter = TruePeakLimiter(-3.0, RATE, 1)
    out = run(limiter, signal)
    changed = np.flatnonzero(out[:, 0] != signal[:, 0]) / RATE
    assert changed.min() > 1.5 - 0.015 and changed.max() < 1.5 + 0.045  # attack 10 ms, hold 30 ms
    assert np.abs(out).max() <= 10 ** (-3 / 20) + 1e-6
    assert limiter.stats.max_reduction_db == pytest.approx(10 * np.log10(1 / 0.5), abs=0.7)


def test_limited_audio_meets_the_ceiling_as_ffmpeg_reads_it(tmp_path):
    signal = speech_like(6) * np.float32(4.0)  # peaks far over full scale
    out = run(TruePeakLimiter(-1.0, RATE, 2), signal)
    path = tmp_path / "limited.wav"
    with wave.open(str(path), "wb") as file:  # 32-bit float would need WAVE_FORMAT_IEEE_FLOAT
        file.setnchannels(2)
        file.setsampwidth(3)
        file.setframerate(RATE)
        ints = np.round(out.astype(np.float64) * (2**23 - 1)).astype("<i4")
        file.writeframes(ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes())  # 24-bit LE
    assert measure_file(path).true_peak <= -1.0 + 0.1


def test_sliding_min_matches_the_naive_one():
    values = np.random.default_rng(3).random(1000).astype(np.float32)
    for width in (1, 7, 64, 1000):
        naive = [values[i : i + width].min() for i in range(len(values) - width + 1)]
        assert np.array_equal(sliding_min(values, width), np.array(naive, dtype=np.float32))
