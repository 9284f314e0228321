"""The audio inspector: pages that parse, one plot per figure, numbers equal to the JSON, curves
that agree with ffmpeg's own ebur128 meter, and warnings from the build's figures."""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from pathlib import Path

import html5lib
import imageio_ffmpeg
import pytest
from click.testing import CliRunner

from conftest import fill_template
from podcast_pipe.audio.findings import THRESHOLDS, build_warnings
from podcast_pipe.audio.timeline import Timeline
from podcast_pipe.cli import cli
from podcast_pipe.report import EpisodeReport
from podcast_pipe.report.page import episode_page, write_episode, write_show
from podcast_pipe.report.plots import PLOTS

NS = {"h": "http://www.w3.org/1999/xhtml"}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def synthetic(seconds: int = 120) -> EpisodeReport:
    short = [-16 + 3 * math.sin(i / 9) for i in range(seconds)]
    timeline = Timeline(
        momentary_in=[v + math.sin(i) for i, v in enumerate(short)],
        short_term_in=short,
        momentary_out=[v - 0.4 for v in short],
        short_term_out=[v - 0.2 for v in short],
        true_peak_out=[-2 + math.sin(i / 5) for i in range(seconds)],
        gain_reduction_db=[max(0.0, 4 * math.sin(i / 4)) for i in range(seconds)],
    )
    figures = {"input_lufs": -23.4, "gain_db": 7.4, "output_lufs": -16.02, "encodes": 2,
               "output_true_peak_dbtp": None, "duration_s": float(seconds), "size_bytes": 1920000}  # fmt: skip
    warnings = build_warnings(timeline.gain_reduction_db, 2)
    return EpisodeReport("bolum-1", "Bölüm <1> & İzmir", -16.0, -1.0, figures, timeline,
                         [(0.0, 6.5), (60.0, 72.0)], [(0.0, "Giriş"), (50.0, "Konu")], warnings)  # fmt: skip


def parse(page: str) -> object:
    return html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=True)


def test_page_parses_with_one_plot_per_figure_and_the_json_numbers(tmp_path: Path) -> None:
    report = synthetic()
    page = write_episode(report, tmp_path)
    tree = parse(page.read_text(encoding="utf-8"))
    plots = tree.findall(".//h:figure", NS)
    assert [p.get("id") for p in plots] == [f"plot-{name}" for name in PLOTS]
    for plot in plots:
        assert plot.find("{http://www.w3.org/2000/svg}svg") is not None
    data = json.loads((tmp_path / "bolum-1" / "report.json").read_text(encoding="utf-8"))
    cells = tree.findall(".//h:table[@id='figures']//h:td[@data-figure]", NS)
    assert {c.get("data-figure") for c in cells} == set(data["figures"])
    for cell in cells:
        expected = data["figures"][cell.get("data-figure")]
        assert cell.get("data-value") == ("" if expected is None else str(expected))
    embedded = tree.find(".//h:script[@id='report-data']", NS).text
    assert json.loads(embedded) == data
    items = [li.text for li in tree.findall(".//h:ul[@class='warnings']/h:li", NS)]
    assert items == data["warnings"] and any("limiter took off more than 3 dB" in w for w in items)
    assert any("encoded 2 times" in w for w in items)


def test_page_is_byte_identical_on_every_run() -> None:
    assert episode_page(synthetic()) == episode_page(synthetic())


def test_show_page_links_each_episode(tmp_path: Path) -> None:
    write_episode(synthetic(), tmp_path)
    page = write_show(tmp_path, "İzmir–Bakü")
    links = [a.get("href") for a in parse(page.read_text(encoding="utf-8")).iter(f"{{{NS['h']}}}a")]
    assert links == ["bolum-1/report.html"]
    assert (tmp_path / links[0]).is_file()


def test_limiter_warning_needs_long_deep_reduction() -> None:
    quick = [6.0] * 4 + [0.0] * 96  # 4 % of the programme
    assert build_warnings(quick, 1) == []
    assert len(build_warnings([3.5] * 6 + [0.0] * 94, 1)) == 1
    assert build_warnings([2.9] * 100, 1) == []  # all the time, but never more than 3 dB
    # From the record's totals alone (no per-second curve): -17 dB for 130 s of 180 s.
    assert build_warnings([], 1, max_reduction_db=17.2, limited_ms=130_000, duration_s=180)


def ebur128_short_term(path: Path) -> dict[int, float]:
    """ffmpeg's own short-term loudness at each whole second (the 100 ms frame ending there)."""
    log = path.with_suffix(".meta.txt")
    meter = f"ebur128=metadata=1,ametadata=print:key=lavfi.r128.S:file={log.name}"
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", path.name, "-af", meter]
    subprocess.run([*command, "-f", "null", "-"], check=True, cwd=path.parent, timeout=120)
    values: dict[int, float] = {}
    time = 0.0
    for line in log.read_text().splitlines():
        if line.startswith("frame:"):
            time = float(line.rsplit("pts_time:", 1)[1]) + 0.1  # a frame's start → its end
        elif line.startswith("lavfi.r128.S=") and abs(time - round(time)) < 0.01:
            values[round(time)] = float(line.split("=", 1)[1])
    return values


@pytest.fixture
def built(tmp_path: Path, make_image: Callable, make_speech: Callable) -> Path:
    """A show with one 20 s speech episode with chapters, checked and built."""
    folder = tmp_path / "show"
    run("init", str(folder))
    make_image("show/feed/cover.jpg")
    audio = make_speech("raw/bolum.wav", 20.0, "-ac", "2", "-af", "adelay=6s:all=1")
    assert run("-C", str(folder), "new", "Bölüm", "--audio", str(audio))[0] == 0
    fill_template(folder)
    meta = folder / "episodes" / "01-bolum.md"
    chapters = (
        '\nchapters:\n  - {start: "00:00", title: "Giriş"}\n  - {start: "00:10", title: "Son"}'
    )
    text = meta.read_text(encoding="utf-8").replace("draft: false", "draft: false" + chapters)
    meta.write_text(text, encoding="utf-8")
    assert run("-C", str(folder), "check")[0] == 0
    code, out = run("-C", str(folder), "build")
    assert code == 0, out
    return folder


def test_build_writes_the_report_and_the_cli_finds_it(built: Path) -> None:
    code, out = run("-C", str(built), "report", "01-bolum")
    assert code == 0 and out.strip().endswith("01-bolum/report.html")
    page = built / "build" / "01-bolum" / "report.html"
    tree = parse(page.read_text(encoding="utf-8"))
    assert len(tree.findall(".//h:figure", NS)) == len(PLOTS)
    code, out = run("-C", str(built), "report", "01-bolum", "--json")
    data = json.loads(out)
    record = json.loads((built / "build" / "01-bolum.json").read_text(encoding="utf-8"))
    assert data["figures"]["output_lufs"] == round(record["master"]["output"]["integrated"], 2)
    assert data["figures"]["size_bytes"] == record["bytes"]
    assert [title for _, title in data["chapters"]] == ["Giriş", "Son"]
    assert data["silences"] and data["silences"][0][0] == 0.0  # the 6 s of leading silence
    assert any("6 s of silence at the start" in w for w in data["warnings"])
    code, out = run("-C", str(built), "report")
    assert code == 0 and out.strip().endswith("build/report.html")
    code, out = run("-C", str(built), "report", "nope")
    assert code == 1 and "no inspector report" in out


def test_loudness_curve_agrees_with_ffmpeg(built: Path) -> None:
    """The published file's curve is the MP3's as ffmpeg reads it; the source's is the source
    after the gain, in the published layout (dual mono read as mono: 3.01 dB lower)."""
    data = json.loads(run("-C", str(built), "report", "01-bolum", "--json")[1])
    gain = data["figures"]["gain_db"]
    timeline = data["timeline"]
    published = ebur128_short_term(built / "build" / "01-bolum.mp3")
    source = ebur128_short_term(built / "episodes" / "01-bolum.wav")
    layout = -10 * math.log10(2) if data["figures"]["channels"] == 1 else 0.0
    sampled = [s for s in (8, 11, 14, 17, 20, 23) if s <= len(timeline["short_term_out"])]
    assert len(sampled) >= 5
    for second in sampled:
        assert abs(timeline["short_term_out"][second - 1] - published[second]) < 0.5, second
        expected = source[second] + gain + layout
        assert abs(timeline["short_term_in"][second - 1] - expected) < 0.5, second


def test_every_threshold_is_documented() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in THRESHOLDS)
