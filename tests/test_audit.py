"""check opens every audio file: bad files fail by name, a second check decodes nothing, and
each warning is raised by a synthesized file and not by clean speech."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
import pytest
from click.testing import CliRunner

from podcast_pipe.audio import analyze as analyze_module
from podcast_pipe.audio.analyze import analyze
from podcast_pipe.audio.findings import audio_problems
from podcast_pipe.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture
def show(tmp_path: Path, make_image: Callable, make_audio: Callable) -> Callable[..., Path]:
    """A show with one episode whose audio is the given file: show(audio) → the show folder."""

    def make(audio: Path) -> Path:
        folder = tmp_path / "show"
        if not folder.exists():
            run("init", str(folder))
            make_image("show/feed/cover.jpg")
        code, out = run("-C", str(folder), "new", "Bölüm", "--audio", str(audio))
        assert code == 0, out
        return folder

    return make


def cut(path: Path, fraction: float = 0.5) -> Path:
    """Keep the first ``fraction`` of the file's bytes, as an interrupted copy does."""
    data = path.read_bytes()
    bad = path.with_name(f"cut-{path.name}")
    bad.write_bytes(data[: int(len(data) * fraction)])
    return bad


def encode(source: Path, name: str, *options: str) -> Path:
    out = source.with_name(name)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(source)]
    subprocess.run([*command, *options, str(out)], check=True, capture_output=True)
    return out


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("corrupt_random.wav", "random", "cannot read it as audio"),
        ("truncated_header.wav", "header", "cannot read it as audio"),
        ("text.mp3", "text", "cannot read it as audio"),
        ("silent.wav", "silent", "silent"),
        ("short.wav", "short", "too short"),
        ("cut.wav", "wav", "truncated"),
        ("cut.flac", "flac", "truncated"),
        ("cut.m4a", "m4a", "cannot read it as audio"),  # ffmpeg puts the moov atom last
        ("cut.opus", "opus", "truncated"),
        ("cut.mp3", "mp3", "truncated"),
    ],
)
def test_bad_audio_fails_check_by_name(
    tmp_path: Path, make_audio: Callable, show: Callable, name: str, kind: str, expected: str
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    if kind == "random":
        audio = raw / name
        audio.write_bytes(bytes(range(256)) * 200)
    elif kind == "header":
        audio = raw / name
        audio.write_bytes(make_audio("raw/good.wav", "sine=f=440", 3.0).read_bytes()[:30])
    elif kind == "text":
        audio = raw / name
        audio.write_text("this is an episode script, not audio\n" * 20, encoding="utf-8")
    elif kind == "silent":
        audio = make_audio(f"raw/{name}", "anullsrc=r=44100:cl=stereo", 3.0)
    elif kind == "short":
        audio = make_audio(f"raw/{name}", "sine=f=440", 0.5)
    else:
        wav = make_audio("raw/tone.wav", "sine=f=440", 8.0, "-ac", "2")
        audio = cut(wav if kind == "wav" else encode(wav, f"tone.{kind}"))
        audio = audio.rename(raw / name)
    folder = show(audio)
    code, out = run("-C", str(folder), "check")
    assert code == 1, out
    assert "Traceback" not in out
    error = next(line for line in out.splitlines() if line.startswith("error:"))
    assert "episodes/01-bolum" in error and expected in error, out
    assert not (folder / "build" / "01-bolum.mp3").exists()


def test_second_check_decodes_nothing(
    make_speech: Callable, show: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = show(make_speech("raw/speech.wav", 8.0, "-ac", "2"))
    code, out = run("-C", str(folder), "check")
    assert code == 0, out

    def no_decode(*args: object, **kwargs: object) -> None:
        raise AssertionError("ffmpeg ran on an unchanged file")

    monkeypatch.setattr(analyze_module, "FFmpeg", no_decode)
    monkeypatch.setattr(analyze_module, "sha256_file", no_decode)
    code, out = run("-C", str(folder), "check")
    assert code == 0, out
    assert "ok: 1 episode(s)" in out


def test_changed_audio_is_analysed_again(
    make_audio: Callable, make_speech: Callable, show: Callable
) -> None:
    folder = show(make_speech("raw/speech.wav", 8.0, "-ac", "2"))
    assert run("-C", str(folder), "check")[0] == 0
    make_audio("show/episodes/01-bolum.wav", "anullsrc=r=44100:cl=mono", 3.0)
    code, out = run("-C", str(folder), "check")
    assert code == 1 and "silent" in out


def test_intro_problems_join_the_others(make_speech: Callable, show: Callable) -> None:
    folder = show(make_speech("raw/speech.wav", 8.0))
    (folder / "intro.wav").write_bytes(b"RIFF0000WAVEnonsense" * 10)
    toml = folder / "podcast.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[audio]", '[audio]\nintro = "intro.wav"'), encoding="utf-8")
    if "[audio]" not in text:
        toml.write_text(text + '\n[audio]\nintro = "intro.wav"\n', encoding="utf-8")
    code, out = run("-C", str(folder), "check")
    assert code == 1
    assert "intro.wav: cannot read it as audio" in out


# --- warnings: each made by one synthesized file, none by clean speech --------------------------

WARNINGS = {
    "clicks": (["-af", "volume=0.5,aeval='val(0)+if(lt(mod(t,2),0.0005),1.5,0)'", "-ac", "2"],
               "clipped"),
    "hum": (["-af", "aeval='val(0)+0.01*sin(2*PI*60*t)'", "-ac", "2"], "60 Hz"),
    "silent_channel": (["-af", "pan=stereo|c0=c0|c1=0*c0"], "right channel is silent"),
    "inverted": (["-af", "pan=stereo|c0=c0|c1=-1*c0"], "out of phase"),
    "dual_mono": (["-ac", "2"], "dual mono published as mono"),
    "noise": (["-af", "aeval='val(0)+0.03*(random(0)-0.5)'", "-ac", "1"], "noise floor"),
    "dc": (["-af", "aeval='val(0)+0.05'", "-ac", "1"], "DC offset"),
    "leading_silence": (["-af", "adelay=30s:all=1", "-ac", "1"], "30 s of silence at the start"),
    "gap": (["-af", "aeval='val(0)*not(between(t,5,17))'", "-ac", "1"], "12 s of silence at 0:0"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_each_warning_has_its_file(tmp_path: Path, make_speech: Callable, case: str) -> None:
    options, expected = WARNINGS[case]
    seconds = 50.0 if case == "leading_silence" else 25.0
    path = make_speech(f"{case}.wav", seconds, *options)
    problems = audio_problems(analyze(path, tmp_path / "build"), path)
    assert not problems.errors
    texts = [str(w) for w in problems.warnings]
    assert any(expected in t for t in texts), texts
    assert all(t.startswith(f"{path}: ") or f"{case}.wav: " in t for t in texts)


def test_clean_speech_raises_no_warning(
    tmp_path: Path, make_audio: Callable, make_speech: Callable
) -> None:
    mono = make_speech("mono.wav", 25.0)
    decorrelated = "asplit[a][b];[b]adelay=7[c];[a][c]join=inputs=2"
    stereo = make_speech("stereo.wav", 25.0, "-af", decorrelated)
    for path in (mono, stereo):
        problems = audio_problems(analyze(path, tmp_path / "build"), path)
        assert not problems.errors and not problems.warnings, [str(w) for w in problems.warnings]


def test_dual_mono_published_as_stereo_is_fine(tmp_path: Path, make_speech: Callable) -> None:
    path = make_speech("dual.wav", 10.0, "-ac", "2")
    problems = audio_problems(analyze(path, tmp_path), path, channels_setting="2")
    assert not problems.warnings
