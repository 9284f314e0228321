"""The CLI as a producer uses it: init → new → check → status, exit codes, messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from podcast_pipe.cli import cli


def run(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_init_new_check_round_trip(
    tmp_path: Path, make_image: Callable[..., Path], make_audio: Callable[..., Path]
) -> None:
    show = tmp_path / "show"
    code, out = run("init", str(show), "--title", "İzmir–Bakü")
    assert code == 0 and "created" in out
    assert 'title = "İzmir–Bakü"' in (show / "podcast.toml").read_text(encoding="utf-8")
    assert (show / ".gitignore").read_text().startswith("build/")

    code, out = run("init", str(show))
    assert code == 1 and "a show already lives here" in out

    audio = make_audio("kayıt.wav", "sine=f=440", 2.0)  # check decodes it
    code, out = run("-C", str(show), "new", "Bölüm 1: Giriş", "--audio", str(audio))
    assert code == 0, out
    assert (show / "episodes" / "01-bolum-1-giris.md").is_file()
    assert (show / "episodes" / "01-bolum-1-giris.wav").read_bytes() == audio.read_bytes()
    assert audio.exists()  # copied, never moved

    code, out = run("-C", str(show), "new", "İkinci bölüm")
    assert code == 0 and "is a draft until you add" in out
    text = (show / "episodes" / "02-ikinci-bolum.md").read_text(encoding="utf-8")
    assert "episode: 2" in text and "draft: true" in text and "guid: " in text

    code, out = run("-C", str(show), "check")
    assert code == 1 and "feed/cover.jpg: show.image: file not found" in out

    make_image("show/feed/cover.jpg", size=1400)
    code, out = run("-C", str(show), "check")
    assert code == 0, out
    assert "ok: 2 episode(s), 0 pending." in out
    assert "warning:" in out and "draft has no audio file" in out

    code, out = run("-C", str(show), "status")
    assert code == 0
    assert "bolum-1-giris" in out and "draft" in out


def test_new_gives_pending_audio_its_metadata(tmp_path: Path, make_image: Callable) -> None:
    show = tmp_path / "show"
    run("init", str(show))
    make_image("show/feed/cover.jpg")
    (show / "episodes" / "ham kayıt.flac").write_bytes(b"fLaC")
    code, out = run("-C", str(show), "check")
    assert code == 0 and 'run `podcast-pipe new "Title" --audio' in out and "1 pending" in out
    code, _ = run(
        "-C", str(show), "new", "Ham", "--audio", str(show / "episodes" / "ham kayıt.flac")
    )
    assert code == 0
    assert (show / "episodes" / "ham kayıt.md").is_file()
    assert sorted(p.name for p in (show / "episodes").iterdir()) == [
        "ham kayıt.flac",
        "ham kayıt.md",
    ]


def test_check_lists_every_problem_and_exits_1(tmp_path: Path, make_image: Callable) -> None:
    show = tmp_path / "show"
    run("init", str(show))
    make_image("show/feed/cover.jpg")
    (show / "episodes" / "bad.md").write_text("---\ntittle: x\ndate: 2026-01-01\n---\n")
    code, out = run("-C", str(show), "check")
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, out  # unknown key, no audio, no title, date without zone
    assert all("bad.md" in line for line in errors)
    assert "Traceback" not in out


def test_no_show_here_is_a_one_line_error(tmp_path: Path) -> None:
    code, out = run("-C", str(tmp_path), "check")
    assert code == 1
    assert out.strip().count("\n") == 0 and "podcast-pipe init" in out


def test_usage_errors_exit_2() -> None:
    code, _ = run("no-such-command")
    assert code == 2


def test_console_script_runs_as_a_real_process(tmp_path: Path, make_image: Callable) -> None:
    exe = shutil.which("podcast-pipe", path=os.path.dirname(sys.executable))
    assert exe, "the package is not installed with its console script (make install)"
    subprocess.run([exe, "init", str(tmp_path / "s")], check=True, capture_output=True)
    make_image("s/feed/cover.jpg")
    done = subprocess.run([exe, "-C", str(tmp_path / "s"), "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "ok: 0 episode(s)" in done.stdout
    assert (
        subprocess.run([exe, "--help"], capture_output=True, text=True).stdout.count("check") >= 1
    )
