"""Self-contained HTML pages: ``build/<slug>/report.html`` per episode, ``build/report.html``.

Each episode page holds its plots as inline SVG, the figures table, the warnings and the same
data as ``report.json`` beside it (in a ``<script type="application/json">``), so nothing
outside the file is needed to read it.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from ..files import write_atomic
from .data import FOLDER_REPORT, EpisodeReport, report_folder
from .plots import PLOTS, plots

PAGE = "report.html"
# figure name → (label, unit) in the order of the table
LABELS = {
    "input_lufs": ("Source loudness (integrated)", "LUFS"),
    "input_lra_lu": ("Source loudness range", "LU"),
    "input_true_peak_dbtp": ("Source true peak", "dBTP"),
    "gain_db": ("Gain", "dB"),
    "limiter_max_db": ("Deepest limiting", "dB"),
    "limited_s": ("Time limited", "s"),
    "output_lufs": ("Published loudness (integrated)", "LUFS"),
    "output_lra_lu": ("Published loudness range", "LU"),
    "output_true_peak_dbtp": ("Published true peak", "dBTP"),
    "encodes": ("MP3 encodes", ""),
    "lowered": ("Peaks lowered in the MP3 (1.5 dB steps, no re-encode)", ""),
    "channels": ("Channels", ""),
    "bitrate_kbps": ("Bitrate", "kbps"),
    "duration_s": ("Duration", "s"),
    "size_bytes": ("Size", "bytes"),
    "mp3_cpu_s": ("MP3 encoder", "s CPU"),
    "opus_cpu_s": ("Opus encoder", "s CPU"),
    "opus_encodes": ("Opus encodes", ""),
    "aac_cpu_s": ("AAC encoder", "s CPU"),
    "aac_encodes": ("AAC encodes", ""),
    "build_s": ("Time taken", "s"),
}
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1040px;color:#222;padding:0 1em}
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1.5em 0}
figcaption{font-weight:600;margin-bottom:.3em}svg{max-width:100%;height:auto}
.warnings li{color:#8a4b00}.none{color:#31a354}
"""


def write_episode(report: EpisodeReport, build_dir: Path) -> Path:
    """Write build/<slug>/report.html and report.json; return the page's path."""
    folder = report_folder(build_dir, report.slug)
    write_atomic(folder / FOLDER_REPORT, _json(report.to_dict()))
    page = folder / PAGE
    write_atomic(page, episode_page(report).encode("utf-8"))
    return page


def read_reports(build_dir: Path) -> list[EpisodeReport]:
    """Every episode report found under build/, by slug."""
    reports = []
    for path in sorted(build_dir.glob(f"*/{FOLDER_REPORT}")):
        try:
            reports.append(EpisodeReport.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError, KeyError):
            continue  # a report of an older format: the next build writes it again
    return reports


def write_show(build_dir: Path, title: str) -> Path:
    """build/report.html: one row per episode report, linking to its page."""
    rows = []
    for r in read_reports(build_dir):
        link = f'<a href="{escape(r.slug)}/{PAGE}">{escape(r.title)}</a>'
        cells = [_number(r.figures.get(k)) for k in ("output_lufs", "output_true_peak_dbtp")]
        rows.append(f"<tr><td>{link}</td><td>{escape(r.slug)}</td>"
                    f"{''.join(cells)}<td class='n'>{len(r.warnings)}</td></tr>")  # fmt: skip
    body = (
        "<table id='episodes'><tr><th>Episode</th><th>Slug</th><th>LUFS</th><th>dBTP</th>"
        f"<th>Warnings</th></tr>{''.join(rows)}</table>"
    )
    page = build_dir / PAGE
    write_atomic(page, _page(f"{title}: audio inspector", body).encode("utf-8"))
    return page


def episode_page(report: EpisodeReport) -> str:
    """The episode's page as one HTML string."""
    if report.warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in report.warnings)
        warnings = f"<ul class='warnings'>{items}</ul>"
    else:
        warnings = "<p class='none'>No warnings.</p>"
    rows = "".join(
        f"<tr><th>{label}</th>{_number(report.figures[name], name)}<td>{unit}</td></tr>"
        for name, (label, unit) in LABELS.items()
        if name in report.figures
    )
    figures = "".join(
        f"<figure class='plot' id='plot-{name}'><figcaption>{escape(caption)}</figcaption>"
        f"{svg}</figure>"
        for (name, caption), svg in zip(PLOTS.items(), plots(report).values(), strict=True)
    )
    data = json.dumps(report.to_dict(), ensure_ascii=False).replace("</", "<\\/")
    body = (
        f"<p><a href='../{PAGE}'>All episodes</a> · {escape(report.slug)}</p>"
        f"<h2>Warnings</h2>{warnings}<h2>Figures</h2><table id='figures'>{rows}</table>"
        f"<h2>Over time</h2>{figures}"
        f"<script type='application/json' id='report-data'>{data}</script>"
    )
    return _page(report.title, body)


def _number(value: float | int | None, name: str = "") -> str:
    """A table cell showing the value, with the exact figure in ``data-value``."""
    shown = "–" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:.1f}"
    exact = "" if value is None else str(value)
    attribute = f" data-figure='{name}'" if name else ""
    return f"<td class='n'{attribute} data-value='{exact}'>{shown}</td>"


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
