"""MP3 out: CBR LAME through ffmpeg, metered as it is written.

The encoder reads float PCM on stdin and writes, through ffmpeg's ``tee`` muxer, both the MP3
file (seekable, so LAME's Info header with the exact length and gapless data is written) and
the same MP3 stream to stdout, where a second ffmpeg decodes and meters it with
``ebur128=peak=true``, frame by frame (100 ms). Metering the *encoded* file therefore costs no extra pass: it runs on
the other core while LAME encodes (MP3 encoding shifts loudness and true peak, QUIRKS.md).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..ffmpeg import FFmpeg
from .meter import Frames, Loudness, MeteredFFmpeg, ebur128, parse_summary

HELPER_NICE = 10


@dataclass(frozen=True)
class Mp3Format:
    """The published format: CBR bitrate, channels and sample rate."""

    channels: int
    sample_rate: int
    bitrate_kbps: int


class Encoder:
    """An ffmpeg LAME encoder fed through :attr:`stdin`, plus the meter reading its output."""

    def __init__(self, out: Path, fmt: Mp3Format, *, subject: Path, exe: str | None = None) -> None:
        pcm = ["-f", "f32le", "-ar", fmt.sample_rate, "-ac", fmt.channels, "-i", "pipe:0"]
        mp3 = ["-c:a", "libmp3lame", "-b:a", f"{fmt.bitrate_kbps}k"]
        # bitexact: no encoder-version tag, so the same input gives the same bytes.
        tee = ["-map", "0:a", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "tee"]
        self.encoder = FFmpeg(
            [*pcm, *mp3, *tee, f"[f=mp3]{out.name}|[f=mp3]pipe:1"],
            subject=subject,
            exe=exe,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=out.parent,
        )
        meter = ["-f", "mp3", "-i", "pipe:0", "-af", ebur128(frames=True), "-f", "null", "-"]
        # LAME is the slowest stage: the meter takes what the other core leaves.
        self.meter = MeteredFFmpeg(
            meter, subject=subject, exe=exe, stdin=self.encoder.process.stdout, nice=HELPER_NICE
        )
        # The meter holds the read end now; ours would keep the encoder alive if the meter died.
        assert self.encoder.process.stdout is not None
        self.encoder.process.stdout.close()

    @property
    def frames(self) -> Frames:
        """The encoded stream's 100 ms frames (true peak per frame: where LAME overshot)."""
        return self.meter.frames["ebur128"]

    @property
    def stdin(self):
        return self.encoder.process.stdin

    def finish(self, duration_s: float) -> Loudness:
        """Close the input, wait for both processes, and return the encoded file's loudness."""
        self.stdin.close()
        self.encoder.wait()
        return parse_summary(self.meter.wait(), duration_s)

    def kill(self) -> None:
        for process in (self.encoder, self.meter):
            process.kill()
