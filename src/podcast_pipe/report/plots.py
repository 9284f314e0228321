"""The inspector's plots, drawn by matplotlib as SVG text (no GUI, byte-identical on every run).

``Figure`` objects are made directly (not through pyplot), so episodes built on several threads
can draw at the same time. matplotlib is imported on first use: it takes longer to import than
a cached ``check`` takes to run.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from .data import EpisodeReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure
# Fixed ids and no creation date: the same data gives the same bytes.
_RC = {"svg.hashsalt": "podcast-pipe", "svg.fonttype": "none", "font.size": 9}
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
TICK_STEPS_S = (1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600)
MARGINS = {"left": 0.065, "right": 0.97, "top": 0.96, "bottom": 0.17}
FLOOR_LUFS = -60.0  # the loudness plots' lower edge: quieter is drawn at the floor

PLOTS = {
    "loudness": "Loudness over time: short-term (3 s) and momentary (400 ms), LUFS",
    "gain_reduction": "Limiter gain reduction per second, dB",
    "true_peak": "True peak per second of the published file against the ceiling, dBTP",
}


def plots(report: EpisodeReport) -> dict[str, str]:
    """Plot name (one of ``PLOTS``) → an ``<svg>`` element."""
    import matplotlib

    matplotlib.use("Agg")
    with matplotlib.rc_context(_RC):
        return {
            "loudness": _svg(_loudness(report)),
            "gain_reduction": _svg(_gain_reduction(report)),
            "true_peak": _svg(_true_peak(report)),
        }


def _loudness(report: EpisodeReport) -> Figure:
    figure, axes = _canvas(report)
    t = report.timeline
    for curve, label, style in (
        (t.momentary_in, "momentary, source after gain", dict(color="#9ecae1", lw=0.6)),
        (t.momentary_out, "momentary, published", dict(color="#fdae6b", lw=0.6)),
        (t.short_term_in, "short-term, source after gain", dict(color="#3182bd", lw=1.2)),
        (t.short_term_out, "short-term, published", dict(color="#e6550d", lw=1.2)),
    ):
        if curve:
            axes.plot(_seconds(curve), [max(v, FLOOR_LUFS) for v in curve], label=label, **style)
    axes.axhline(report.target_lufs, color="#31a354", ls="--", lw=1,
                 label=f"target {report.target_lufs:g} LUFS")  # fmt: skip
    axes.set_ylim(FLOOR_LUFS, max(0.0, report.target_lufs + 10))
    axes.set_ylabel("LUFS")
    axes.legend(loc="lower right", fontsize=7, ncol=3)
    return figure


def _gain_reduction(report: EpisodeReport) -> Figure:
    figure, axes = _canvas(report)
    curve = report.timeline.gain_reduction_db
    if curve:
        axes.fill_between(_seconds(curve), [-g for g in curve], 0, step="post", color="#756bb1")
    deepest = max(curve, default=0.0)
    axes.set_ylim(-max(6.0, deepest + 1), 0.5)
    axes.set_ylabel("dB")
    return figure


def _true_peak(report: EpisodeReport) -> Figure:
    figure, axes = _canvas(report)
    curve = report.timeline.true_peak_out
    if curve:
        axes.plot(_seconds(curve), [max(v, FLOOR_LUFS) for v in curve], color="#e6550d", lw=0.8)
    axes.axhline(report.ceiling_dbtp, color="#de2d26", ls="--", lw=1,
                 label=f"ceiling {report.ceiling_dbtp:g} dBTP")  # fmt: skip
    axes.set_ylim(-30, 1)
    axes.set_ylabel("dBTP")
    axes.legend(loc="lower right", fontsize=7)
    return figure


def _canvas(report: EpisodeReport) -> tuple[Figure, Any]:
    """A wide plot whose time axis carries the silences (grey) and chapter marks."""
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    figure = Figure(figsize=(10, 2.8))
    # Fixed margins (room for the tick labels and the axis titles): a layout engine would
    # draw every figure twice, and the three plots of an hour cost twice as long.
    figure.subplots_adjust(**MARGINS)
    axes = figure.subplots()
    duration = float(report.figures.get("duration_s") or 0) or max(
        (len(c) for c in report.timeline.to_dict().values()), default=1
    )
    axes.set_xlim(0, duration)
    step = next((s for s in TICK_STEPS_S if duration / s <= 12), TICK_STEPS_S[-1])
    axes.xaxis.set_major_locator(MultipleLocator(step))
    axes.xaxis.set_major_formatter(FuncFormatter(_clock))
    axes.set_xlabel("time (m:ss)")
    axes.grid(alpha=0.3)
    if report.silences:  # one collection: an hour of speech has hundreds of pauses
        spans = [[(a, 0), (b, 0), (b, 1), (a, 1)] for a, b in report.silences]
        axes.add_collection(PolyCollection(spans, transform=axes.get_xaxis_transform(),
                                           facecolor="#bbbbbb", alpha=0.4, lw=0))  # fmt: skip
    for start, title in report.chapters:
        axes.axvline(start, color="#555555", lw=0.8, ls=":")
        axes.annotate(title, (start, 1), xycoords=("data", "axes fraction"), xytext=(2, -10),
                      textcoords="offset points", fontsize=7, color="#333333")  # fmt: skip
    return figure, axes


def _seconds(curve: list[float]) -> list[float]:
    """Index i covers second i..i+1: draw it at its middle."""
    return [i + 0.5 for i in range(len(curve))]


def _clock(seconds: float, _: object = None) -> str:
    minutes, rest = divmod(int(max(seconds, 0)), 60)
    return f"{minutes}:{rest:02d}"


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _PROLOGUE.sub("", buffer.getvalue(), count=1)
