"""Opus and AAC renditions: the MP3's PCM, limited to ceilings of their own, one encoder each.

``[audio] renditions`` lists them. Each encoder reads the same decoded, levelled and gained PCM
as the LAME encoder (no second decode): the limiter's detector is shared, and each rendition
gets its own ceiling and trim (learned in the rehearsal: each codec moves peaks and loudness
its own way) and is metered as it is written, like the MP3 (encode.py). A rendition that
still reads off the target or over the ceiling is encoded once more (master.py); if that
misses too it is kept, with its figures and a warning: the MP3 is the promise, the renditions
follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .encode import Codec
from .meter import Loudness

OPUS_RATE = 48000  # Opus runs at 48 kHz whatever it is given
TOLERANCE_LU = 0.5

CODECS: dict[str, Codec] = {
    "opus": Codec(".opus", ("-c:a", "libopus"), "ogg", "ogg", 48, 64, OPUS_RATE),
    "aac": Codec(".m4a", ("-c:a", "aac", "-profile:a", "aac_low"), "ipod", "adts", 64, 96),
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
