"""Transcripts: malformed, overlapping and late cues are errors with the file and the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from podcast_pipe.cli import cli
from podcast_pipe.errors import Problems
from podcast_pipe.transcripts import check_transcript, read_transcript

GOOD_VTT = """WEBVTT

NOTE written by hand

1
00:00:00.000 --> 00:00:02.500
<v Ayşe>Merhaba, hoş geldiniz.

00:00:02.500 --> 00:00:04.000 align:start
İkinci satır.
"""

GOOD_SRT = """1
00:00:00,000 --> 00:00:02,500
Merhaba.

2
00:00:02,600 --> 00:00:04,000
İkinci.
"""


def problems_of(tmp_path: Path, name: str, text: str, audio_s: float | None = 10.0) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems = Problems()
    check_transcript(path, audio_s, problems)
    return [str(e) for e in problems.errors]


def test_good_transcripts_read_every_cue(tmp_path: Path) -> None:
    for name, text in (("a.vtt", GOOD_VTT), ("a.srt", GOOD_SRT)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        problems = Problems()
        cues = read_transcript(path, problems)
        assert not problems.errors
        assert [(c.start_s, c.end_s) for c in cues][1] in ((2.5, 4.0), (2.6, 4.0))
    assert problems_of(tmp_path, "b.vtt", GOOD_VTT) == []


def test_not_a_vtt(tmp_path: Path) -> None:
    errors = problems_of(tmp_path, "x.vtt", "not a vtt\n")
    assert len(errors) == 1 and "x.vtt: line 1: a WebVTT file must start" in errors[0]


def test_malformed_overlapping_and_late_cues_name_their_line(tmp_path: Path) -> None:
    text = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\nbir\n\n"  # line 3
        "00:00:02.000 --> 00:00:04.000\niki\n\n"  # line 6: overlaps
        "00:00:05.000 -> 00:00:06.000\nüç\n\n"  # line 9: malformed
        "00:00:07.000 --> 00:00:06.000\ndört\n\n"  # line 12: ends before it starts
        "00:00:09.000 --> 00:00:12.000\nbeş\n"  # line 15: past the 10 s of audio
    )
    errors = problems_of(tmp_path, "t.vtt", text)
    assert any("t.vtt: line 6: the cue starts at 2.000 s, before" in e for e in errors)
    assert any("t.vtt: line 9: not a cue timing line" in e for e in errors)
    assert any("t.vtt: line 12: the cue ends before it starts" in e for e in errors)
    assert any("t.vtt: line 15: the cue ends at 12.0 s, after the end" in e for e in errors)
    assert len(errors) == 4


def test_srt_with_a_bad_timestamp(tmp_path: Path) -> None:
    errors = problems_of(tmp_path, "t.srt", GOOD_SRT.replace("00:00:02,600", "00:00:2,600"))
    assert len(errors) == 1 and "t.srt: line 6: not a cue timing line" in errors[0]


def test_check_reads_the_episode_transcript(
    tmp_path: Path, make_image: Callable, make_audio: Callable
) -> None:
    show = tmp_path / "show"
    runner = CliRunner()
    runner.invoke(cli, ["init", str(show)])
    make_image("show/feed/cover.jpg")
    audio = make_audio("raw/bolum.wav", "sine=f=440", 3.0)
    assert (
        runner.invoke(cli, ["-C", str(show), "new", "Bölüm", "--audio", str(audio)]).exit_code == 0
    )
    (show / "episodes" / "01-bolum.vtt").write_text("not a vtt\n", encoding="utf-8")
    result = runner.invoke(cli, ["-C", str(show), "check"])
    assert result.exit_code == 1, result.output
    assert "01-bolum.vtt: line 1: a WebVTT file must start" in result.output
