"""Lower an MP3's level in place where its true peak crosses the ceiling: no re-encode.

Each granule of a Layer III frame carries a ``global_gain`` per channel; one step less scales
every coefficient of the granule by 2^(-1/4), i.e. 1.5 dB, and changes no other bit (mp3gain
changes a whole file's level this way, mp3DirectCut a region's). Frames are self-delimiting,
so the file keeps its size and every byte outside the lowered frames' side information; the
LAME tag's CRC of the audio (and its own CRC) are updated.

A frame's coefficients reach decoded samples beyond its own (``REACH_FROM``, ``REACH_PAST``):
the frames reaching a 100 ms meter frame are lowered together, and at the edges of a lowered
stretch the overlap mixes lowered and unlowered granules, so the stretches are decoded again
(:func:`true_peaks`) before the file is trusted.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError
from ..ffmpeg import FFmpeg
from .oversample import HALF, FramePeaks

STEP_DB = 20 * math.log10(2**0.25)  # one step of global_gain
# Frame f of a stream decoded from its first frame reaches decoded samples [f·n + REACH_FROM,
# (f + 1)·n + REACH_PAST) (n samples a frame): the MDCT's overlap and the synthesis filterbank.
# Measured with ffmpeg's decoder (MPEG-1 and 2, mono and stereo): from f·n + 1 to 21, to
# (f + 1)·n + 1049 to 1056; these keep a margin on both sides.
REACH_FROM = 0
REACH_PAST = 1152
DECODER_DELAY = 529  # samples a Layer III decoder adds, beside the encoder's delay
LEAD_FRAMES = 4  # frames decoded before a stretch checked (the bit reservoir's reach)
READ_BYTES = 1 << 20  # the frame headers are read a block this long at a time
_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# The LAME tag that ffmpeg writes in the Info frame, from the "Info" mark: the encoder delay
# (12 bits), the audio's CRC and the tag's own CRC (of the frame's first 190 bytes, computed
# while its own field held 0), big-endian.
_DELAY_AT = 141
_MUSIC_CRC_AT = 152
_TAG_CRC_AT = 154
_TAG_CRC_BYTES = 190


def _crc_table() -> list[int]:
    """CRC-16 (polynomial 0x8005, reflected, initial 0): the LAME tag's."""
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
        table.append(value)
    return table


_TABLE = _crc_table()


def crc16(data: bytes, value: int = 0) -> int:
    for byte in data:
        value = _TABLE[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value


def _after_zeros(value: int, count: int) -> int:
    """``crc16(bytes(count), value)`` in log(count) steps: the CRC is linear, and a zero byte
    is one linear map of the register (kept as its 16 columns), squared as needed."""
    columns = [crc16(b"\0", 1 << bit) for bit in range(16)]
    while count:
        if count & 1:
            value = _apply(columns, value)
        columns = [_apply(columns, column) for column in columns]
        count >>= 1
    return value


def _apply(columns: list[int], value: int) -> int:
    out = 0
    for bit in range(16):
        if value >> bit & 1:
            out ^= columns[bit]
    return out


@dataclass(frozen=True)
class Layout:
    """Where an MP3's audio frames are, and how its decoded samples map onto them."""

    info: int  # offset of the Info (Xing) frame
    tag: int  # offset of its "Info" mark
    offsets: array  # of the audio frames, and where the last ends
    gain_bits: tuple[int, ...]  # bit positions of each granule's global_gain, in every frame
    samples: int  # per frame
    skip: int  # decoded samples a player drops at the start (encoder delay + decoder delay)

    @property
    def frames(self) -> int:
        return len(self.offsets) - 1

    def reaching(self, start: int, end: int) -> range:
        """The frames whose coefficients reach decoded samples [start, end) (as a player
        decodes them: after ``skip``)."""
        start, end, n = start + self.skip, end + self.skip, self.samples
        first = (start - REACH_PAST) // n  # the first f with (f + 1)·n + REACH_PAST > start
        stop = -((REACH_FROM - end) // n)  # the first f with f·n + REACH_FROM >= end
        return range(max(0, first), min(self.frames, stop))

    def reached(self, frames: range) -> tuple[int, int]:
        """The decoded samples [start, end) that ``frames`` reach (after ``skip``)."""
        n = self.samples
        start = frames.start * n + REACH_FROM - self.skip
        return max(0, start), frames.stop * n + REACH_PAST - self.skip


def read_layout(path: Path) -> Layout | None:
    """The audio frames of an MP3 as this project encodes it (an ID3v2 tag, an Info frame
    with a LAME tag, Layer III frames without CRC, all of one version and channel count);
    None for anything else. Reads the headers a block at a time (three hours: 170 MB)."""
    with path.open("rb") as file:
        head = file.read(10)
        position = 0
        if head[:3] == b"ID3" and len(head) == 10:
            size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
            position = 10 + size + (10 if head[5] & 0x10 else 0)
        offsets, kinds = array("q"), set()
        block, start = b"", position
        while True:
            at = position - start
            if at + 4 > len(block):
                file.seek(position)
                block, start, at = file.read(READ_BYTES), position, 0
                if len(block) < 4:
                    break
            header = block[at : at + 4]
            if header[0] != 0xFF or header[1] & 0xE0 != 0xE0 or (header[1] >> 1) & 3 != 1:
                break  # not Layer III: the end of the frames (or something this does not edit)
            version = (header[1] >> 3) & 3
            bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
            if version == 1 or rate_index == 3 or bitrate_index in (0, 15) or not header[1] & 1:
                return None  # reserved, free format, or CRC-protected: not edited
            rate = _RATES[version][rate_index]
            kbps = _BITRATES[1 if version == 3 else 2][bitrate_index]
            offsets.append(position)
            kinds.add((version, header[3] >> 6 == 3))
            position += (144000 if version == 3 else 72000) * kbps // rate + ((header[2] >> 1) & 1)
        file.seek(position)
        rest = file.read(4)
        if len(offsets) < 2 or len(kinds) != 1 or rest and rest[:3] != b"TAG":
            return None
        offsets.append(position)
        file.seek(offsets[0])
        info = file.read(offsets[1] - offsets[0])
    tag = info.find(b"Info", 0, 40)  # after the Info frame's side information
    if tag < 0 or len(info) < tag + _TAG_CRC_AT + 2:
        return None
    delay = (info[tag + _DELAY_AT] << 4) | (info[tag + _DELAY_AT + 1] >> 4)
    ((version, mono),) = kinds
    return Layout(offsets[0], offsets[0] + tag, offsets[1:], _gain_bits(version, mono),
                  1152 if version == 3 else 576, delay + DECODER_DELAY)  # fmt: skip


def _gain_bits(version: int, mono: bool) -> tuple[int, ...]:
    """Bit offsets (from the frame's first byte) of global_gain in each granule × channel:
    the side information follows the 4-byte header; each granule's field starts with
    part2_3_length (12 bits) and big_values (9)."""
    channels = 1 if mono else 2
    if version == 3:  # MPEG-1: 2 granules of 59 bits per channel
        start = 32 + 9 + (5 if mono else 3) + 4 * channels
        return tuple(start + k * 59 + 21 for k in range(2 * channels))
    start = 32 + 8 + (1 if mono else 2)  # MPEG-2 / 2.5: 1 granule of 63 bits per channel
    return tuple(start + k * 63 + 21 for k in range(channels))


def lower(path: Path, layout: Layout, frames: range, steps: int) -> list[tuple[int, bytes]]:
    """Lower every granule of ``frames`` by ``steps`` global-gain steps, in the file, and
    update the LAME tag's CRCs (the audio's: by the change alone, the CRC being linear); what
    was overwritten (offset, bytes), for :func:`restore`."""
    side = max(layout.gain_bits) // 8 + 3  # the bytes holding every global_gain
    audio_end = layout.offsets[-1]
    change = 0
    undo = []
    with path.open("r+b") as file:
        for index in frames:
            offset = layout.offsets[index]
            file.seek(offset)
            before = file.read(side)
            edited = bytearray(before)
            for bit in layout.gain_bits:
                _lower_byte_field(edited, bit, steps)
            file.seek(offset)
            file.write(edited)
            undo.append((offset, before))
            delta = bytes(a ^ b for a, b in zip(before, edited, strict=True))
            change ^= _after_zeros(crc16(delta), audio_end - (offset + side))
        file.seek(layout.info)
        info = bytearray(file.read(max(_TAG_CRC_BYTES, layout.tag - layout.info + _TAG_CRC_AT + 2)))
        undo.append((layout.info, bytes(info)))
        music = layout.tag - layout.info + _MUSIC_CRC_AT
        tag = layout.tag - layout.info + _TAG_CRC_AT
        crc = int.from_bytes(info[music : music + 2], "big") ^ change
        info[music : music + 2] = crc.to_bytes(2, "big")
        info[tag : tag + 2] = bytes(2)  # as when ffmpeg computed it
        info[tag : tag + 2] = crc16(bytes(info[:_TAG_CRC_BYTES])).to_bytes(2, "big")
        file.seek(layout.info)
        file.write(info)
    return undo


def restore(path: Path, undo: list[tuple[int, bytes]]) -> None:
    """Put back what :func:`lower` overwrote (the last first)."""
    with path.open("r+b") as file:
        for offset, data in reversed(undo):
            file.seek(offset)
            file.write(data)


def _lower_byte_field(data: bytearray, bit: int, steps: int) -> None:
    """The 8-bit field at ``bit`` bits into ``data``, lowered by ``steps`` (not below 0)."""
    at = bit // 8
    shift = 16 - bit % 8
    word = int.from_bytes(data[at : at + 3], "big")
    value = (word >> shift) & 0xFF
    word = (word & ~(0xFF << shift)) | (max(0, value - steps) << shift)
    data[at : at + 3] = word.to_bytes(3, "big")


def true_peaks(
    path: Path, layout: Layout, spans: list[tuple[int, int]], period: int, channels: int,
    *, exe: str | None, subject: Path,
) -> list[np.ndarray]:  # fmt: skip
    """The true peak (linear) of each ``period``-sample frame of each span [start, end) of
    decoded samples (``start`` a multiple of ``period``), decoded from the frames reaching it
    alone (and ``LEAD_FRAMES`` before), all spans by one ffmpeg."""
    pieces, plans = [], []
    n = layout.samples
    with path.open("rb") as file:
        for start, end in spans:
            first = max(0, layout.reaching(start, end).start - LEAD_FRAMES)
            stop = min(layout.frames, (end + layout.skip + HALF - 1) // n + 1)
            file.seek(layout.offsets[first])
            pieces.append(file.read(layout.offsets[stop] - layout.offsets[first]))
            plans.append((first, stop, start, end))
    pcm = _decode(b"".join(pieces), channels, exe=exe, subject=subject)
    peaks, at = [], 0
    for first, stop, start, end in plans:
        piece = pcm[at : at + (stop - first) * n]
        at += (stop - first) * n
        begin = start + layout.skip - first * n  # the span's first sample, in the piece
        meter = FramePeaks(channels, period)
        meter.add(piece[begin:])  # what follows the span feeds the oversampler's lookahead
        peaks.append(np.frombuffer(meter.values, np.float64)[: -(-(end - start) // period)])
    if at != len(pcm):
        raise AudioError(
            f"ffmpeg decoded {len(pcm)} samples of frames holding {at}",
            path=subject, hint="use another ffmpeg ([audio] ffmpeg)",
        )  # fmt: skip
    return peaks


def _decode(mp3: bytes, channels: int, *, exe: str | None, subject: Path) -> np.ndarray:
    decoder = FFmpeg(
        ["-f", "mp3", "-i", "pipe:0", "-f", "f32le", "-ac", str(channels), "pipe:1"],
        subject=subject, exe=exe, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    stdin, stdout = decoder.process.stdin, decoder.process.stdout
    assert stdin is not None and stdout is not None

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), stdin:
            stdin.write(mp3)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    pcm = stdout.read()
    writer.join()
    decoder.wait()
    return np.frombuffer(pcm, "<f4").reshape(-1, channels)
