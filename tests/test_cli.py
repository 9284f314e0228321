"""The CLI as a producer uses it: init → new → check → status, exit codes, messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import fill_template
from podcast_pipe.audio.meter import measure_file
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
    assert "/build/\n" in (show / ".gitignore").read_text()

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
    fill_template(show)
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
    fill_template(show)
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
    fill_template(show)
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
    fill_template(tmp_path / "s")
    done = subprocess.run([exe, "-C", str(tmp_path / "s"), "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "ok: 0 episode(s)" in done.stdout
    assert (
        subprocess.run([exe, "--help"], capture_output=True, text=True).stdout.count("check") >= 1
    )


def snapshot(root: Path) -> dict[str, int]:
    """Every file under root with its mtime: any write shows."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_dry_run_writes_nothing_anywhere(tmp_path: Path, init_show: Callable) -> None:
    show = init_show("Bir")
    before = snapshot(tmp_path)
    code, out = run("-C", str(show), "publish", "--dry-run")
    assert code == 0, out
    assert "feed gains: 01-bir once it is mastered (not built yet" in out
    assert "dry run: nothing was changed" in out
    assert snapshot(tmp_path) == before  # not even build/

    assert run("-C", str(show), "publish")[0] == 0
    config = show / "podcast.toml"
    config.write_text(config.read_text().replace("[audio]", "[audio]\nid3_version = 4"))
    before = snapshot(tmp_path)
    code, out = run("-C", str(show), "publish", "--dry-run")
    assert code == 0 and "would re-tag 01-bir first" in out
    assert "would master" not in out
    assert snapshot(tmp_path) == before


def test_ctrl_c_exits_130_not_1(
    tmp_path: Path, make_image: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    import podcast_pipe.cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(podcast_pipe.cli, "build_episodes", interrupted)
    show = tmp_path / "show"
    run("init", str(show))
    result = CliRunner().invoke(cli, ["-C", str(show), "build"])
    assert result.exit_code == 130 and "interrupted" in result.output


def test_new_gives_loose_bundle_audio_its_episode_md(
    tmp_path: Path, make_image: Callable, make_audio: Callable
) -> None:
    show = tmp_path / "show"
    run("init", str(show))
    fill_template(show)
    make_image("show/feed/cover.jpg")
    bundle = show / "episodes" / "03-sahil"
    make_audio("show/episodes/03-sahil/kayıt.flac", "sine=f=440", 1.0)
    code, out = run("-C", str(show), "check")
    suggested = out.split("run `podcast-pipe new ")[1].split("`")[0]
    assert "03-sahil/kayıt.flac" in suggested
    audio = suggested.split("--audio ")[1].strip('"')
    code, out = run("-C", str(show), "new", "Sahil", "--audio", str(Path.cwd() / audio))
    assert code == 0, out
    assert sorted(p.name for p in bundle.iterdir()) == ["episode.md", "kayıt.flac"]
    assert sorted(p.name for p in (show / "episodes").iterdir()) == ["03-sahil"]
    fill_template(show)
    code, out = run("-C", str(show), "check")
    assert code == 0 and "0 pending" in out, out


def test_ctrl_c_during_a_real_build_leaves_no_temporary_files(
    init_show: Callable, make_audio: Callable
) -> None:
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it (ffmpeg included)."""
    import signal

    import podcast_pipe

    show = init_show("Uzun", seconds=0.5)
    make_audio("show/episodes/01-uzun.wav", "anoisesrc=c=pink:a=0.1", 60.0)  # long enough
    env = {**os.environ, "PYTHONPATH": str(Path(podcast_pipe.__file__).parents[1])}
    code = "from podcast_pipe.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", code, "-C", str(show), "build"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    assert "mastering" in process.stderr.readline().decode()
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    left = [p.name for p in show.rglob("*") if p.name.endswith(".part") or ".new." in p.name]
    assert left == []
    # A signal between two ffmpeg runs lets the worker finish: then the MP3 is whole, never cut.
    if (show / "build" / "01-uzun.mp3").exists():
        assert abs(measure_file(show / "build" / "01-uzun.mp3").duration_s - 60.0) < 0.2
