"""Mastering end to end: the encoded MP3 meets the loudness promise as ffmpeg's meter reads it."""

from __future__ import annotations

import pytest
from mutagen.mp3 import MP3, BitrateMode

from podcast_pipe.audio import master as master_module
from podcast_pipe.audio.decode import Program, probe
from podcast_pipe.audio.master import master
from podcast_pipe.audio.meter import measure_file
from podcast_pipe.config import AudioSettings
from podcast_pipe.errors import AudioError

# Pink noise, band-limited and shaped into ~2.5 "syllables" a second: speech-like crest factor.
SPEECH = "anoisesrc=c=pink:a={a}:r=44100:seed=7,lowpass=f=7000,volume='pow(abs(sin(2*PI*2.5*t))\\,3)':eval=frame"
INPUTS = {
    "quiet": (SPEECH.format(a=0.01), ()),
    "normal": (SPEECH.format(a=0.2), ("-ac", "2")),
    "hot-clipped": (
        "aevalsrc=clip(3*sin(2*PI*220*t)\\,-1\\,1)|clip(3*sin(2*PI*330*t)\\,-1\\,1)",
        (),
    ),
    "clicks": ("aevalsrc=if(lt(mod(t\\,0.5)\\,0.002)\\,0.9\\,0)+0.05*sin(2*PI*300*t)", ()),
}


DEFAULTS = AudioSettings()


def assert_promise(path, settings: AudioSettings = DEFAULTS) -> None:
    measured = measure_file(path)
    assert abs(measured.integrated - settings.loudness) <= 0.5, measured
    assert measured.true_peak <= settings.true_peak, measured


@pytest.mark.parametrize("name", INPUTS)
def test_inputs_land_within_tolerance_and_under_the_ceiling(make_audio, tmp_path, name):
    source, options = INPUTS[name]
    path = make_audio(f"{name}.wav", source, 6, *options)
    out = tmp_path / f"{name}.mp3"
    result = master(Program(probe(path)), AudioSettings(), out)
    assert_promise(out)
    assert measure_file(out).integrated == result.output.integrated
    # The input's figures agree with ffmpeg's meter (true peak from the limiter's oversampler).
    source = measure_file(path)
    assert abs(result.input.true_peak - source.true_peak) <= 0.2
    assert result.input.sample_peak == source.sample_peak
    info = MP3(out).info
    assert info.bitrate_mode in (BitrateMode.CBR, BitrateMode.UNKNOWN)
    assert info.sample_rate == 44100
    assert info.length == pytest.approx(6.0, abs=0.06)


def test_gain_goes_both_ways_and_the_limiter_takes_only_peaks(make_audio, tmp_path):
    quiet = master(
        Program(probe(make_audio("q.wav", SPEECH.format(a=0.01), 5))),
        AudioSettings(),
        tmp_path / "q.mp3",
    )
    assert quiet.gain_db > 15
    hot_source = make_audio("h.wav", INPUTS["hot-clipped"][0], 5)
    hot = master(Program(probe(hot_source)), AudioSettings(), tmp_path / "h.mp3")
    assert hot.gain_db < -15 and hot.limiter.limited_ms == 0
    assert hot.input.true_peak > hot.input.sample_peak  # clipped waves overshoot between samples
    clicks = make_audio("c.wav", INPUTS["clicks"][0], 5)
    spiky = master(Program(probe(clicks)), AudioSettings(), tmp_path / "c.mp3")
    assert spiky.limiter.max_reduction_db > 10
    # 10 clicks of 2 ms: each limited for attack + click + hold + release, 52 ms.
    assert spiky.limiter.limited_ms <= 10 * 52


def test_channels_auto_publishes_dual_mono_as_mono(make_audio, tmp_path):
    dual = make_audio("dual.wav", SPEECH.format(a=0.2), 5, "-ac", "2")
    result = master(Program(probe(dual)), AudioSettings(), tmp_path / "dual.mp3")
    assert (result.format.channels, result.format.bitrate_kbps) == (1, 64)
    assert MP3(tmp_path / "dual.mp3").info.channels == 1
    assert_promise(tmp_path / "dual.mp3")


def test_true_stereo_stays_stereo_and_mono_can_be_forced_to_stereo(make_audio, tmp_path):
    stereo = make_audio("st.flac", "aevalsrc=0.2*sin(2*PI*440*t)|0.2*sin(2*PI*550*t):s=48000", 4)
    result = master(Program(probe(stereo)), AudioSettings(), tmp_path / "st.mp3")
    assert (result.format.channels, result.format.bitrate_kbps) == (2, 128)
    assert MP3(tmp_path / "st.mp3").info.sample_rate == 44100
    mono = make_audio("mono.wav", "sine=f=440", 4)
    forced = AudioSettings(channels="2", bitrate=96)
    result = master(Program(probe(mono)), forced, tmp_path / "forced.mp3")
    assert (result.format.channels, result.format.bitrate_kbps) == (2, 96)
    assert_promise(tmp_path / "forced.mp3")


def test_other_targets_are_met(make_audio, tmp_path):
    settings = AudioSettings(loudness=-19.0, true_peak=-2.0)
    path = make_audio("speech.wav", SPEECH.format(a=0.2), 5)
    master(Program(probe(path)), settings, tmp_path / "out.mp3")
    assert_promise(tmp_path / "out.mp3", settings)


def test_silent_input_is_refused(make_audio, tmp_path):
    silent = make_audio("sessiz.wav", "anullsrc=r=44100:cl=mono", 3)
    with pytest.raises(AudioError, match="below −70 LUFS") as caught:
        master(Program(probe(silent)), AudioSettings(), tmp_path / "out.mp3")
    assert caught.value.path == silent
    assert not (tmp_path / "out.mp3").exists()


def test_a_failure_mid_encode_leaves_the_previous_output(make_audio, tmp_path, monkeypatch):
    path = make_audio("ep.wav", SPEECH.format(a=0.2), 4)
    out = tmp_path / "ep.mp3"
    out.write_bytes(b"previous master")
    calls = []

    class Failing(master_module.TruePeakLimiter):
        def process(self, block):
            calls.append(len(block))
            if len(calls) == 2:
                raise OSError("disk full")
            return super().process(block)

    monkeypatch.setattr(master_module, "TruePeakLimiter", Failing)
    monkeypatch.setattr(master_module, "CHUNK_FRAMES", 44100)
    with pytest.raises(OSError, match="disk full"):
        master(Program(probe(path)), AudioSettings(), out)
    assert out.read_bytes() == b"previous master"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_gain_search_learns_the_slope_of_a_limited_programme():
    search = master_module.GainSearch(10.0)
    search.step(level=-17.0, target=-16.0)  # first step: the prior slope, 0.7
    assert search.gain_db == pytest.approx(10 + 1 / 0.7)
    search.step(level=-16.5, target=-16.0)  # +1.43 dB of gain gave +0.5 LU: slope 0.35
    assert search.slope == pytest.approx(0.5 / (1 / 0.7))
    assert search.gain_db == pytest.approx(10 + 1 / 0.7 + 0.5 / search.slope)


def test_a_sampled_rehearsal_reads_what_the_whole_programme_reads(make_audio, monkeypatch):
    path = make_audio("long.wav", SPEECH.format(a=0.2), 40)
    fmt = master_module.Mp3Format(1, 44100, 64)
    program = Program(probe(path))
    whole = master_module.rehearse(program, fmt, 20.0, -3.0)
    monkeypatch.setattr(master_module, "REHEARSAL_SAMPLING_S", 10)  # 40 s: one segment in 4
    stream, selects = master_module._stream, []

    def spy(*args, **kwargs):
        selects.append(kwargs.get("select"))
        return stream(*args, **kwargs)

    monkeypatch.setattr(master_module, "_stream", spy)
    sampled = master_module.rehearse(program, fmt, 20.0, -3.0)
    assert selects == ["aselect='lt(mod(t\\,24.0)\\,6.0)'"]
    assert abs(sampled - whole) <= 0.2
