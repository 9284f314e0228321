"""build/: tagged MP3s, records and report; the master and tag caches; atomic, parallel, safe."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import fill_template
from podcast_pipe import tags
from podcast_pipe.audio import analysis as analysis_module
from podcast_pipe.audio import analyze as analyze_module
from podcast_pipe.audio import stream as stream_module
from podcast_pipe.audio.analyze import analyze
from podcast_pipe.audio.meter import Loudness
from podcast_pipe.audio.timeline import Timeline
from podcast_pipe.build import build_episodes, read_record, select_episodes
from podcast_pipe.build import job as build_job
from podcast_pipe.build import run as build
from podcast_pipe.build.record import from_data, to_data
from podcast_pipe.cli import cli
from podcast_pipe.config import AudioSettings
from podcast_pipe.episodes import Catalog, Chapter
from podcast_pipe.errors import AudioError, EpisodeError, FeedError
from podcast_pipe.events import Reporter
from podcast_pipe.files import sha256_file
from podcast_pipe.tags import read_tags

SPEECH = "anoisesrc=c=pink:a=0.05:r=44100:seed={seed},lowpass=f=7000,volume='pow(abs(sin(2*PI*2.5*t))\\,3)':eval=frame"


@pytest.fixture
def show(make_show, make_image, make_audio, tmp_path):
    make_image("feed/cover.jpg")
    intro = make_audio("assets/intro.wav", "sine=f=300", 2)
    return make_show(audio=AudioSettings(intro=intro, crossfade_ms=500))


@pytest.fixture
def episode(make_episode, make_audio):
    audio = make_audio("episodes/bolum-1.wav", SPEECH.format(seed=1), 4)
    chapters = (Chapter(0.0, "Giriş"), Chapter(2.0, "Kardeş şehirler"))
    return make_episode("bolum-1", audio_path=audio, chapters=chapters)


def no_mastering(*args, **kwargs):
    raise AssertionError("mastered again")


def test_build_writes_tagged_mp3_record_report_and_chapters(show, episode):
    [record] = build_episodes(show, [episode])
    assert record.action == "encoded"
    assert record.mp3 == show.build_dir / "bolum-1.mp3"
    assert record.sha256 == sha256_file(record.mp3) and record.bytes == record.mp3.stat().st_size
    assert record.source_sha256 == sha256_file(episode.audio_path)
    # 2 s intro + 4 s episode, overlapping by the 0.5 s crossfade.
    assert record.intro_s == pytest.approx(1.5, abs=0.01)
    assert record.duration_s == pytest.approx(5.5, abs=0.05)
    assert (
        abs(record.master.output.integrated + 19) <= 0.5 and record.master.output.true_peak <= -1.0
    )  # mono: loudness_mono
    tags = read_tags(record.mp3)
    assert "Bölüm: bolum-1" in json.dumps(tags, ensure_ascii=False)
    chapters = json.loads((show.build_dir / "bolum-1.chapters.json").read_text())
    assert [c["startTime"] for c in chapters["chapters"]] == [1.5, 3.5]
    assert read_record(show, "bolum-1") == dataclasses.replace(record, action="up to date")
    report = json.loads((show.build_dir / "report.json").read_text())
    assert [e["slug"] for e in report["episodes"]] == ["bolum-1"]


def test_rebuild_with_nothing_changed_encodes_nothing(show, episode, monkeypatch):
    [first] = build_episodes(show, [episode])
    monkeypatch.setattr(build_job, "master", no_mastering)
    [again] = build_episodes(show, [episode])
    assert again.action == "up to date" and again.sha256 == first.sha256


def test_metadata_change_retags_without_encoding(show, episode, monkeypatch):
    [first] = build_episodes(show, [episode])
    masters = sorted((show.build_dir / ".cache").iterdir())
    monkeypatch.setattr(build_job, "master", no_mastering)
    renamed = dataclasses.replace(episode, title="Yeni başlık")
    [record] = build_episodes(show, [renamed])
    assert record.action == "re-tagged" and record.sha256 != first.sha256
    assert "Yeni başlık" in json.dumps(read_tags(record.mp3), ensure_ascii=False)
    assert sorted((show.build_dir / ".cache").iterdir()) == masters


@pytest.mark.parametrize("change", ["source", "intro", "settings", "version"])
def test_each_audio_input_is_part_of_the_cache_key(show, episode, make_audio, monkeypatch, change):
    [first] = build_episodes(show, [episode])
    if change == "source":
        make_audio("episodes/bolum-1.wav", SPEECH.format(seed=2), 4)
    elif change == "intro":
        episode = dataclasses.replace(episode, intro=False)
    elif change == "settings":
        show = dataclasses.replace(show, audio=dataclasses.replace(show.audio, loudness=-18.0))
    else:
        monkeypatch.setattr(build, "MASTER_VERSION", 99)
    [record] = build_episodes(show, [episode])
    assert record.action == "encoded" and record.cache_key != first.cache_key
    assert len(list((show.build_dir / ".cache").glob("bolum-1-*.mp3"))) == 1  # old one dropped
    if change == "intro":
        assert record.intro_s == 0 and record.duration_s == pytest.approx(4.0, abs=0.05)


def test_a_failed_build_leaves_the_previous_output(show, episode, make_audio, monkeypatch):
    [first] = build_episodes(show, [episode])
    make_audio("episodes/bolum-1.wav", SPEECH.format(seed=3), 4)

    class Failing(stream_module.TruePeakLimiter):
        def process_all(self, block):
            raise OSError("killed mid-encode")

    monkeypatch.setattr(stream_module, "TruePeakLimiter", Failing)
    with pytest.raises(OSError, match="killed mid-encode"):
        build_episodes(show, [episode])
    assert sha256_file(first.mp3) == first.sha256
    assert read_record(show, "bolum-1") == dataclasses.replace(first, action="up to date")
    leftovers = [p for p in show.build_dir.rglob("*") if p.name.endswith(".part")]
    assert leftovers == []


def test_one_bad_episode_does_not_stop_the_others(show, episode, make_episode, make_audio):
    silent = make_audio("episodes/sessiz.wav", "anullsrc=r=44100:cl=mono", 3)
    bad = make_episode("sessiz", audio_path=silent)
    with pytest.raises(AudioError, match="below −70 LUFS") as caught:
        build_episodes(show, [bad, episode], jobs=2)
    assert caught.value.path == silent
    assert read_record(show, "bolum-1") is not None and read_record(show, "sessiz") is None


def no_decode(*args, **kwargs):
    raise AssertionError("decoded again")


def test_mastering_reuses_the_analysis_check_made(make_show, make_image, make_episode, make_audio,
                                                  monkeypatch):  # fmt: skip
    """One analysis per file: `check` makes it, mastering's first pass reads it (no decode)."""
    make_image("feed/cover.jpg")
    show = make_show()
    audio = make_audio("episodes/bolum-1.wav", SPEECH.format(seed=1), 4)
    checked = analyze(audio, show.build_dir)
    monkeypatch.setattr(analysis_module, "MeteredFFmpeg", no_decode)
    monkeypatch.setattr(analyze_module, "_start", no_decode)
    [record] = build_episodes(show, [make_episode("bolum-1", audio_path=audio)])
    assert record.action == "encoded"
    assert record.master.input.integrated == round(checked.integrated, 1)
    assert abs(record.master.output.integrated + 19) <= 0.5  # mono: loudness_mono


def test_a_build_leaves_the_analysis_check_reads(make_show, make_image, make_episode, make_audio,
                                                monkeypatch):  # fmt: skip
    make_image("feed/cover.jpg")
    show = make_show()
    audio = make_audio("episodes/bolum-1.wav", SPEECH.format(seed=1), 4)
    build_episodes(show, [make_episode("bolum-1", audio_path=audio)])
    monkeypatch.setattr(analyze_module, "_start", no_decode)
    monkeypatch.setattr(analyze_module, "sha256_file", no_decode)
    assert analyze(audio, show.build_dir).duration_s == pytest.approx(4.0, abs=0.05)


def test_select_episodes(make_episode):
    ready, draft = make_episode("bolum-1"), make_episode("taslak", draft=True)
    catalog = Catalog(episodes=[ready, draft])
    assert select_episodes(catalog, []) == [ready]
    assert select_episodes(catalog, ["taslak"]) == [draft]
    with pytest.raises(EpisodeError, match="no episode with the slug") as caught:
        select_episodes(catalog, ["bolum1"])
    assert "bolum-1" in caught.value.hint


@pytest.fixture
def workspace(tmp_path, make_image, make_audio):
    """A show made by `init` with one 3 s episode: (runner, root)."""
    runner = CliRunner()
    root = tmp_path / "show"
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    fill_template(root)
    make_image("show/feed/cover.jpg")
    make_audio("show/episodes/bolum-1.flac", SPEECH.format(seed=4), 3)
    (root / "episodes/bolum-1.md").write_text(
        '---\ntitle: "Bölüm 1"\ndate: 2026-01-12T16:03:00+03:00\n---\nNotlar.\n', encoding="utf-8"
    )
    return runner, root


def test_build_and_loudness_commands(workspace):
    runner, root = workspace
    first = runner.invoke(cli, ["-C", str(root), "build", "--jobs", "1"])
    assert first.exit_code == 0, first.output
    assert "1 encoded" in first.output and "out LUFS" in first.output
    again = runner.invoke(cli, ["-C", str(root), "build"])
    assert "0 encoded, 0 re-tagged, 1 up to date" in again.output
    measured = runner.invoke(cli, ["loudness", "--json", str(root / "build/bolum-1.mp3")])
    [entry] = json.loads(measured.output)
    assert abs(entry["integrated"] + 19) <= 0.5 and entry["true_peak"] <= -1.0
    table = runner.invoke(cli, ["loudness", str(root / "episodes/bolum-1.flac")])
    assert table.exit_code == 0 and "LUFS" in table.output
    missing = runner.invoke(cli, ["loudness", str(root / "yok.wav")])
    assert missing.exit_code == 1 and "yok.wav" in missing.output


def test_publish_settings_retag_nothing_and_publish_nothing(workspace):
    """[publish] settings that no tag holds change no built byte, so nothing is re-uploaded."""
    runner, root = workspace
    first = runner.invoke(cli, ["-C", str(root), "publish"])
    assert first.exit_code == 0 and "bolum-1: mastered" in first.output, first.output
    config = root / "podcast.toml"
    text = config.read_text(encoding="utf-8")
    settings = 'concurrency = 1\nmax_attempts = 2\nretry_mode = "adaptive"\n'
    config.write_text(text.replace("[publish]\n", "[publish]\n" + settings), encoding="utf-8")
    assert "concurrency = 1" in config.read_text(encoding="utf-8")
    rebuilt = runner.invoke(cli, ["-C", str(root), "build"])
    assert "0 encoded, 0 re-tagged, 1 up to date" in rebuilt.output, rebuilt.output
    again = runner.invoke(cli, ["-C", str(root), "publish"])
    assert again.exit_code == 0 and "up to date: nothing to upload" in again.output, again.output


def test_a_comment_in_the_tag_code_retags_nothing(show, episode, tmp_path):
    """The tag key hashes what is written (and TAG_VERSION), never the code's source text."""
    [first] = build_episodes(show, [episode])
    package = Path(build.__file__).parents[1]
    copy = tmp_path / "src" / "podcast_pipe"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    tags_py = copy / "tags.py"
    tags_py.write_text(tags_py.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    code = (
        "import pickle, sys; from podcast_pipe import tags; "
        "from podcast_pipe.build import build_episodes; "
        "show, episode = pickle.loads(sys.stdin.buffer.read()); "
        "print(tags.__file__, build_episodes(show, [episode])[0].action)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps((show, episode)),
        env={**os.environ, "PYTHONPATH": str(copy.parent)},
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().strip() == f"{tags_py} up to date"
    assert sha256_file(first.mp3) == first.sha256


@pytest.mark.parametrize("change", ["title", "id3_version", "tag_version"])
def test_what_the_tags_hold_retags_without_encoding(show, episode, monkeypatch, change):
    [first] = build_episodes(show, [episode])
    monkeypatch.setattr(build_job, "master", no_mastering)
    if change == "title":
        episode = dataclasses.replace(episode, title="Başka başlık")
    elif change == "id3_version":
        show = dataclasses.replace(show, audio=dataclasses.replace(show.audio, id3_version=4))
    else:
        monkeypatch.setattr(tags, "TAG_VERSION", tags.TAG_VERSION + 1)
    [record] = build_episodes(show, [episode])
    assert record.action == "re-tagged" and record.cache_key == first.cache_key
    if change == "id3_version":
        assert read_tags(record.mp3)["id3_version"] == "2.4"


def test_the_build_reports_through_callbacks_and_prints_nothing(show, episode, capsys):
    events, fractions = [], []
    reporter = Reporter(
        on_start=lambda stage, n: events.append((stage, n)),
        on_progress=lambda slug, f: fractions.append((slug, f)),
        on_event=lambda slug, what: events.append((slug, what)),
    )
    build_episodes(show, [episode], reporter=reporter)
    build_episodes(show, [episode], reporter=reporter)
    assert events == [
        ("build", 1),
        ("bolum-1", "mastered"),
        ("build", 1),
        ("bolum-1", "up to date"),
    ]
    assert {slug for slug, _ in fractions} == {"bolum-1"} and max(f for _, f in fractions) == 1.0
    assert capsys.readouterr() == ("", "")


@dataclasses.dataclass(frozen=True)
class _Stats:
    reduction_db: float
    span: tuple[int, int]
    added_later: int = 0


@dataclasses.dataclass(frozen=True)
class _Result:
    output: Loudness
    stats: _Stats
    timeline: Timeline
    file: Path


def test_the_record_codec_follows_the_dataclasses_fields():
    """A field added to the mastering result is stored and read back with no codec edit."""
    result = _Result(
        Loudness(-16.0, 4.2, -1.3, -math.inf, 5.5),
        _Stats(2.5, (3, 4), added_later=7),
        Timeline(momentary_in=[-20.0, -18.5], gain_reduction_db=[0.0, 1.5]),
        Path("bolum-1.mp3"),
    )
    data = json.loads(json.dumps(to_data(result)))
    assert from_data(_Result, data) == result
    del data["stats"]["added_later"]  # written before that field existed: its default
    assert from_data(_Result, data).stats == _Stats(2.5, (3, 4))


def test_a_missing_cover_fails_the_build_before_any_episode(show, episode, monkeypatch):
    show.image.unlink()
    monkeypatch.setattr(build_job, "master", no_mastering)
    with pytest.raises(FeedError) as raised:
        build_episodes(show, [episode])
    assert raised.value.field == "show.image" and "cover.jpg" in str(raised.value)
    assert not (show.build_dir / "bolum-1.mp3").exists()


def test_the_feed_command_warns_of_a_missing_cover(workspace):
    runner, root = workspace
    with_cover = runner.invoke(cli, ["-C", str(root), "feed"])
    assert with_cover.exit_code == 0 and "warning" not in with_cover.output
    (root / "feed/cover.jpg").unlink()
    without = runner.invoke(cli, ["-C", str(root), "feed"])
    assert without.exit_code == 0 and (root / "feed/feed.xml").is_file()
    assert "warning: " in without.output
    assert "cover.jpg: show.image: file not found" in without.output
