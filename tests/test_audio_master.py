"""Mastering end to end: the encoded MP3 meets the loudness promise as ffmpeg's meter reads it."""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import threading
from array import array
from types import SimpleNamespace

import numpy as np
import pytest
from mutagen.mp3 import MP3, BitrateMode

from podcast_pipe.audio import master as master_module
from podcast_pipe.audio import stream as stream_module
from podcast_pipe.audio.decode import Program, probe
from podcast_pipe.audio.encode import HELPER_NICE, Mp3Format
from podcast_pipe.audio.master import master
from podcast_pipe.audio.meter import Frames, MeteredFFmpeg, ebur128, measure_file
from podcast_pipe.audio.process import Chain
from podcast_pipe.audio.stream import Render
from podcast_pipe.build.record import from_data, to_data
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
}
# Clicks 25 dB over a quiet tone: reaching the target would take ~8 dB of limiting.
CLICKS = "aevalsrc=if(lt(mod(t\\,0.5)\\,0.002)\\,0.9\\,0)+0.05*sin(2*PI*300*t)"


DEFAULTS = AudioSettings()


def assert_promise(path, settings: AudioSettings = DEFAULTS, tolerance: float = 0.5) -> None:
    """At the target of its channel count (mono: loudness_mono), and under the ceiling."""
    measured = measure_file(path)
    mono = MP3(path).info.channels == 1
    target = settings.loudness_mono if mono else settings.loudness
    assert abs(measured.integrated - target) <= tolerance, measured
    assert measured.true_peak <= settings.true_peak, measured


@pytest.mark.parametrize("name", INPUTS)
def test_inputs_land_within_tolerance_and_under_the_ceiling(make_audio, tmp_path, name):
    source, options = INPUTS[name]
    path = make_audio(f"{name}.wav", source, 6, *options)
    out = tmp_path / f"{name}.mp3"
    result = master(Program(probe(path)), AudioSettings(), out)
    assert_promise(out)
    measured = measure_file(out)
    # The file's decoder drops LAME's delay and padding (gapless), the meter's stream has them:
    # the same to ebur128's 0.1 LU, or one step apart where the figure sits between two.
    assert measured.integrated == pytest.approx(result.output.integrated, abs=0.11)
    # The MP3's true peak, read by the meter's oversampler, is ffmpeg's to its 0.1 dB.
    assert result.output.true_peak == pytest.approx(measured.true_peak, abs=0.1)
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


def test_a_programme_that_would_need_squashing_is_published_quieter_with_a_warning(
    make_audio, tmp_path
):
    clicks = make_audio("c.wav", CLICKS, 5)
    spiky = master(Program(probe(clicks)), AudioSettings(), tmp_path / "c.mp3")
    assert spiky.target == -19.0  # mono
    assert spiky.gain_db <= spiky.target - spiky.input.integrated + 1.5 + 1e-6
    assert spiky.output.integrated < -19.0 - 0.5
    assert spiky.output.true_peak <= -1.0
    assert spiky.limiter.max_reduction_db > 6
    # 10 clicks of 2 ms, each limited for attack + click + a 50 ms release from 9 dB to 0.1 dB.
    assert spiky.limiter.limited_ms <= 10 * 1000 * (0.007 + 0.05 * math.log(9 / 0.1) + 0.02)
    [warning] = spiky.warnings
    assert f"reached {spiky.output.integrated:.1f} LUFS, not -19" in warning
    assert "more than 1.5 dB" in warning and 'process = ["leveler"]' in warning
    allowed = AudioSettings(max_limiter_makeup=6.0)
    squashed = master(Program(probe(clicks)), allowed, tmp_path / "s.mp3")
    assert squashed.gain_db > spiky.gain_db + 2 and squashed.limiter.max_reduction_db > 10


@pytest.mark.parametrize("right", ["c0", "0.9999*c0"])  # identical, or 80 dB under (dither)
def test_dual_mono_is_published_as_mono_at_the_mono_target(make_audio, tmp_path, right):
    pan = f"pan=stereo|c0=c0|c1={right}"  # from mono
    dual = make_audio("dual.wav", SPEECH.format(a=0.2), 5, "-af", pan)
    result = master(Program(probe(dual)), AudioSettings(), tmp_path / "dual.mp3")
    assert (result.format.channels, result.format.bitrate_kbps) == (1, 64)
    assert MP3(tmp_path / "dual.mp3").info.channels == 1
    assert_promise(tmp_path / "dual.mp3", tolerance=0.2)
    assert measure_file(tmp_path / "dual.mp3").integrated == pytest.approx(-19.0, abs=0.2)


def test_stereo_with_a_difference_stays_stereo_at_the_stereo_target(make_audio, tmp_path):
    pan = "pan=stereo|c0=c0|c1=0.98*c0"  # L - R at -40 dB of L + R: a (narrow) stereo image
    wide = make_audio("wide.wav", SPEECH.format(a=0.2), 5, "-af", pan)
    settings = AudioSettings(loudness_mono=-16.0, loudness=-18.0)
    result = master(Program(probe(wide)), settings, tmp_path / "wide.mp3")
    assert (result.format.channels, result.target) == (2, -18.0)
    assert measure_file(tmp_path / "wide.mp3").integrated == pytest.approx(-18.0, abs=0.2)


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

    class Failing(stream_module.TruePeakLimiter):
        def process_all(self, block):
            calls.append(len(block))
            if len(calls) == 2:
                raise OSError("disk full")
            return super().process_all(block)

    monkeypatch.setattr(stream_module, "TruePeakLimiter", Failing)
    monkeypatch.setattr(stream_module, "CHUNK_FRAMES", 44100)
    with pytest.raises(OSError, match="disk full"):
        master(Program(probe(path)), AudioSettings(), out)
    assert out.read_bytes() == b"previous master"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
def test_the_limiter_yields_the_cores_to_the_encoders(make_audio, tmp_path, monkeypatch):
    path = make_audio("ep.wav", SPEECH.format(a=0.2), 3)
    seen = []

    class Watched(stream_module.TruePeakLimiter):
        def process_all(self, block):
            thread = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            seen.append((thread, os.getpriority(os.PRIO_PROCESS, os.getpid())))
            return super().process_all(block)

    encoders = []

    class Encoder(stream_module.Encoder):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            encoders.append(os.getpriority(os.PRIO_PROCESS, self.encoder.process.pid))

    monkeypatch.setattr(stream_module, "TruePeakLimiter", Watched)
    monkeypatch.setattr(stream_module, "Encoder", Encoder)
    master(Program(probe(path)), AudioSettings(), tmp_path / "ep.mp3")
    own = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert seen and set(seen) == {(max(own, HELPER_NICE), own)}
    assert encoders and set(encoders) == {own}
    assert_promise(tmp_path / "ep.mp3")


def test_gain_rule_starts_at_target_minus_input_and_caps_the_makeup():
    rule = master_module.GainRule(-16.0, -30.0, 1.5, 0.35)
    assert rule.start == 14.0 and rule.db == pytest.approx(14.35) and not rule.capped
    rule.move(0.5)  # the limiter took 0.5 LU
    assert rule.db == pytest.approx(14.85)
    rule.learn((14.35, -15.9), (14.85, -15.6))  # +0.5 dB gave +0.3 LU
    assert rule.slope == pytest.approx(0.6)
    rule.move(1.0)
    assert rule.db == 15.5 and rule.capped


def test_a_sampled_rehearsal_reads_what_the_whole_programme_reads(
    make_audio, monkeypatch, tmp_path
):
    path = make_audio("long.wav", SPEECH.format(a=0.2), 40)
    fmt = Mp3Format(1, 44100, 64)
    program = Program(probe(path))
    chain = Chain((), -20.0, Frames())
    scratch = tmp_path / "scratch"
    aims = {"mp3": stream_module.Aim(-3.0), "opus": stream_module.Aim(-3.0, -0.35)}
    whole = stream_module.rehearse(program, fmt, 20.0, chain, scratch, aims)
    monkeypatch.setattr(stream_module, "REHEARSAL_SAMPLING_S", 10)  # 40 s: one segment in 5
    stream, filters = stream_module.stream, []

    def spy(program, fmt, gain_db, chain, *args, **kwargs):
        filters.append(chain.select)
        return stream(program, fmt, gain_db, chain, *args, **kwargs)

    monkeypatch.setattr(stream_module, "stream", spy)
    sampled = stream_module.rehearse(program, fmt, 20.0, chain, scratch, aims)
    assert filters == ["aselect='lt(mod(t\\,30.0)\\,6.0)'"]
    # What a ceiling PROBE_DB lower would take, read on the sample as on the whole.
    assert 0.05 < whole["mp3"].loss_per_db == pytest.approx(sampled["mp3"].loss_per_db, abs=0.1)
    for name in aims:  # each encoder metered on its own
        assert abs(sampled[name].level - whole[name].level) <= 0.2
        assert -4.5 < sampled[name].highest_db <= whole[name].highest_db + 0.05  # fewer peaks
    assert list(tmp_path.iterdir()) == [path]  # the scratch files are gone


def test_a_re_encode_lowers_the_ceiling_by_the_most_lame_raised_a_peak_near_it():
    ceiling, true_peak = -1.1, -1.0
    pcm = np.full(40, -np.inf)  # the limited PCM's peak per 100 ms frame
    pcm[10:20], pcm[30] = ceiling, -1.5  # at the ceiling; 0.4 dB under it, not limited
    mp3 = np.full(40, -6.0)
    mp3[10:20] = -1.2  # LAME lowered the limited peaks...
    mp3[30] = -0.9  # ... and raised this one by 0.6 dB: limited next time, it reads -0.5
    mp3[5] = -1.3  # far from the ceiling in the PCM: not LAME's doing
    pcm[5] = -12.0

    def reaim(pcm_db: np.ndarray) -> float:
        frames = Frames(true_peak=array("f", mp3.astype(np.float32).tobytes()))
        done = SimpleNamespace(frames=frames, limiter=SimpleNamespace(region_peaks_db=pcm_db))
        return master_module._reaim(done, ceiling, true_peak)

    # Aimed so that the 0.6 dB rise lands GUARD_DB (0.2) under -1 dBTP: ceiling -1.8.
    assert reaim(pcm) == pytest.approx(0.7)
    assert reaim(np.full(40, -np.inf)) == pytest.approx(0.3)  # unknown: the highest frame's
    pcm[30] = -2.0  # too far under the ceiling to be limited next time
    assert reaim(pcm) == pytest.approx(0.3)


def test_an_mp3_over_the_ceiling_in_a_few_frames_is_lowered_there_in_place(make_audio, tmp_path):
    path = make_audio("speech.wav", SPEECH.format(a=0.2), 60)
    out = tmp_path / "out.mp3"
    result = master(Program(probe(path)), AudioSettings(), out)
    meter = MeteredFFmpeg(["-i", out, "-af", ebur128(frames=True), "-f", "null", "-"])
    meter.wait()
    frames = meter.frames["ebur128"]  # ffmpeg's own true peak per frame
    peaks = np.frombuffer(frames.true_peak, np.float32)
    done = Render(result.output, frames, None, 0.0)  # type: ignore[arg-type]
    before, original = measure_file(out), out.read_bytes()
    lower = functools.partial(master_module._lower_peaks, fmt=result.format,
                              program=Program(probe(path)), exe=None)  # fmt: skip

    assert lower(done, out, float(peaks.max()) - 6) is None  # most frames over: re-encode
    assert out.read_bytes() == original
    top, second = np.unique(peaks)[[-1, -2]]
    ceiling = float(top + second) / 2  # the highest frames alone cross it
    lowered, stretches = lower(done, out, ceiling)
    after = measure_file(out)
    assert 1 <= stretches <= (peaks > ceiling).sum()
    assert after.true_peak <= ceiling < before.true_peak
    assert lowered.output.true_peak == pytest.approx(after.true_peak, abs=0.1)
    assert after.integrated == pytest.approx(before.integrated, abs=0.05)
    assert len(out.read_bytes()) == len(original)


@pytest.mark.parametrize("first", ["just-over", "far-over"])
def test_a_master_a_little_over_the_ceiling_is_lowered_without_a_re_encode(
    make_audio, tmp_path, monkeypatch, first
):
    """The first encode aimed hotter than the rehearsal found: just hot enough to cross the
    ceiling (in a frame or two), its frames over are lowered in place; 3 dB hot, the whole
    programme is over, and it is encoded again."""
    render = master_module.render
    calls = []

    def hot(program, fmt, gain_db, ceiling_db, *args, **kwargs):
        calls.append(ceiling_db)
        for more in np.arange(1.0, 2.5, 0.1) if first == "just-over" else [3.0]:
            if len(calls) > 1:
                break
            done = render(program, fmt, gain_db, ceiling_db + more, *args, **kwargs)
            if done.output.true_peak > DEFAULTS.true_peak:
                return done
        return render(program, fmt, gain_db, ceiling_db, *args, **kwargs)

    monkeypatch.setattr(master_module, "render", hot)
    path = make_audio("speech.wav", SPEECH.format(a=0.2), 60)
    out = tmp_path / "out.mp3"
    result = master(Program(probe(path)), AudioSettings(), out)
    if first == "just-over":
        assert result.encodes == 1 and result.lowered >= 1
    else:
        assert result.encodes > 1 and result.lowered == 0
    assert_promise(out)
    assert result.output.true_peak == pytest.approx(measure_file(out).true_peak, abs=0.1)


def test_a_thinner_sample_lowers_the_ceiling_more_and_the_gain_makes_up_the_loudness(
    monkeypatch,
):
    """A rehearsal of three hours hears 1 frame in 30: the whole programme's highest frame
    reads higher than an hour's sample (1 in 10) would say. The ceiling comes down further,
    and the gain moves by the loudness the lower ceiling will take."""
    fits = {}
    for every in (3, 10, 30):
        heard = stream_module.Rehearsal(level=-16.0, highest_db=-0.4, every=every)
        monkeypatch.setattr(master_module, "rehearse", lambda *a, heard=heard, **k: {"mp3": heard})
        gain = master_module.GainRule(-16.0, -32.0, 1.5, 0.0)
        ceiling = master_module._fit_gain(gain, None, None, -1.1, -1.0, None, None, {},
                                          exe=None, on_progress=lambda f: None)  # fmt: skip
        fits[every] = (ceiling, gain.db)
    guard, growth = master_module.SAMPLE_GUARD_DB, master_module.SAMPLE_GROWTH_DB
    lowered = -0.4 - (-1.0 - guard)  # 1 in 10 or denser: the sample's highest, guard under
    assert fits[3] == fits[10]
    assert fits[10][0] == pytest.approx(-1.1 - lowered)
    more = growth * math.log2(3)  # 1 in 30: growth per doubling past 1 in 10
    assert fits[30][0] == pytest.approx(-1.1 - lowered - more)
    # The gain makes up what the lower ceiling will take (the rehearsal's figure, 0.15 LU per
    # dB: over the rehearsal's 0.1 LU goal here, so corrected without a second rehearsal).
    loss = stream_module.Rehearsal(-16.0, -0.4).loss_per_db
    assert fits[10][1] == pytest.approx(16.0 + lowered * loss)
    assert fits[30][1] == pytest.approx(16.0 + (lowered + more) * loss)


def test_the_result_carries_a_per_second_timeline_and_round_trips_as_json(make_audio, tmp_path):
    path = make_audio("ep.wav", SPEECH.format(a=0.3), 6, "-ac", "2")
    result = master(Program(probe(path)), AudioSettings(channels="2"), tmp_path / "ep.mp3")
    timeline = result.timeline
    curves = [timeline.momentary_in, timeline.short_term_in, timeline.momentary_out]
    curves += [timeline.short_term_out, timeline.true_peak_out, timeline.gain_reduction_db]
    assert [len(curve) for curve in curves] == [6] * 6
    # The published file's curve follows the source's plus the gain, within LAME's loss.
    assert timeline.momentary_out[3] == pytest.approx(timeline.momentary_in[3], abs=1.0)
    assert max(timeline.true_peak_out) == pytest.approx(result.output.true_peak, abs=0.05)
    assert max(timeline.gain_reduction_db) == pytest.approx(result.limiter.max_reduction_db)
    data = json.loads(json.dumps(to_data(result)))  # as the build stores it
    assert from_data(master_module.MasterResult, data) == result
