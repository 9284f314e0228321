"""Decoding every input format without ffprobe, and the programme graph (intro, outro, trim)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from podcast_pipe.audio.decode import Program, probe, read_pcm, speech_bounds
from podcast_pipe.errors import AudioError
from podcast_pipe.ffmpeg import FFmpeg

STEREO = "aevalsrc=0.3*sin(2*PI*440*t)|0.2*sin(2*PI*660*t):s=48000"

FORMATS = {
    "s16.wav": ("-c:a", "pcm_s16le"),
    "s24.wav": ("-c:a", "pcm_s24le"),
    "f32.wav": ("-c:a", "pcm_f32le"),
    "tone.flac": (),
    "tone.aiff": (),
    "tone.mp3": ("-b:a", "128k"),
    "tone.m4a": ("-c:a", "aac", "-b:a", "96k"),
    "tone.ogg": ("-c:a", "libvorbis"),
    "tone.opus": ("-c:a", "libopus"),
}


def decode(
    program: Program,
    layout: str = "stereo",
    rate: int = 44100,
    *,
    packets: bool = True,
    select: str = "",
) -> np.ndarray:
    channels = 1 if layout == "mono" else 2
    graph = program.graph(layout, rate, select=select)
    inputs = program.inputs(packets=packets)
    args = [*inputs, "-filter_complex", graph, "-map", "[prog]", "-f", "f32le", "pipe:1"]
    process = FFmpeg(args, stdout=subprocess.PIPE)
    pcm = np.concatenate(list(read_pcm(process, channels, 8192)))
    process.wait()
    return pcm


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_decodes_to_its_length(make_audio, name, monkeypatch):
    monkeypatch.setenv("PATH", "")  # no ffprobe (nor anything else) to fall back on
    path = make_audio(name, STEREO, 2, *FORMATS[name])
    info = probe(path)
    assert info.channels == 2
    pcm = decode(Program(info))
    # Lossy codecs pad a few ms; all must decode to the same 2 s at 44.1 kHz.
    assert len(pcm) / 44100 == pytest.approx(2.0, abs=0.03)
    middle = pcm[len(pcm) // 4 : -len(pcm) // 4]  # the level of a 0.3 sine, past codec start-up
    # (LAME plays a tone about 0.4 dB quieter: see master.LAME_LOSS_LU.)
    assert np.sqrt(np.mean(middle[:, 0] ** 2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.07)


def test_probe_reads_rate_and_channels(make_audio):
    info = probe(make_audio("m.wav", "sine=f=440:r=22050", 1))
    assert (info.sample_rate, info.channels, info.codec) == (22050, 1, "pcm_s16le")
    assert info.duration_s == pytest.approx(1.0, abs=0.01)
    surround = probe(make_audio("6.wav", "sine", 1, "-ac", "6"))
    assert surround.channels > 2


@pytest.mark.parametrize("name", ["s16.wav", "s24.wav", "tone.flac"])
def test_a_pcm_wav_is_read_in_long_packets_to_the_same_samples(make_audio, name):
    info = probe(make_audio(name, STEREO, 2, *FORMATS[name]))
    assert ("-max_size" in info.input_args()) == name.endswith(".wav")
    program = Program(info)
    assert "-max_size" not in program.inputs(packets=False)
    np.testing.assert_array_equal(decode(program), decode(program, packets=False))


def test_an_episode_alone_is_sampled_as_read_in_whole_segments(make_audio):
    """A rehearsal's sample (stream.py): 0.4 s packets, 2 s of every 4, on the episode's time
    and before it is resampled; with an intro, after the crossfade."""
    path = make_audio("s16.wav", STEREO, 8, *FORMATS["s16.wav"])
    keep = "aselect='lt(mod(t\\,4)\\,2)'"
    whole = decode(Program(probe(path)))  # 48 kHz resampled to 44.1
    sampled = decode(Program(probe(path)), select=keep)
    assert len(sampled) == pytest.approx(len(whole) / 2, abs=64)
    # The segments, resampled on their own, are the whole programme's away from their edges.
    inner = slice(4410, 88200 - 4410)
    np.testing.assert_allclose(sampled[inner], whole[inner], atol=1e-3)
    np.testing.assert_allclose(sampled[88200:][inner], whole[176400:][inner], atol=1e-3)
    intro = probe(make_audio("intro.wav", STEREO, 1))
    graph = Program(probe(path), intro=intro).graph("stereo", 48000, select=keep)
    assert graph.endswith(f"acrossfade=d=0.500:c1=tri:c2=tri[sel];[sel]{keep}[prog]")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 10, "cannot read it as audio"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "cannot read it as audio"),
    ],
)
def test_bad_files_are_named(tmp_path, content, message):
    path = tmp_path / "bölüm.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as caught:
        probe(path)
    assert caught.value.path == path


def test_a_file_without_audio_is_refused(make_audio, tmp_path):
    video = make_audio("picture.mkv", "testsrc=size=64x64:rate=5", 1)
    with pytest.raises(AudioError, match="no audio stream"):
        probe(video)


def test_identical_channels_average_to_the_same_samples(make_audio):
    dual = make_audio("dual.wav", "aevalsrc=0.25*sin(2*PI*300*t)|0.25*sin(2*PI*300*t)", 1)
    stereo = decode(Program(probe(dual)))
    mono = decode(Program(probe(dual)), "mono")
    assert np.array_equal(mono[:, 0], stereo[:, 0])


def test_intro_and_outro_crossfade_arithmetic(make_audio):
    intro = probe(make_audio("intro.wav", "sine=f=300", 2))
    main = probe(make_audio("main.wav", "sine=f=500", 4))
    outro = probe(make_audio("outro.flac", "sine=f=700", 1.5))
    intro_s = 2.0
    program = Program(main, intro, outro, intro_s=intro_s, crossfade_s=0.5)
    assert program.offset_s == pytest.approx(1.5)
    pcm = decode(program, "mono")
    assert len(pcm) / 44100 == pytest.approx(2 + 4 + 1.5 - 2 * 0.5, abs=0.02)
    plain = Program(main, intro, outro, intro_s=intro_s, crossfade_s=0)
    assert len(decode(plain, "mono")) / 44100 == pytest.approx(7.5, abs=0.02)
    assert plain.offset_s == pytest.approx(2.0)


def test_silence_trim_keeps_padding_and_moves_chapters(make_audio):
    tone = "if(between(t\\,1\\,3)\\,0.3*sin(2*PI*440*t)\\,0)"
    path = make_audio("quiet-ends.wav", f"aevalsrc={tone}:s=44100", 4.5)
    start, end = speech_bounds(path, -50.0, 0.25)
    assert start == pytest.approx(0.75, abs=0.02)
    assert end == pytest.approx(3.25, abs=0.02)
    program = Program(probe(path), trim=(start, end))
    assert len(decode(program, "mono")) / 44100 == pytest.approx(2.5, abs=0.02)
    assert program.offset_s == pytest.approx(-0.75, abs=0.02)


def test_no_trim_when_there_is_no_silence(make_audio):
    assert speech_bounds(make_audio("full.wav", "sine", 2), -50.0, 0.25) == (0.0, None)


@pytest.mark.parametrize(("name", "keep"), [("cut.wav", 200_000), ("cut.flac", 30_000)])
def test_truncated_files_are_refused(make_audio, tmp_path, name, keep):
    from podcast_pipe.audio.master import master
    from podcast_pipe.config import AudioSettings

    whole = make_audio(name, "sine=f=440", 4)
    cut = tmp_path / f"kesik-{name}"
    cut.write_bytes(whole.read_bytes()[:keep])
    with pytest.raises(AudioError, match="truncated: its header promises 4.0 s") as caught:
        master(Program(probe(cut)), AudioSettings(), tmp_path / "out.mp3")
    assert caught.value.path == cut
    master(Program(probe(whole)), AudioSettings(), tmp_path / "out.mp3")  # the whole file is fine
