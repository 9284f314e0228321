"""Opus and AAC renditions: the MP3's limited PCM, teed to one more encoder each.

``[audio] renditions`` lists them. Each encoder reads the same float PCM blocks the LAME
encoder reads (no second decode, no second limiter), writes its file beside the MP3, and the
file is metered with ``ebur128=peak=true`` once it is complete (an MP4 is only seekable then).
A rendition that reads off the target or over the ceiling is encoded once more, alone
(master.py); if that misses too it is kept, with its figures and a warning: the MP3 is the
promise, the renditions follow it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import AudioError
from ..ffmpeg import FFmpeg
from .encode import Mp3Format
from .meter import Loudness, measure_file

OPUS_RATE = 48000  # Opus runs at 48 kHz whatever it is given
TOLERANCE_LU = 0.5
SHORTER_S = 0.5  # a rendition may end this much before its PCM (encoder delay, padding)


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
    """A rendition's encoded file as the meter reads it, and what encoding it cost."""

    name: str
    bitrate_kbps: int
    output: Loudness
    cpu_s: float = 0.0  # CPU seconds (user + system) of its encoder, every encode summed
    encodes: int = 1

    def misses(self, target: float, true_peak: float) -> bool:
        """Off the target by more than ``TOLERANCE_LU``, or over the ceiling."""
        out = self.output
        return abs(out.integrated - target) > TOLERANCE_LU or out.true_peak > true_peak

    def warning(self, target: float, true_peak: float) -> str | None:
        """Why this rendition is off the promise, or None."""
        if not self.misses(target, true_peak):
            return None
        out = self.output
        return (
            f"the {self.name} rendition reads {out.integrated:.1f} LUFS, {out.true_peak:.1f} dBTP "
            f"after {self.encodes} encodes (target {target:g} LUFS, ceiling {true_peak:g} dBTP); "
            "the MP3 is on target"
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
        self.name, self.out, self.exe = name, out, exe
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

    def finish(self, duration_s: float) -> RenditionResult:
        """Close the input, wait for the encoder, and meter the file it wrote, which must
        last the ``duration_s`` of PCM it was given."""
        self.stdin.close()
        self.encoder.wait()
        output = measure_file(self.out, exe=self.exe)
        if output.duration_s < duration_s - SHORTER_S:
            raise AudioError(
                f"the {self.name} encoder wrote {output.duration_s:.1f} s of {duration_s:.1f} s",
                path=self.encoder.subject,
                hint="check that the ffmpeg in use can encode it ([audio] ffmpeg)",
            )
        return RenditionResult(self.name, self.bitrate_kbps, output, self.encoder.cpu_s)

    def kill(self) -> None:
        self.encoder.kill()
