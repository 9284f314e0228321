"""The speech chain, each step on a synthesized fault, as the published MP3 shows it."""

from __future__ import annotations

import subprocess
from array import array

import imageio_ffmpeg
import numpy as np
import pytest

from podcast_pipe.audio.decode import Program, probe
from podcast_pipe.audio.master import master
from podcast_pipe.audio.meter import Frames
from podcast_pipe.audio.process import TAP_RATE, Chain, LowBand
from podcast_pipe.config import AudioSettings, inspect_show, load_show

RATE = 44100
# Speech-like: pink noise with no energy under ~300 Hz (as voices have little there), in
# "sentences" of 2 s with 2 s pauses.
VOICE = "anoisesrc=c=pink:a={a}:r=44100:seed=7,highpass=f=300,highpass=f=300,highpass=f=300"
SENTENCES = "volume='pow(abs(sin(2*PI*2.5*t))\\,2)*lt(mod(t\\,4)\\,2)':eval=frame"


def decoded(path) -> np.ndarray:
    """An audio file as mono float samples at 44.1 kHz."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-ac", "1"]
    command += ["-ar", str(RATE), "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(command, capture_output=True, check=True).stdout, "<f4")


def line_db(samples: np.ndarray, freq: float) -> float:
    """Level of a spectral line (dB, a full-scale sine at 0)."""
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window)) / (window.sum() / 2)
    bins = np.fft.rfftfreq(len(samples), 1 / RATE)
    return float(20 * np.log10(spectrum[np.abs(bins - freq) <= 0.5].max()))


def level_db(samples: np.ndarray, seconds: list[tuple[float, float]]) -> float:
    """RMS level of the given stretches (dBFS)."""
    parts = [samples[int(a * RATE) : int(b * RATE)] for a, b in seconds]
    return float(10 * np.log10(np.mean(np.concatenate(parts).astype(np.float64) ** 2)))


def build(make_audio, tmp_path, source: str, seconds: float, process: tuple[str, ...]):
    path = make_audio("in.wav", source, seconds)
    settings = AudioSettings(process=process)
    result = master(Program(probe(path)), settings, tmp_path / "out.mp3")
    return decoded(path), decoded(tmp_path / "out.mp3"), result


HUM = "0.01*sin(2*PI*60*t)+0.006*sin(2*PI*120*t)+0.004*sin(2*PI*180*t)"


def test_dehum_notches_a_60_hz_series_by_20_db(make_audio, tmp_path):
    source = (
        f"{VOICE.format(a=0.3)},{SENTENCES}[v];aevalsrc={HUM}:s=44100[h];[v][h]amix=normalize=0"
    )
    before, after, result = build(make_audio, tmp_path, source, 12, ("dehum",))
    for freq in (60, 120, 180):
        assert line_db(before, freq) + result.gain_db - line_db(after, freq) >= 20, freq
    [step] = result.chain
    assert step.step == "dehum" and "60, 120, 180 Hz" in step.what and step.db > 20


def test_dehum_removes_nothing_where_there_is_no_hum(make_audio, tmp_path):
    source = f"{VOICE.format(a=0.3)},{SENTENCES}"
    before, after, result = build(make_audio, tmp_path, source, 12, ("dehum",))
    assert result.chain[0].what == "no hum found, nothing removed"
    plain = master(Program(probe(tmp_path / "in.wav")), AudioSettings(), tmp_path / "plain.mp3")
    assert np.array_equal(after, decoded(tmp_path / "plain.mp3"))
    assert plain.gain_db == result.gain_db


def test_highpass_takes_out_rumble(make_audio, tmp_path):
    source = f"{VOICE.format(a=0.3)},{SENTENCES}[v];aevalsrc=0.05*sin(2*PI*30*t):s=44100[r];"
    source += "[v][r]amix=normalize=0"
    before, after, result = build(make_audio, tmp_path, source, 8, ("highpass",))
    assert line_db(before, 30) + result.gain_db - line_db(after, 30) >= 12
    [step] = result.chain
    assert step.step == "highpass" and step.db > -10  # this rumble outweighs the voice


def test_denoise_lowers_a_hiss_floor_by_6_db_and_leaves_speech_alone(make_audio, tmp_path):
    hiss = "anoisesrc=c=white:a=0.003:r=44100:seed=3"
    source = f"{VOICE.format(a=0.3)},{SENTENCES}[v];{hiss}[h];[v][h]amix=normalize=0"
    before, after, result = build(make_audio, tmp_path, source, 16, ("denoise",))
    pauses = [(t + 2.4, t + 3.8) for t in range(4, 16, 4)]
    speech = [(t + 0.2, t + 1.8) for t in range(4, 16, 4)]
    floor_drop = (level_db(before, pauses) - level_db(before, speech)) - (
        level_db(after, pauses) - level_db(after, speech)
    )
    assert floor_drop >= 6
    # Against the same master without the chain: speech moves by the gain only.
    plain = master(Program(probe(tmp_path / "in.wav")), AudioSettings(), tmp_path / "plain.mp3")
    moved = level_db(after, speech) - level_db(decoded(tmp_path / "plain.mp3"), speech)
    assert abs(moved - (result.gain_db - plain.gain_db)) <= 0.5
    [step] = result.chain
    assert step.step == "denoise" and step.db >= 6


def test_leveler_brings_two_speakers_10_db_apart_within_3_lu(make_audio, tmp_path):
    # Speaker A for 5 s, speaker B 10 dB quieter for 5 s, and so on.
    swap = "volume='if(lt(mod(t\\,10)\\,5)\\,1\\,0.316)':eval=frame"
    speech = "volume='0.2+pow(abs(sin(2*PI*2.5*t))\\,2)':eval=frame"
    source = f"{VOICE.format(a=0.2)},{speech},{swap}"
    before, after, result = build(make_audio, tmp_path, source, 30, ("leveler",))
    loud = [(t + 1.5, t + 3.5) for t in range(0, 30, 10)]
    quiet = [(t + 6.5, t + 8.5) for t in range(0, 30, 10)]
    assert level_db(before, loud) - level_db(before, quiet) == pytest.approx(10, abs=0.5)
    assert abs(level_db(after, loud) - level_db(after, quiet)) <= 3
    [step] = result.chain
    assert step.step == "leveler" and 5 <= step.db <= 20
    assert abs(result.output.integrated - result.target) <= 0.5


def test_pauses_are_not_pumped_up_by_the_leveler(make_audio, tmp_path):
    room = "anoisesrc=c=white:a=0.001:r=44100:seed=3"
    source = f"{VOICE.format(a=0.3)},volume='lt(mod(t\\,8)\\,3)':eval=frame[v];{room}[r];"
    source += "[v][r]amix=normalize=0"  # 3 s of voice, 5 s of room tone
    before, after, result = build(make_audio, tmp_path, source, 24, ("leveler",))
    pauses = [(t + 4, t + 7.5) for t in (8, 16)]
    speech = [(t + 0.5, t + 2.5) for t in (8, 16)]
    lift = (level_db(after, pauses) - level_db(after, speech)) - (
        level_db(before, pauses) - level_db(before, speech)
    )
    assert lift <= 3  # a leveler without a gate would raise the room tone by its full 10 dB


def test_a_sample_in_step_with_the_programme_s_rhythm_is_corrected():
    # A minute whose first 6 s of every 30 are 10 dB louder: one 6 s stretch every 30 s keeps
    # only the loud ones.
    ends = (np.arange(600) + 1) * 0.1
    phase = np.mod(ends + 1e-6, 30)
    loud = (phase >= 0.4) & (phase <= 6.001)
    momentary = np.where(loud, -20.0, -30.0).astype(np.float32)
    frames = Frames(array("f", momentary.tobytes()), array("f", momentary.tobytes()))
    chain = Chain((), -25.5, frames)
    whole = 10 * np.log10(np.mean(10 ** (momentary.astype(np.float64) / 10)))
    assert chain.sampled(30.0, 6.0).sampled_shift() == pytest.approx(-20 - whole, abs=0.01)
    assert chain.sampled(30.0, 6.0).sampled_shift() > 5
    assert chain.sampled_shift() == 0.0  # not sampled
    steady = Frames(array("f", [-30.0] * 600), array("f", [-30.0] * 600))
    assert Chain((), -30.0, steady).sampled(30.0, 6.0).sampled_shift() == 0.0
    slight = np.where(loud, -29.5, -30.0).astype(np.float32)  # 0.4 LU: the limiter evens it out
    frames = Frames(array("f", slight.tobytes()), array("f", slight.tobytes()))
    assert Chain((), -29.8, frames).sampled(30.0, 6.0).sampled_shift() == 0.0


def test_the_audio_settings_of_the_chain_are_read_and_checked(tmp_path):
    show = '[show]\ntitle = "t"\ndescription = "d"\nauthor = "a"\nlanguage = "tr"\n'
    (tmp_path / "podcast.toml").write_text(show, encoding="utf-8")
    defaults = load_show(tmp_path).audio
    assert (defaults.loudness_mono, defaults.max_limiter_makeup, defaults.process) == (-19, 1.5, ())
    audio = '[audio]\nprocess = ["leveler", "highpass"]\nloudness_mono = -16\n'
    (tmp_path / "podcast.toml").write_text(show + audio, encoding="utf-8")
    settings = load_show(tmp_path).audio
    assert settings.process == ("highpass", "leveler") and settings.loudness_mono == -16
    wrong = '[audio]\nprocess = ["levler"]\nmax_limiter_makeup = 9\n'
    (tmp_path / "podcast.toml").write_text(show + wrong, encoding="utf-8")
    problems = [str(e) for e in inspect_show(tmp_path)[1].errors]
    assert any("audio.process" in p and "did you mean `leveler`?" in p for p in problems)
    assert any("audio.max_limiter_makeup" in p for p in problems)


def _mains(level_dbfs: float) -> np.ndarray:
    """40 s of 60 Hz hum (and its 2nd harmonic at half) over a -140 dBFS noise floor."""
    t = np.arange(40 * TAP_RATE) / TAP_RATE
    hum = np.sin(2 * np.pi * 60 * t) + 0.5 * np.sin(2 * np.pi * 120 * t)
    return 10 ** (level_dbfs / 20) * hum + np.random.default_rng(1).normal(0, 1e-7, len(t))


@pytest.mark.parametrize(
    ("signal", "found"),
    [
        (_mains(-50), (60.0, 120.0)),
        (0.5 * np.sin(2 * np.pi * 440 * np.arange(40 * TAP_RATE) / TAP_RATE), None),  # a tone
        (_mains(-110), None),  # inaudible after any gain
    ],
    ids=["mains at -50 dBFS", "a pure 440 Hz tone", "mains at -110 dBFS"],
)
def test_the_low_band_finds_mains_hum_and_only_hum(signal, found):
    band = LowBand()
    band.feed(signal.astype(np.float32))
    hum = band.hum()
    assert (hum.frequencies if hum else None) == found
