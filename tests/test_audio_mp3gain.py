"""Lowering an MP3 in place: each granule's global gain, as ffmpeg's decoder reads it back."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from podcast_pipe.audio import mp3gain
from podcast_pipe.audio.oversample import FramePeaks

NOISE = "anoisesrc=c=pink:a=0.3:seed=3"


def encode(make_audio, rate: int, channels: int, *options: str):
    name = f"noise-{rate}-{channels}.mp3"
    return make_audio(name, NOISE, 4, "-ar", str(rate), "-ac", str(channels), "-c:a",
                      "libmp3lame", "-b:a", "64k", *options)  # fmt: skip


def decode(data: bytes, channels: int) -> np.ndarray:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "mp3", "-i", "pipe:0",
               "-f", "f32le", "pipe:1"]  # fmt: skip
    pcm = subprocess.run(command, input=data, capture_output=True, check=True).stdout
    return np.frombuffer(pcm, "<f4").reshape(-1, channels)


@pytest.mark.parametrize(("rate", "channels"), [(44100, 2), (48000, 1), (22050, 2), (24000, 1)])
def test_lowered_frames_play_1_5_db_lower_and_nothing_else_changes(make_audio, rate, channels):
    path = encode(make_audio, rate, channels)
    original = path.read_bytes()
    layout = mp3gain.read_layout(path)
    assert layout is not None and layout.samples == (1152 if rate > 24000 else 576)
    period = rate // 10
    frames = layout.reaching(10 * period, 12 * period)
    undo = mp3gain.lower(path, layout, frames, 2)
    data = path.read_bytes()

    assert len(data) == len(original)
    changed = {i for i in range(len(data)) if data[i] != original[i]}
    side = {
        layout.offsets[index] + bit // 8 + byte
        for index in frames
        for bit in layout.gain_bits
        for byte in (0, 1)
    }
    crcs = set(range(layout.tag + 152, layout.tag + 156))
    assert changed and changed <= side | crcs
    before, after = decode(original, channels), decode(data, channels)
    assert len(before) == len(after)
    # Where every frame reaching a sample is lowered: 2 steps of 2^(-1/4), exactly.
    span = slice(10 * period, 12 * period)
    np.testing.assert_allclose(after[span], before[span] * 2**-0.5, rtol=0, atol=2e-6)
    # Beyond what the lowered frames reach: bit for bit.
    start, end = layout.reached(frames)
    assert np.array_equal(after[:start], before[:start])
    assert np.array_equal(after[end:], before[end:])
    assert not np.array_equal(after[start:end], before[start:end])
    # The LAME tag's CRCs (of the audio, and of the tag itself) still hold, as ffmpeg computes
    # them (the original's read the same way).
    for edited in (original, data):
        audio = edited[layout.offsets[0] :]
        zeroed = bytearray(edited)
        zeroed[layout.tag + 154 : layout.tag + 156] = bytes(2)
        tag = bytes(zeroed[layout.info : layout.info + 190])
        stored = edited[layout.tag + 152 : layout.tag + 156]
        assert stored == mp3gain.crc16(audio).to_bytes(2, "big") + mp3gain.crc16(tag).to_bytes(
            2, "big"
        )
    mp3gain.restore(path, undo)
    assert path.read_bytes() == original


def test_the_stretches_decoded_alone_read_as_the_whole_file_decoded(make_audio):
    path = encode(make_audio, 44100, 2)
    layout = mp3gain.read_layout(path)
    spans = [(0, 4410 * 3), (4410 * 17, 4410 * 20), (4410 * 35, 4410 * 38)]
    read = mp3gain.true_peaks(path, layout, spans, 4410, 2, exe=None, subject=path)
    whole = decode(path.read_bytes(), 2)  # as a player decodes it: LAME's delay dropped
    for (start, end), values in zip(spans, read, strict=True):
        meter = FramePeaks(2, 4410)
        meter.add(whole[start:])
        expected = np.frombuffer(meter.values, np.float64)[: (end - start) // 4410]
        np.testing.assert_allclose(20 * np.log10(values), 20 * np.log10(expected), atol=1e-4)


def test_only_mp3s_this_project_writes_are_edited(make_audio, tmp_path):
    assert mp3gain.read_layout(make_audio("noise.wav", NOISE, 1)) is None
    assert mp3gain.read_layout(encode(make_audio, 44100, 2, "-write_xing", "0")) is None
    tag_alone = tmp_path / "tag.mp3"
    tag_alone.write_bytes(b"ID3" + bytes(20))
    assert mp3gain.read_layout(tag_alone) is None
