"""`check`'s look inside the files: every audio file decoded once (cached), every transcript read.

Episode audio, intros and outros (the show's and each episode's own) are analysed once each;
their problems join the rest of ``check``'s in one list.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .audio.analyze import Analysis, analyze
from .audio.findings import audio_problems
from .audio.program import choose_clip
from .config import Show
from .episodes import Episode
from .errors import Problems
from .ffmpeg import find_ffmpeg
from .transcripts import check_transcript


def audit_show(show: Show, episodes: Iterable[Episode], *, store: bool = True) -> Problems:
    """Problems of every audio file and transcript of ``episodes`` (and the show's clips).

    ``store=False``: analyses are not cached (a dry run writes nothing)."""
    problems = Problems()
    exe = find_ffmpeg(show.audio.ffmpeg)
    seen: dict[Path, Analysis | None] = {}

    def inspect(path: Path) -> Analysis | None:
        if path not in seen:
            analysis = analyze(path, show.build_dir, exe=exe, store=store)
            found = audio_problems(analysis, path, channels_setting=show.audio.channels,
                                   mono_target=show.audio.loudness_mono)  # fmt: skip
            problems.extend(found)
            seen[path] = None if found.errors else analysis
        return seen[path]

    for episode in episodes:
        audio = episode.audio_path
        analysis = inspect(audio) if audio and audio.is_file() else None
        for clip in _clips(show, episode):
            inspect(clip)
        if episode.transcript:
            duration = analysis.duration_s if analysis else None
            check_transcript(episode.transcript, duration, problems)
    return problems


def _clips(show: Show, episode: Episode) -> list[Path]:
    """The intro and outro this episode is mastered with (its own override, else the show's)."""
    clips = [
        choose_clip(episode.intro, show.audio.intro),
        choose_clip(episode.outro, show.audio.outro),
    ]
    return [clip for clip in clips if clip and clip.is_file()]
