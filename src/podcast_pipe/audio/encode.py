"""Encoded files out (the MP3, and Opus or AAC renditions), each metered as it is written.

An encoder reads float PCM on stdin and writes, through ffmpeg's ``tee`` muxer, both the file
(seekable, so LAME's Info header with the exact length and gapless data, or the MP4 index, is
written) and the same encoded stream to stdout, where a second ffmpeg decodes and meters it
with ``ebur128=peak=true``, frame by frame (100 ms). Metering the *encoded* file therefore
costs no extra pass: it runs on the other core while the encoder works (encoding shifts
loudness and true peak, QUIRKS.md).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import AudioError
from ..ffmpeg import FFmpeg
from .meter import Frames, Loudness, MeteredFFmpeg, ebur128, parse_summary

HELPER_NICE = 10
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
    the copy streamed to the meter, and kbps for mono / stereo (None: the MP3 format's)."""

    suffix: str
    args: tuple[str, ...]
    muxer: str
    stream: str
    kbps_mono: int | None = None
    kbps_stereo: int | None = None

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
    """An ffmpeg encoder fed through :attr:`stdin`, plus the meter reading its output."""

    def __init__(
        self,
        out: Path,
        fmt: Mp3Format,
        *,
        codec: Codec = MP3,
        subject: Path,
        exe: str | None = None,
    ) -> None:
        self.codec, self.out, self.subject = codec, out, subject
        self.bitrate_kbps = codec.bitrate(fmt)
        pcm = ["-f", "f32le", "-ar", fmt.sample_rate, "-ac", fmt.channels, "-i", "pipe:0"]
        encode = [*codec.args, "-b:a", f"{self.bitrate_kbps}k"]
        # bitexact: no encoder-version tag, so the same input gives the same bytes.
        tee = ["-map", "0:a", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "tee"]
        self.encoder = FFmpeg(
            [*pcm, *encode, *tee, f"[f={codec.muxer}]{out.name}|[f={codec.stream}]pipe:1"],
            subject=subject,
            exe=exe,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=out.parent,
        )
        meter = [
            "-f",
            codec.demuxer,
            "-i",
            "pipe:0",
            "-af",
            ebur128(frames=True),
            "-f",
            "null",
            "-",
        ]
        # The encoder is the slowest stage: the meter takes what the other core leaves.
        self.meter = MeteredFFmpeg(
            meter, subject=subject, exe=exe, stdin=self.encoder.process.stdout, nice=HELPER_NICE
        )
        # The meter holds the read end now; ours would keep the encoder alive if the meter died.
        assert self.encoder.process.stdout is not None
        self.encoder.process.stdout.close()

    @property
    def frames(self) -> Frames:
        """The encoded stream's 100 ms frames (true peak per frame: where the encoder overshot)."""
        return self.meter.frames["ebur128"]

    @property
    def stdin(self):
        return self.encoder.process.stdin

    @property
    def cpu_s(self) -> float:
        """The encoder's CPU seconds (user + system), once finished."""
        return self.encoder.cpu_s

    def alive(self) -> bool:
        return self.encoder.process.poll() is None

    def finish(self, duration_s: float) -> Loudness:
        """Close the input, wait for both processes, and return the encoded file's loudness;
        AudioError if the file is shorter than the ``duration_s`` of PCM it was given."""
        self.stdin.close()
        self.encoder.wait()
        output = parse_summary(self.meter.wait(), duration_s)
        if self.meter.last_time < duration_s - SHORTER_S:
            raise AudioError(
                f"the {self.out.suffix} encoder wrote {self.meter.last_time:.1f} s "
                f"of {duration_s:.1f} s",
                path=self.subject,
                hint="check that the ffmpeg in use can encode it ([audio] ffmpeg)",
            )
        return output

    def kill(self) -> None:
        for process in (self.encoder, self.meter):
            process.kill()
