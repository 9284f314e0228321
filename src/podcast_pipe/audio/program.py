"""The programme to master: intro + episode + outro, with the crossfade and trim worked out.

Clips are prepared first (clips.prepare_clip: their own silence trimmed) and probed as they
will be mastered; the crossfade is shortened to fit the shortest part, because ffmpeg's
``acrossfade`` needs both sides at least as long as the fade.
"""

from __future__ import annotations

from pathlib import Path

from ..config import AudioSettings
from .clips import prepare_clip
from .decode import Program, SourceInfo, probe, speech_bounds


def choose_clip(override: Path | bool | None, default: Path | None) -> Path | None:
    """An episode's intro/outro: None = the show's, False = none, a path = that file."""
    if override is None:
        return default
    return override if isinstance(override, Path) else None


def assemble(
    main: Path,
    intro: Path | None,
    outro: Path | None,
    settings: AudioSettings,
    *,
    exe: str,
    clip_cache: Path,
) -> Program:
    """Probe the parts, prepare the clips (silence trimmed) and work out crossfade and trim."""
    main_info = probe(main, exe=exe)
    threshold = settings.silence_threshold_db
    intro_info, intro_s = _prepared(intro, clip_cache, threshold, exe)
    outro_info, _ = _prepared(outro, clip_cache, threshold, exe)
    trim = (0.0, None)
    if settings.trim_silence:
        padding = settings.silence_padding_ms / 1000
        trim = speech_bounds(main, threshold, padding, exe=exe)
    lengths = [intro_s] if intro else []
    lengths += [p.duration_s for p in (main_info, outro_info) if p and p.duration_s]
    crossfade = min([settings.crossfade_ms / 1000, *(length / 2 for length in lengths)])
    return Program(main_info, intro_info, outro_info, intro_s, crossfade, trim)


def _prepared(
    clip: Path | None, cache: Path, threshold_db: float, exe: str
) -> tuple[SourceInfo | None, float]:
    """The clip as mastered, probed, and its length."""
    if clip is None:
        return None, 0.0
    wav, seconds = prepare_clip(clip, cache, exe=exe, threshold_db=threshold_db)
    return probe(wav, exe=exe), seconds
