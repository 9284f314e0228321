"""Intro and outro clips: decoded whole with pydub, trimmed of their own silence, cached as WAV.

pydub holds a file in memory, so it is for these short clips only; the episode itself streams
through ffmpeg (decode.Program). A producer's exported jingle almost always ends in silence,
and a crossfade into that silence sounds like a gap, hence the trim.
"""

from __future__ import annotations

import warnings
import wave
from pathlib import Path

from ..errors import AudioError
from ..files import atomic_path, sha256_bytes, sha256_file
from .decode import probe

# pydub warns on import that ffmpeg is not on PATH (each call is given the ffmpeg to use) and
# that audioop is deprecated: nothing a producer can act on. Silenced here, once, at import:
# warning filters are process-wide, so never from the build's worker threads.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pydub.exceptions
    import pydub.silence
    from pydub import AudioSegment

MAX_CLIP_S = 120.0
KEEP_MS = 20  # of the clip's silence, so its first and last sounds are not cut into
_VERSION = 1  # part of the cache name: bump when the same clip would be prepared differently
# pydub's own WAV reader takes WAVE_FORMAT_EXTENSIBLE samples for integers whatever their
# subformat, and ffmpeg writes float WAVs as extensible: only integer PCM may take that path.
_PYDUB_WAV = {"pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le"}


def prepare_clip(
    path: Path, cache_dir: Path, *, exe: str, threshold_db: float
) -> tuple[Path, float]:
    """The clip as a WAV without its leading/trailing silence (below ``threshold_db`` dBFS).

    Returns the cached WAV (``cache_dir/<sha256>.wav``, reused when present) and its length
    in seconds. AudioError for a clip that is too long, silent or not audio.
    """
    name = sha256_bytes(f"{_VERSION}:{threshold_db}:{sha256_file(path)}".encode())
    wav = cache_dir / f"{name}.wav"
    if wav.is_file():
        with wave.open(str(wav), "rb") as header:
            return wav, header.getnframes() / header.getframerate()
    clip = _trimmed(_decode(path, exe), path, threshold_db)
    # A unique temporary name per call: parallel builds may prepare the same clip.
    with atomic_path(wav) as temp:
        clip.export(temp, format="wav")
    return wav, _seconds(clip)


def _decode(path: Path, exe: str) -> AudioSegment:
    """Decode with pydub through ``exe``, refusing long files before they fill the memory.

    Giving pydub the codec keeps it from calling ffprobe (its mediainfo_json), which the
    project never needs; ``probe`` reads the codec from ``ffmpeg -i`` instead.
    """
    info = probe(path, exe=exe)
    _refuse_long(path, info.duration_s)
    # A subclass per call carries this call's ffmpeg: AudioSegment.converter is a class
    # attribute, and setting it on pydub's own class would race between worker threads.
    segment = type("Segment", (AudioSegment,), {"converter": exe})
    # Decoding stops just past the limit, so a clip without a stated length is refused too.
    cap = {"duration": MAX_CLIP_S + 1}
    try:
        if path.suffix.lower() in (".wav", ".wave") and info.codec not in _PYDUB_WAV:
            with path.open("rb") as stream:  # no file name: pydub hands the stream to ffmpeg
                clip = segment.from_file(stream, format="wav", codec=info.codec, **cap)
        else:
            clip = segment.from_file(path, codec=info.codec, **cap)
    except pydub.exceptions.CouldntDecodeError as exc:
        last = str(exc).strip().splitlines()[-1]
        raise AudioError(
            f"ffmpeg cannot decode it ({last})",
            path=path,
            hint="export it again as WAV, FLAC or MP3",
        ) from exc
    _refuse_long(path, _seconds(clip))
    return clip


def _refuse_long(path: Path, seconds: float | None) -> None:
    if seconds is not None and seconds > MAX_CLIP_S:
        raise AudioError(
            f"the clip is {seconds:.0f} s long, over the {MAX_CLIP_S:.0f} s an intro or outro "
            "may last",
            path=path,
            hint="an intro/outro is a short clip; put long material in the episode's audio",
        )


def _trimmed(clip: AudioSegment, path: Path, threshold_db: float) -> AudioSegment:
    """``clip`` without its leading and trailing silence, keeping ``KEEP_MS`` of each."""
    detect = pydub.silence.detect_leading_silence
    lead = detect(clip, silence_threshold=threshold_db)
    if lead >= len(clip):
        raise AudioError(
            f"the clip is silent (nothing above {threshold_db:g} dBFS)",
            path=path,
            hint="export the intro/outro again, or remove it from podcast.toml or the episode",
        )
    trail = detect(clip.reverse(), silence_threshold=threshold_db)
    return clip[max(0, lead - KEEP_MS) : len(clip) - max(0, trail - KEEP_MS)]


def _seconds(clip: AudioSegment) -> float:
    return clip.frame_count() / clip.frame_rate
