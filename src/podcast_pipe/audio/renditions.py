"""Opus and AAC renditions: the MP3's limited PCM, teed to one more encoder each.

``[audio] renditions`` lists them. Each encoder reads the same float PCM blocks the LAME
encoder reads (no second decode, no second limiter), writes its file beside the MP3, and the
file is metered with ``ebur128=peak=true`` once it is complete (an MP4 is only seekable then).
A rendition that reads off the target or over the ceiling is kept, with its figures and a
warning: the MP3 is the promise, the renditions follow it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..ffmpeg import FFmpeg
from .encode import Mp3Format
from .meter import Loudness, measure_file

OPUS_RATE = 48000  # Opus runs at 48 kHz whatever it is given
TOLERANCE_LU = 0.5


@dataclass(frozen=True)
class Codec:
    """How one rendition is encoded: file suffix, ffmpeg codec and muxer, kbps mono/stereo."""

    suffix: str
    args: tuple[str, ...]
    muxer: str
    kbps_mono: int
    kbps_stereo: int


CODECS: dict[str, Codec] = {
    "opus": Codec(".opus", ("-c:a", "libopus", "-ar", str(OPUS_RATE)), "ogg", 48, 64),
    "aac": Codec(".m4a", ("-c:a", "aac", "-profile:a", "aac_low"), "ipod", 64, 96),
}


def rendition_path(mp3: Path, name: str) -> Path:
    """Where rendition ``name`` of the master ``mp3`` is stored: beside it."""
    return mp3.with_suffix(CODECS[name].suffix)


@dataclass(frozen=True)
class RenditionResult:
    """A rendition's encoded file as the meter reads it."""

    name: str
    bitrate_kbps: int
    output: Loudness

    def warning(self, target: float, true_peak: float) -> str | None:
        """Why this rendition is off the promise, or None."""
        out = self.output
        if abs(out.integrated - target) <= TOLERANCE_LU and out.true_peak <= true_peak:
            return None
        return (
            f"the {self.name} rendition reads {out.integrated:.1f} LUFS, {out.true_peak:.1f} dBTP "
            f"(target {target:g} LUFS, ceiling {true_peak:g} dBTP); the MP3 is on target"
        )


class RenditionEncoder:
    """One ffmpeg encoder of a rendition, fed the MP3's PCM through :attr:`stdin`.

    ``trim_db`` takes back what the PCM carries for LAME alone (the gain makes up for the
    loudness LAME loses; Opus and AAC keep it): a trim only lowers, so peaks stay under."""

    def __init__(
        self,
        name: str,
        out: Path,
        fmt: Mp3Format,
        trim_db: float = 0.0,
        *,
        subject: Path,
        exe: str | None = None,
    ) -> None:
        codec = CODECS[name]
        self.name, self.out = name, out
        self.bitrate_kbps = codec.kbps_mono if fmt.channels == 1 else codec.kbps_stereo
        pcm = ["-f", "f32le", "-ar", fmt.sample_rate, "-ac", fmt.channels, "-i", "pipe:0"]
        trim = ["-af", f"volume={trim_db:.2f}dB"] if trim_db else []
        encode = [*trim, *codec.args, "-b:a", f"{self.bitrate_kbps}k", "-map_metadata", "-1"]
        bitexact = ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", codec.muxer]
        self.encoder = FFmpeg(
            [*pcm, *encode, *bitexact, out], subject=subject, exe=exe, stdin=subprocess.PIPE
        )

    @property
    def stdin(self):
        return self.encoder.process.stdin

    def finish(self, *, exe: str | None = None) -> RenditionResult:
        """Close the input, wait for the encoder, and meter the file it wrote."""
        self.stdin.close()
        self.encoder.wait()
        return RenditionResult(self.name, self.bitrate_kbps, measure_file(self.out, exe=exe))

    def kill(self) -> None:
        self.encoder.kill()
