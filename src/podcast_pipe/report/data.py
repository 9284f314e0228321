"""What the audio inspector shows for one episode, as plain data (testable without a build).

Assembled from what the build already knows: its record's figures, the master's per-second
``Timeline``, the source's cached analysis (silences, warnings) and the chapters.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio.analyze import Analysis, analyze
from ..audio.findings import audio_problems, build_warnings
from ..audio.timeline import SILENT, Timeline
from ..chapters import timeline as chapter_timeline
from ..config import Show
from ..episodes import Episode
from ..errors import EpisodeError

if TYPE_CHECKING:
    from ..build import BuildRecord

FOLDER_REPORT = "report.json"


@dataclass(frozen=True)
class EpisodeReport:
    """One episode's inspector page: figures (units in the names), curves, marks, warnings."""

    slug: str
    title: str
    target_lufs: float
    ceiling_dbtp: float
    figures: dict[str, float | int | None]
    timeline: Timeline = field(default_factory=Timeline)
    silences: list[tuple[float, float]] = field(default_factory=list)  # in the published file
    chapters: list[tuple[float, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["timeline"] = self.timeline.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpisodeReport:
        return cls(**{
            **data,
            "timeline": Timeline.from_dict(data.get("timeline", {})),
            "silences": [tuple(s) for s in data.get("silences", [])],
            "chapters": [tuple(c) for c in data.get("chapters", [])],
        })  # fmt: skip


def figures(record: BuildRecord) -> dict[str, float | int | None]:
    """The build record's numbers, named with their units (None where a meter read -inf)."""
    m = record.master
    values = {
        "input_lufs": m.input.integrated,
        "input_lra_lu": m.input.lra,
        "input_true_peak_dbtp": m.input.true_peak,
        "gain_db": m.gain_db,
        "limiter_max_db": m.limiter.max_reduction_db,
        "limited_s": m.limiter.limited_ms / 1000,
        "output_lufs": m.output.integrated,
        "output_lra_lu": m.output.lra,
        "output_true_peak_dbtp": m.output.true_peak,
        "encodes": m.encodes,
        "lowered": m.lowered,
        "channels": m.format.channels,
        "bitrate_kbps": m.format.bitrate_kbps,
        "duration_s": record.duration_s,
        "size_bytes": record.bytes,
        "mp3_cpu_s": m.cpu_s,
    }
    for rendition in m.renditions:
        values[f"{rendition.name}_cpu_s"] = rendition.cpu_s
        values[f"{rendition.name}_encodes"] = rendition.encodes
    return {k: (round(v, 2) if math.isfinite(v) else None) for k, v in values.items()}


def episode_report(
    show: Show,
    episode: Episode,
    record: BuildRecord,
    timeline: Timeline | None = None,
    build_s: float | None = None,
) -> EpisodeReport:
    """The report of a built episode (``build_s``: how long its build took, if it was built).

    The curves are the master's own ``timeline`` (made by the passes the build ran); a master
    from before it had one gets the source curves from the cached analysis, moved by the gain and
    the intro, and no curves of the published file.
    """
    analysis = analyze(episode.audio_path, show.build_dir) if episode.audio_path else None
    offset, m = record.intro_s, record.master
    if timeline is None and m.timeline.momentary_out:
        timeline = m.timeline
    if timeline is None:
        timeline = _source_timeline(analysis, m.gain_db, offset) if analysis else Timeline()
    warnings = []
    if analysis:
        found = audio_problems(analysis, episode.audio_path, channels_setting=show.audio.channels,
                               mono_target=show.audio.loudness_mono)  # fmt: skip
        warnings = [f"{w.message} — {w.hint}" for w in found.warnings]
    warnings += build_warnings(
        timeline.gain_reduction_db,
        m.encodes,
        max_reduction_db=m.limiter.max_reduction_db,
        limited_ms=m.limiter.limited_ms,
        duration_s=record.duration_s,
    )
    warnings += m.warnings  # what the mastering could not do, and the setting that fixes it
    return EpisodeReport(
        slug=episode.slug,
        title=episode.title,
        target_lufs=m.target,
        ceiling_dbtp=show.audio.true_peak,
        figures={**figures(record), **({"build_s": round(build_s, 2)} if build_s else {})},
        timeline=timeline,
        silences=_shifted(analysis.silences, offset, record.duration_s) if analysis else [],
        chapters=_chapters(episode, record.duration_s, offset),
        warnings=warnings,
    )


def _source_timeline(analysis: Analysis, gain_db: float, offset_s: float) -> Timeline:
    lead = [SILENT] * max(0, round(offset_s))

    def moved(curve: list[float]) -> list[float]:
        return lead + [v + gain_db if v > SILENT else SILENT for v in curve]

    return Timeline(
        momentary_in=moved(analysis.momentary), short_term_in=moved(analysis.short_term)
    )


def _shifted(
    silences: list[tuple[float, float]], offset_s: float, duration_s: float
) -> list[tuple[float, float]]:
    """Silences of the episode's own audio, placed in the published file."""
    moved = [(max(0.0, a + offset_s), min(duration_s, b + offset_s)) for a, b in silences]
    return [(round(a, 2), round(b, 2)) for a, b in moved if b > a]


def _chapters(episode: Episode, duration_s: float, offset_s: float) -> list[tuple[float, str]]:
    try:
        timed = chapter_timeline(episode, duration_s=duration_s, offset_s=offset_s)
    except EpisodeError:
        return []  # check reports it; the page still shows the rest
    return [(round(t.start_s, 2), t.chapter.title) for t in timed]


def report_folder(build_dir: Path, slug: str) -> Path:
    return build_dir / slug
