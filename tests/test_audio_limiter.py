"""The true-peak limiter: only peaks over the ceiling change, and they end up under it."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from podcast_pipe.audio.limiter import ATTACK_S, STEP, TruePeakLimiter, sliding_min
from podcast_pipe.audio.meter import measure_file
from podcast_pipe.audio.oversample import HALF, TAPS, FramePeaks, phases

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


def test_chunking_changes_neither_length_nor_sound():
    signal = speech_like(2) * np.float32(2.0)  # limited by up to ~10 dB, often
    whole = run(TruePeakLimiter(-3.0, RATE, 2), signal, len(signal))
    for block in (1000, 4096, 4410 * 3 + 7):
        out = run(TruePeakLimiter(-3.0, RATE, 2), signal, block)
        assert len(out) == len(signal)
        assert np.abs(out - whole).max() <= 1e-6


def reduction_db(out: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """The gain reduction the limiter applied, per frame (the signal is never 0 here)."""
    return 20 * np.log10(np.abs(signal[:, 0]) / np.abs(out[:, 0]))


def test_a_click_gets_a_short_attack_and_a_smooth_release():
    t = np.arange(3 * RATE) / RATE
    signal = (0.3 * np.sin(2 * np.pi * 440 * t + 0.1)).astype(np.float32)[:, None]
    click = int(1.5 * RATE)
    signal[click] = 2.0  # one click, 9 dB over a -3 dBTP ceiling
    limiter = TruePeakLimiter(-3.0, RATE, 1)
    out = run(limiter, signal)
    changed = np.flatnonzero(out[:, 0] != signal[:, 0])
    assert (click - changed.min()) / RATE == pytest.approx(ATTACK_S, abs=0.0005)
    assert np.abs(out).max() <= 10 ** (-3 / 20) + 1e-6
    reduction = reduction_db(out, signal)
    at = lambda seconds: reduction[click + int(seconds * RATE)]  # noqa: E731
    assert at(0) == pytest.approx(20 * np.log10(2 / 10 ** (-3 / 20)), abs=0.1)
    # The reduction falls smoothly (no hold-and-drop), about as fast as a 50 ms release.
    after = reduction[click : click + int(0.3 * RATE)]
    assert np.all(np.diff(after) <= 1e-4)
    assert 0.8 < at(0.1) < 2 and at(0.25) < 0.3
    assert 50 < limiter.stats.limited_ms < 400
    assert limiter.per_second_db[1] == pytest.approx(at(0), abs=0.01)
    assert limiter.per_second_db[0] == limiter.per_second_db[2] == 0


def test_dense_limiting_releases_more_slowly():
    t = np.arange(2 * RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t + 0.1)).astype(np.float32)[:, None]
    sparse, dense = tone.copy(), tone.copy()
    end = RATE
    sparse[end] = 1.0
    dense[end - int(0.3 * RATE) : end + 1 : 441] = 1.0  # a click every 10 ms for 300 ms
    released = []
    for signal in (sparse, dense):
        out = run(TruePeakLimiter(-3.0, RATE, 1), signal)
        released.append(reduction_db(out, signal)[end + int(0.1 * RATE)])
    assert released[1] > 2 * released[0]


def test_a_peak_at_any_frame_of_a_gain_step_is_caught():
    """The gain is computed every STEP frames and drawn in between: a peak between two frames
    at each offset in a step, across the edges of the blocks fed too, ends under the ceiling."""
    signal = np.full((RATE // 2, 1), 0.1, np.float32)
    for n in range(2 * STEP):  # two equal samples: the true peak lies between them
        at = int(0.01 * RATE * (n + 1)) + n
        signal[at : at + 2] = 1.5
    for block in (4096, STEP * 100 - 1, 1000):
        out = run(TruePeakLimiter(-3.0, RATE, 1), signal, block)
        peak = 20 * np.log10(np.abs(oversampled(out.astype(np.float64))).max())
        assert peak <= -3.0 + 0.05


def oversampled(signal: np.ndarray, factor: int = 8) -> np.ndarray:
    """Band-limited interpolation (FFT), the reference for true peaks."""
    spectrum = np.fft.rfft(signal, axis=0)
    return np.fft.irfft(spectrum, len(signal) * factor, axis=0) * factor


def test_bursts_come_out_under_the_ceiling_between_samples_too():
    rng = np.random.default_rng(5)
    signal = speech_like(2, seed=4) * np.float32(0.5)
    for start in rng.integers(0, len(signal) - 2000, 12):  # loud bursts, hi-hat-like to low
        t = np.arange(1500) / RATE
        freq = rng.choice([300.0, 3000.0, 11000.0, 17000.0])
        burst = 2.5 * np.sin(2 * np.pi * freq * t) * np.hanning(1500)
        signal[start : start + 1500] += burst[:, None].astype(np.float32)
    out = run(TruePeakLimiter(-1.0, RATE, 2), signal)
    peak = 20 * np.log10(np.abs(oversampled(out.astype(np.float64))).max())
    assert -1.3 < peak <= -1.0 + 0.05


@pytest.mark.parametrize("freq", [1000, 10000, 17000, 20000])
def test_the_oversampler_reads_each_in_between_phase_within_0_2_db(freq):
    t = np.arange(4096) / RATE
    for phase in np.linspace(0, np.pi, 5):
        signal = np.sin(2 * np.pi * freq * t + phase)
        windows = np.lib.stride_tricks.sliding_window_view(signal, TAPS)[200:-200]
        between = windows @ phases().astype(np.float64)
        for k, delay in enumerate((0.25, 0.5, 0.75)):
            centre = np.arange(200, 200 + len(between)) + HALF - 1 + delay
            exact = np.sin(2 * np.pi * freq * centre / RATE + phase)
            gain = np.abs(between[:, k]).max() / np.abs(exact).max()
            assert abs(20 * np.log10(gain)) <= 0.2
            assert np.abs(between[:, k] - exact).max() <= 0.03


def frame_peaks(signal: np.ndarray, block: int) -> FramePeaks:
    peaks = FramePeaks(signal.shape[1], RATE // 10)
    for i in range(0, len(signal), block):
        peaks.add(signal[i : i + block])
    peaks.finish()
    return peaks


def test_frame_peaks_are_true_near_the_highest_and_sample_peaks_far_under():
    signal = speech_like(1, seed=3) * np.float32(0.05)  # peaks about -20 dBFS
    t = np.arange(2000) / RATE
    # A burst at a quarter of the rate, 45° off the samples: its peaks fall between them.
    burst = np.sin(2 * np.pi * RATE / 4 * t + np.pi / 4) * np.hanning(2000)
    signal[23000:25000] += burst[:, None].astype(np.float32)
    reference = np.abs(oversampled(signal.astype(np.float64))).max(axis=1)
    for block in (65536, 4410, 1000):
        peaks = frame_peaks(signal, block)
        assert len(peaks.values) == 10
        exact = 20 * np.log10(reference.reshape(10, -1).max(axis=1))
        read = 20 * np.log10(peaks.values)
        assert read[5] == pytest.approx(exact[5], abs=0.1)  # the burst: 3 dB over its samples
        assert 20 * np.log10(np.abs(signal[23000:25000]).max()) < exact[5] - 2
        assert 20 * np.log10(peaks.peak) == pytest.approx(exact.max(), abs=0.1)
        # 20 dB under the burst: the sample peak, under the true peak by little.
        samples = 20 * np.log10(np.abs(signal).max(axis=1).reshape(10, -1).max(axis=1))
        assert np.all((read[:5] >= samples[:5]) & (read[:5] <= exact[:5] + 0.01))
        assert np.all(exact[:5] - read[:5] < 1.0)


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


def test_more_ceilings_share_the_detector_and_each_limits_as_it_would_alone():
    signal = speech_like(2) * np.float32(2.0)
    ceilings = (-3.0, -4.5, -1.0)
    limiter = TruePeakLimiter(ceilings[0], RATE, 2, also_db=ceilings[1:])
    parts = [limiter.process_all(signal[i : i + 4096]) for i in range(0, len(signal), 4096)]
    parts.append(limiter.flush_all())
    for stage, ceiling in enumerate(ceilings):
        alone = TruePeakLimiter(ceiling, RATE, 2)
        expected = run(alone, signal)
        assert np.array_equal(np.concatenate([p[stage] for p in parts]), expected)
        assert limiter.stage_stats(stage) == alone.stats
        assert alone.stats.max_reduction_db > 0
    assert limiter.stats == limiter.stage_stats(0)


def test_each_ceiling_reads_the_loudness_it_took():
    signal = speech_like(3) * np.float32(2.0)
    limiter = TruePeakLimiter(-3.0, RATE, 2, also_db=(-4.5,))
    parts = [limiter.process_all(signal[i : i + 4096]) for i in range(0, len(signal), 4096)]
    parts.append(limiter.flush_all())
    for stage in (0, 1):
        out = np.concatenate([p[stage] for p in parts])
        energy = np.sum(out.astype(np.float64) ** 2) / np.sum(signal.astype(np.float64) ** 2)
        assert limiter.loss_lu(stage) == pytest.approx(-10 * np.log10(energy), abs=0.01)
    assert limiter.loss_lu(1) > limiter.loss_lu(0) > 0.1
    untouched = TruePeakLimiter(-1.0, RATE, 2)
    run(untouched, signal * np.float32(0.25))
    assert untouched.loss_lu() == 0.0


def test_each_100_ms_region_s_peak_is_read_after_the_gain():
    t = np.arange(RATE) / RATE
    level = np.where(t < 0.3, 0.1, np.where(t < 0.5, 0.7, 2.0))  # -20, -3.1, then +6 dBFS
    signal = (level * np.sin(2 * np.pi * 997 * t)).astype(np.float32)[:, None]
    for block in (3000, 4410 * 2 + 1, RATE):  # regions split across blocks are merged
        limiter = TruePeakLimiter(-1.0, RATE, 1)
        out = run(limiter, signal, block)
        peaks = limiter.region_peaks_db
        assert len(peaks) == 10
        assert list(peaks[:2]) == [-np.inf] * 2  # far under the ceiling: not oversampled
        assert peaks[3:5] == pytest.approx(-3.1, abs=0.1)  # the step at 0.3 s rings a little
        assert peaks[6:] == pytest.approx(-1.0, abs=0.05)  # limited to the ceiling
        assert 20 * np.log10(np.abs(out[int(0.6 * RATE) :]).max()) <= peaks[6:].max() + 0.01
