"""The meter against EBU Tech 3341-style signals whose loudness is known by construction."""

from __future__ import annotations

import math

import pytest

from podcast_pipe.audio.meter import Loudness, measure_file, parse_summary, require_sound
from podcast_pipe.errors import AudioError

# A 997 Hz sine at -23 dBFS peak: 10^(-23/20).
A23 = 0.0707946


def stereo_sine(amplitude: float) -> str:
    return f"aevalsrc={amplitude}*sin(2*PI*997*t)|{amplitude}*sin(2*PI*997*t):s=48000"


def test_stereo_sine_at_minus_23_reads_minus_23(make_audio):
    # EBU Tech 3341 case 1: both channels at -23 dBFS read -23.0 LUFS.
    loudness = measure_file(make_audio("s.wav", stereo_sine(A23), 10))
    assert loudness.integrated == pytest.approx(-23.0, abs=0.1)
    assert loudness.sample_peak == pytest.approx(-23.0, abs=0.1)
    assert loudness.true_peak == pytest.approx(-23.0, abs=0.2)
    assert loudness.duration_s == pytest.approx(10.0, abs=0.05)


def test_mono_is_counted_once(make_audio):
    # BS.1770: one channel carries half the power of the same signal on two channels.
    loudness = measure_file(make_audio("m.wav", f"aevalsrc={A23}*sin(2*PI*997*t):s=48000", 10))
    assert loudness.integrated == pytest.approx(-26.0, abs=0.1)


def test_silence_is_gated_out(make_audio):
    # Absolute gate (-70 LUFS): 10 s of digital silence after the tone are not averaged in
    # (only the few 400 ms blocks straddling the end count, by 0.1 LU at most).
    tone = f"if(lt(t\\,10)\\,{A23}*sin(2*PI*997*t)\\,0)"
    loudness = measure_file(make_audio("gated.wav", f"aevalsrc={tone}|{tone}:s=48000", 20))
    assert loudness.integrated == pytest.approx(-23.0, abs=0.15)


def test_quiet_passages_are_gated_relative(make_audio):
    # EBU Tech 3341 case 3 shape: -36 / -23 / -36 dBFS for 10 / 60 / 10 s reads -23 LUFS.
    a36 = 10 ** (-36 / 20)
    level = f"if(between(t\\,10\\,70)\\,{A23}\\,{a36})*sin(2*PI*997*t)"
    loudness = measure_file(make_audio("rel.wav", f"aevalsrc={level}|{level}:s=48000", 80))
    assert loudness.integrated == pytest.approx(-23.0, abs=0.1)


def test_true_peak_sees_inter_sample_peaks(make_audio):
    # fs/4 sine at 45° phase: samples at ±0.707 of a 0.5 peak, so sample peak is 3 dB low.
    source = "aevalsrc=0.5*sin(2*PI*11025*t+PI/4):s=44100"
    loudness = measure_file(make_audio("isp.wav", source, 2, "-c:a", "pcm_f32le"))
    assert loudness.sample_peak == pytest.approx(-9.0, abs=0.1)
    assert loudness.true_peak - loudness.sample_peak >= 2.5


def test_silent_file_is_refused(make_audio):
    path = make_audio("silent.wav", "anullsrc=r=44100:cl=stereo", 3)
    loudness = measure_file(path)
    assert loudness.integrated == -70.0 and loudness.true_peak == -math.inf
    with pytest.raises(AudioError, match="below −70 LUFS; is this the right file") as caught:
        require_sound(loudness, path)
    assert caught.value.path == path


def test_unreadable_files_name_the_file(tmp_path):
    broken = tmp_path / "kayıt.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 64)
    with pytest.raises(AudioError) as caught:
        measure_file(broken)
    assert caught.value.path == broken
    with pytest.raises(AudioError, match="not found"):
        measure_file(tmp_path / "yok.wav")


def test_loudness_json_round_trip_keeps_silence():
    value = Loudness(-70.0, 0.0, -math.inf, -math.inf, 3.0)
    data = value.to_dict()
    assert data["true_peak"] is None
    assert Loudness.from_dict(data) == value


def test_summary_parsing_takes_the_last_summary():
    log = (
        "[Parsed_ebur128_0 @ 0x1] Summary:\n  Integrated loudness:\n    I:  -30.0 LUFS\n"
        "  Loudness range:\n    LRA:  1.0 LU\n"
        "[Parsed_ebur128_1 @ 0x2] Summary:\n  Integrated loudness:\n    I:  -16.2 LUFS\n"
        "    Threshold: -26.2 LUFS\n  Loudness range:\n    LRA:   4.5 LU\n"
        "  Sample peak:\n    Peak:  -2.0 dBFS\n  True peak:\n    Peak:  -1.4 dBFS\n"
    )
    assert parse_summary(log, 5.0) == Loudness(-16.2, 4.5, -1.4, -2.0, 5.0)
