"""Encoded files out (the MP3, and Opus or AAC renditions), each metered as it is written.

An encoder reads float PCM on stdin and writes, through ffmpeg's ``tee`` muxer, both the file
(seekable, so LAME's Info header with the exact length and gapless data, or the MP4 index, is
written) and the same encoded stream to stdout, where one more ffmpeg (for all the encoders of
a stream) decodes and meters it with ``ebur128``, frame by frame (100 ms), and passes the
decoded PCM back, whose true peak per frame the limiter's oversampler reads (oversample.py:
where a frame comes near the highest peak; ``ebur128=peak=true`` oversamples everything, at
twice the meter's cost). Metering the *encoded* file therefore costs no extra pass: it runs on
the other core while the encoder works (encoding shifts loudness and true peak, QUIRKS.md).
"""

from __future__ import annotations

import os
import struct
import subprocess
import threading
from array import array
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import AudioError
from ..ffmpeg import TO_PIPE, FFmpeg, lower_thread_priority, widen
from .meter import FRAME_S, Frames, Loudness, MeteredFFmpeg, ebur128, parse_summary
from .oversample import FramePeaks, db

HELPER_NICE = 10  # the meter's, and this process's threads beside the encoders
# The decoded PCM comes back in blocks of this many frames: each costs a dozen numpy calls
# (8192-frame blocks: 2.7 CPU-s an hour, these 1.6), and it is small enough (256 KB of stereo)
# that glibc reuses the memory; 65536-frame blocks left each reading thread's heap holding
# about 7 MB more.
READ_FRAMES = 32768
# An encoder reads its PCM as a WAV stream in packets of this many frames. Raw PCM comes in
# packets of 1024, and each passes through ffmpeg's demuxer, decoder, filter and encoder
# threads in turn; while the other core is busy, the encoder waits on those hand-offs (beside a
# busy core, 10 minutes encoded 5 % slower; the MP3 is the same, bit for bit). Longer packets
# gain little more, and each encoder queues a few: 32768 frames cost 4 MB more per encoder.
PACKET_FRAMES = 8192
SHORTER_S = 0.5  # an encoded file may end this much before its PCM (encoder delay, padding)


@dataclass(frozen=True)
class Mp3Format:
    """The published format: CBR bitrate, channels and sample rate."""

    channels: int
    sample_rate: int
    bitrate_kbps: int


@dataclass(frozen=True)
class Codec:
    """How a file is encoded: its suffix, ffmpeg's codec options, the file's muxer and that of
    the copy streamed to the meter, kbps for mono / stereo (None: the MP3 format's), and the
    sample rate it encodes at (None: the PCM's)."""

    suffix: str
    args: tuple[str, ...]
    muxer: str
    stream: str
    kbps_mono: int | None = None
    kbps_stereo: int | None = None
    sample_rate: int | None = None

    @property
    def demuxer(self) -> str:
        """How the meter reads the streamed copy (ffmpeg's ADTS muxer is ``adts``, its
        demuxer ``aac``)."""
        return "aac" if self.stream == "adts" else self.stream

    def bitrate(self, fmt: Mp3Format) -> int:
        if self.kbps_mono is None or self.kbps_stereo is None:
            return fmt.bitrate_kbps
        return self.kbps_mono if fmt.channels == 1 else self.kbps_stereo


MP3 = Codec(".mp3", ("-c:a", "libmp3lame"), "mp3", "mp3")


class Encoder:
    """An ffmpeg encoder fed through :attr:`stdin`, writing its file and streaming a copy to
    the :class:`Meter` that reads every encoder of the stream (``name``: its meter's label)."""

    def __init__(
        self,
        out: Path,
        fmt: Mp3Format,
        *,
        codec: Codec = MP3,
        name: str = "mp3",
        subject: Path,
        exe: str | None = None,
    ) -> None:
        self.codec, self.out, self.name, self.subject = codec, out, name, subject
        self.bitrate_kbps = codec.bitrate(fmt)
        # What the meter decodes: frames of this shape, at this rate.
        self.channels, self.sample_rate = fmt.channels, codec.sample_rate or fmt.sample_rate
        self.meter: Meter | None = None
        # Errors only: a WAV stream of unknown length, and its short last packet, are warned of.
        packet = ["-loglevel", "error", "-f", "wav", "-max_size", PACKET_FRAMES * fmt.channels * 4]
        pcm = [*packet, "-i", "pipe:0"]
        rate = ["-ar", str(codec.sample_rate)] if codec.sample_rate else []
        encode = [*codec.args, *rate, "-b:a", f"{self.bitrate_kbps}k"]
        # bitexact: no encoder-version tag, so the same input gives the same bytes.
        tee = ["-map", "0:a", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "tee"]
        meter = f"[f={codec.stream}:flush_packets=0]pipe:1"  # TO_PIPE, in the tee's syntax
        self.encoder = FFmpeg(
            [*pcm, *encode, *tee, f"[f={codec.muxer}]{out.name}|{meter}"],
            subject=subject,
            exe=exe,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=out.parent,
        )
        self.stdin.write(wav_header(fmt.channels, fmt.sample_rate))

    @property
    def frames(self) -> Frames:
        """The encoded stream's 100 ms frames (true peak per frame: where the encoder overshot)."""
        assert self.meter is not None
        return self.meter.frames[f"ebur128@{self.name}"]

    @property
    def stdin(self):
        return self.encoder.process.stdin

    @property
    def cpu_s(self) -> float:
        """The encoder's CPU seconds (user + system), once finished."""
        return self.encoder.cpu_s

    def alive(self) -> bool:
        return self.encoder.process.poll() is None

    def kill(self) -> None:
        self.encoder.kill()


def wav_header(channels: int, sample_rate: int) -> bytes:
    """The header of a WAV stream of 32-bit float PCM, its length unknown (ffmpeg reads to
    the end of a pipe): WAVE_FORMAT_EXTENSIBLE, so the channel layout is given, not guessed."""
    block = channels * 4
    mask = 0x4 if channels == 1 else 0x3  # front centre; front left and right
    float_guid = struct.pack("<IHH8B", 3, 0, 0x10, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71)
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, sample_rate, sample_rate * block, block,
                      32, 22, 32, mask) + float_guid  # fmt: skip
    unknown = struct.pack("<I", 0xFFFFFFFF)
    return b"RIFF" + unknown + b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + unknown


class Meter(MeteredFFmpeg):
    """One ffmpeg that decodes and meters what each of ``encoders`` streams, frame by frame
    (one process, not one per encoder: each ffmpeg holds ~30 MB), and passes the decoded PCM
    back through a pipe each, whose true peaks a thread each reads (:meth:`true_peak`)."""

    def __init__(self, encoders: list[Encoder], *, subject: Path, exe: str | None = None) -> None:
        streams = [encoder.encoder.process.stdout for encoder in encoders]
        fds = tuple(stream.fileno() for stream in streams)  # type: ignore[union-attr]
        pipes = [os.pipe() for _ in encoders]
        inputs, graph, outputs = [], [], []
        for index, (encoder, fd) in enumerate(zip(encoders, fds, strict=True)):
            inputs += ["-f", encoder.codec.demuxer, "-i", f"pipe:{fd}"]
            meter = ebur128(encoder.name, true_peak=False, frames=True)
            graph.append(f"[{index}:a]{meter}[m{index}]")
            pcm = ["-c:a", "pcm_f32le", "-f", "f32le", *TO_PIPE, f"pipe:{pipes[index][1]}"]
            outputs += ["-map", f"[m{index}]", *pcm]
            encoder.meter = self
        written = tuple(write for _, write in pipes)
        try:
            # The encoders are the slowest stage: the meter takes what the other core leaves.
            super().__init__([*inputs, "-filter_complex", ";".join(graph), *outputs],
                             subject=subject, exe=exe, nice=HELPER_NICE, pass_fds=fds + written)  # fmt: skip
        except BaseException:
            for fd in (fd for pipe in pipes for fd in pipe):
                os.close(fd)
            raise
        # The meter holds these ends now; ours would keep an encoder alive if it died, or
        # a reader waiting for an end that never comes.
        for stream in streams:
            stream.close()  # type: ignore[union-attr]
        for write in written:
            os.close(write)
        self._readers = [
            _PeakReader(os.fdopen(read, "rb"), encoder)
            for (read, _), encoder in zip(pipes, encoders, strict=True)
        ]

    def wait(self, timeout: float | None = None, *, check: bool = True) -> str:
        """:meth:`FFmpeg.wait`, then each stream's true peak per frame into its :class:`Frames`."""
        try:
            stderr = super().wait(timeout, check=check)
        finally:
            for reader in self._readers:
                reader.join()
        for reader in self._readers:
            reader.done(self.frames[f"ebur128@{reader.name}"])
        return stderr

    def true_peak(self, name: str) -> float:
        """The true peak of encoder ``name``'s stream, dBTP, once :meth:`wait` returned."""
        return next(reader.true_peak for reader in self._readers if reader.name == name)


class _PeakReader:
    """Reads one stream's decoded PCM from the meter, on a thread, into :class:`FramePeaks`."""

    def __init__(self, pipe, encoder: Encoder) -> None:
        self.pipe, self.name = pipe, encoder.name
        self.peaks = FramePeaks(encoder.channels, round(FRAME_S * encoder.sample_rate))
        self.error: BaseException | None = None
        widen(pipe)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def true_peak(self) -> float:
        """dBTP, to ebur128's 0.1 dB (as its summary and frames were read before)."""
        return round(db(self.peaks.peak), 1)

    def _run(self) -> None:
        channels = self.peaks.channels
        size = READ_FRAMES * channels * 4
        lower_thread_priority(HELPER_NICE)
        with self.pipe:
            while data := self.pipe.read(size):
                if self.error is None:  # after an error: drain, or the meter would wait
                    try:
                        usable = len(data) - len(data) % (channels * 4)
                        self.peaks.add(np.frombuffer(data[:usable], "<f4").reshape(-1, channels))
                    except Exception as exc:  # noqa: BLE001 - raised by done()
                        self.error = exc
            if self.error is None:
                self.peaks.finish()

    def join(self) -> None:
        self.thread.join()

    def done(self, frames: Frames) -> None:
        """Put the true peak of each of ``frames``' frames in it (ebur128 logs as many)."""
        if self.error:
            raise self.error
        count = len(frames.momentary)
        values = np.zeros(count)
        read = np.frombuffer(self.peaks.values, np.float64)[:count]
        values[: len(read)] = read
        values[len(read) :] = read[-1] if len(read) else 0.0
        with np.errstate(divide="ignore"):
            frames.true_peak = array("f", np.round(20 * np.log10(values), 1).astype("f").tobytes())


def finish(encoders: list[Encoder], meter: Meter, duration_s: float) -> list[Loudness]:
    """Close the encoders' input, wait for them and their meter, and return each encoded
    file's loudness; AudioError if a file is shorter than the ``duration_s`` of PCM it got."""
    for encoder in encoders:
        encoder.stdin.close()
    for encoder in encoders:
        encoder.encoder.wait()
    stderr = meter.wait()
    outputs = []
    for encoder in encoders:
        written = len(encoder.frames.momentary) * FRAME_S
        if written < duration_s - SHORTER_S:
            raise AudioError(
                f"the {encoder.out.suffix} encoder wrote {written:.1f} s of {duration_s:.1f} s",
                path=encoder.subject,
                hint="check that the ffmpeg in use can encode it ([audio] ffmpeg)",
            )
        loudness = parse_summary(stderr, duration_s, f"ebur128@{encoder.name}")
        outputs.append(replace(loudness, true_peak=meter.true_peak(encoder.name)))
    return outputs
