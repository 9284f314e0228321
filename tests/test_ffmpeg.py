"""ffmpeg discovery and the runner: overrides, progress, readable errors, timeouts."""

from __future__ import annotations

import os
import shutil
import subprocess

import imageio_ffmpeg
import pytest

from podcast_pipe import ffmpeg
from podcast_pipe.errors import FFmpegError


def test_default_is_the_bundled_binary(monkeypatch):
    monkeypatch.delenv(ffmpeg.ENV_VAR, raising=False)
    assert ffmpeg.find_ffmpeg() == imageio_ffmpeg.get_ffmpeg_exe()


def test_environment_then_argument_override(monkeypatch, tmp_path):
    copy = tmp_path / "my-ffmpeg"
    shutil.copy(imageio_ffmpeg.get_ffmpeg_exe(), copy)
    monkeypatch.setenv(ffmpeg.ENV_VAR, str(copy))
    assert ffmpeg.find_ffmpeg() == str(copy)
    assert ffmpeg.find_ffmpeg(imageio_ffmpeg.get_ffmpeg_exe()) == imageio_ffmpeg.get_ffmpeg_exe()


def test_a_broken_override_names_its_origin(monkeypatch, tmp_path):
    fake = tmp_path / "ffmpeg"
    fake.write_text("not a program")
    monkeypatch.setenv(ffmpeg.ENV_VAR, str(fake))
    with pytest.raises(FFmpegError) as caught:
        ffmpeg.find_ffmpeg()
    assert caught.value.field == ffmpeg.ENV_VAR
    assert "unset it" in caught.value.hint
    with pytest.raises(FFmpegError) as caught:
        ffmpeg.find_ffmpeg("no-such-ffmpeg-anywhere")
    assert caught.value.field == "[audio] ffmpeg"


def test_progress_and_decoded_length():
    seen: list[float] = []
    done = ffmpeg.run(["-f", "lavfi", "-i", "sine=d=4", "-f", "null", "-"], on_progress=seen.append)
    assert done.last_time == pytest.approx(4.0, abs=0.03)
    assert seen and seen == sorted(seen) and seen[-1] == pytest.approx(4.0, abs=0.03)


def test_errors_say_what_ffmpeg_said(tmp_path):
    missing = tmp_path / "yok.wav"
    with pytest.raises(FFmpegError) as caught:
        ffmpeg.run(["-i", missing, "-f", "null", "-"], subject=missing)
    assert caught.value.path == missing
    assert "No such file" in caught.value.message
    assert "[" not in caught.value.message  # the "[in#0 @ 0x…]" prefix is gone


def test_timeout_kills_the_process():
    with pytest.raises(FFmpegError, match="longer than"):
        ffmpeg.run(["-re", "-f", "lavfi", "-i", "sine=d=30", "-f", "null", "-"], timeout=0.5)


def test_parse_time():
    assert ffmpeg.parse_time(b"size=N/A time=01:02:03.45 bitrate=N/A") == 3723.45
    assert ffmpeg.parse_time(b"size=N/A time=N/A") is None


def _system_ffmpeg_51() -> str | None:
    path = shutil.which("ffmpeg")
    if not path or os.path.realpath(path) == os.path.realpath(imageio_ffmpeg.get_ffmpeg_exe()):
        return None
    version = subprocess.run([path, "-version"], capture_output=True, text=True).stdout
    return path if version.startswith("ffmpeg version 5.") else None


@pytest.mark.skipif(_system_ffmpeg_51() is None, reason="no ffmpeg 5.x on PATH")
def test_mastering_works_with_an_old_ffmpeg_override(make_audio, tmp_path):
    from podcast_pipe.audio.decode import Program, probe
    from podcast_pipe.audio.master import master
    from podcast_pipe.audio.meter import measure_file
    from podcast_pipe.config import AudioSettings

    exe = _system_ffmpeg_51()
    source = make_audio("old.flac", "aevalsrc=0.5*sin(2*PI*440*t)|0.3*sin(2*PI*660*t)", 3)
    out = tmp_path / "old.mp3"
    settings = AudioSettings(renditions=("mp3", "opus", "aac"))
    result = master(Program(probe(source, exe=exe)), settings, out, exe=exe)
    assert result.format.channels == 2
    for path in (out, out.with_suffix(".opus"), out.with_suffix(".m4a")):  # its tee and demuxers
        assert abs(measure_file(path).integrated + 16) <= 0.5, path
        assert measure_file(path).true_peak <= -1.0, path
