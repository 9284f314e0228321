"""check: chapter times against the audio's length, once a build has measured it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from podcast_pipe.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def new_episode(tmp_path: Path, make_image: Callable, make_audio: Callable, front: str) -> Path:
    """A fresh show with one 4-second episode whose front matter also has ``front``."""
    show = tmp_path / "show"
    run("init", str(show))
    make_image("show/feed/cover.jpg")
    audio = make_audio("raw/bolum.wav", "sine=f=440", 4.0)
    assert run("-C", str(show), "new", "Bölüm", "--audio", str(audio))[0] == 0
    meta = show / "episodes" / "01-bolum.md"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace("draft: false", "draft: false" + front), encoding="utf-8")
    return meta


def test_chapters_past_the_built_audio_fail_check(
    tmp_path: Path, make_image: Callable, make_audio: Callable
) -> None:
    chapters = (
        '\nchapters:\n  - {start: "00:00", title: "Giriş"}\n  - {start: "00:02", title: "Son"}'
    )
    meta = new_episode(tmp_path, make_image, make_audio, chapters)
    show = meta.parent.parent

    code, out = run("-C", str(show), "check")
    assert code == 0, out  # the audio's length is not known before a build
    code, out = run("-C", str(show), "build")
    assert code == 0, out
    assert run("-C", str(show), "check")[0] == 0

    late = meta.read_text(encoding="utf-8").replace('"00:02"', '"00:09"')
    meta.write_text(late, encoding="utf-8")
    code, out = run("-C", str(show), "check")
    assert code == 1
    assert "01-bolum.md: chapters[2].start: chapter 'Son' starts at 9.0 s" in out

    make_audio("show/episodes/01-bolum.wav", "sine=f=440", 12.0)  # new audio: length unknown
    assert run("-C", str(show), "check")[0] == 0


def test_soundbites_past_the_built_audio_fail_check(
    tmp_path: Path, make_image: Callable, make_audio: Callable
) -> None:
    bites = "\nsoundbites:\n  - {start: 1, duration: 2.5, title: Dostluk}"
    meta = new_episode(tmp_path, make_image, make_audio, bites)
    show = meta.parent.parent
    assert run("-C", str(show), "build")[0] == 0
    code, out = run("-C", str(show), "check")
    assert code == 0, out

    long = meta.read_text(encoding="utf-8").replace("duration: 2.5", "duration: 3.5")
    meta.write_text(long, encoding="utf-8")
    code, out = run("-C", str(show), "check")
    assert code == 1
    assert "01-bolum.md: soundbites[1]: soundbite 1 runs to 4.5 s" in out
