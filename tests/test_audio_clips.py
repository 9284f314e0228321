"""Intro/outro clips: trimmed of their silence, refused when long or silent, never via ffprobe."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import wave

import imageio_ffmpeg
import numpy as np
import pytest

from podcast_pipe.audio import clips
from podcast_pipe.audio.clips import KEEP_MS, prepare_clip
from podcast_pipe.build import build_episodes
from podcast_pipe.config import AudioSettings
from podcast_pipe.episodes import Chapter
from podcast_pipe.errors import AudioError

EXE = imageio_ffmpeg.get_ffmpeg_exe()
# 1 s of silence, 1.5 s of a 440 Hz tone at 0.3 (-13.5 dBFS RMS), 2 s of silence.
JINGLE = "aevalsrc=if(between(t\\,1\\,2.5)\\,0.3*sin(2*PI*440*t)\\,0):s=44100"
TONE_S = 1.5
TRIMMED_S = TONE_S + 2 * KEEP_MS / 1000


@pytest.fixture
def no_ffprobe(tmp_path, monkeypatch):
    """PATH holds only an ffprobe that records being called (and fails): pydub must not run it."""
    folder = tmp_path / "path"
    folder.mkdir()
    marker = tmp_path / "ffprobe-was-called"
    fake = folder / "ffprobe"
    fake.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(folder))
    yield
    assert not marker.exists(), "ffprobe was called"


def rms_dbfs(wav_path):
    with wave.open(str(wav_path), "rb") as wav:
        assert wav.getsampwidth() == 2
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2") / 32768
    return 20 * np.log10(np.sqrt(np.mean(samples**2)))


def test_leading_and_trailing_silence_is_trimmed_and_cached(make_audio, tmp_path, monkeypatch):
    source = make_audio("intro.wav", JINGLE, 4.5)
    cache = tmp_path / "cache"
    wav, seconds = prepare_clip(source, cache, exe=EXE, threshold_db=-50)
    assert seconds == pytest.approx(TRIMMED_S, abs=0.011)
    with wave.open(str(wav), "rb") as header:
        assert header.getnframes() / header.getframerate() == pytest.approx(seconds)
    assert wav.parent == cache and [p.name for p in cache.iterdir()] == [wav.name]

    def no_decoding(*args):
        raise AssertionError("decoded again")

    monkeypatch.setattr(clips, "_decode", no_decoding)
    assert prepare_clip(source, cache, exe=EXE, threshold_db=-50) == (wav, seconds)
    with pytest.raises(AssertionError, match="decoded again"):
        prepare_clip(source, cache, exe=EXE, threshold_db=-60)  # another threshold, another WAV


def test_a_three_minute_clip_is_refused(make_audio, tmp_path):
    source = make_audio("talk.flac", "anoisesrc=a=0.1:r=8000", 180)
    with pytest.raises(AudioError) as refused:
        prepare_clip(source, tmp_path / "cache", exe=EXE, threshold_db=-50)
    assert refused.value.path == source
    assert "180 s" in refused.value.message and "short clip" in refused.value.hint
    assert not (tmp_path / "cache").exists()


def test_a_silent_clip_is_refused(make_audio, tmp_path):
    source = make_audio("silence.wav", "anullsrc=r=44100:cl=mono", 2)
    with pytest.raises(AudioError, match="silent") as refused:
        prepare_clip(source, tmp_path / "cache", exe=EXE, threshold_db=-50)
    assert refused.value.path == source


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("intro.wav", ()),
        ("float.wav", ("-c:a", "pcm_f32le")),  # written as WAVE_FORMAT_EXTENSIBLE
        ("intro.flac", ()),
        ("intro.mp3", ()),
        ("intro.ogg", ()),
        ("intro.opus", ()),
        ("intro.m4a", ()),
    ],
)
def test_every_clip_format_decodes_without_ffprobe(make_audio, tmp_path, no_ffprobe, name, options):
    source = make_audio(name, JINGLE, 4.5, *options)
    wav, seconds = prepare_clip(source, tmp_path / "cache", exe=EXE, threshold_db=-50)
    assert seconds == pytest.approx(TRIMMED_S, abs=0.05)
    assert rms_dbfs(wav) == pytest.approx(-13.6, abs=0.5)


def test_build_offsets_chapters_by_the_trimmed_intro(
    make_show, make_image, make_audio, make_episode, no_ffprobe
):
    make_image("feed/cover.jpg")
    intro = make_audio("assets/intro.wav", JINGLE, 4.5)
    show = make_show(audio=AudioSettings(intro=intro, crossfade_ms=500))
    audio = make_audio("episodes/bolum-1.wav", "sine=f=500", 4)
    chapters = (Chapter(0.0, "Giriş"), Chapter(2.0, "Konu"))
    episode = make_episode("bolum-1", audio_path=audio, chapters=chapters)
    [record] = build_episodes(show, [episode])
    offset = TRIMMED_S - 0.5  # the trimmed intro, overlapped by the crossfade
    assert record.intro_s == pytest.approx(offset, abs=0.011)
    assert record.duration_s == pytest.approx(offset + 4, abs=0.05)
    data = json.loads((show.build_dir / "bolum-1.chapters.json").read_text())
    starts = [c["startTime"] for c in data["chapters"]]
    assert starts == pytest.approx([offset, offset + 2], abs=0.011)


def test_pydub_is_imported_without_warnings(tmp_path):
    """pydub warns on import when ffmpeg is not on PATH (and about audioop): users must not see it."""
    code = "from podcast_pipe.audio import clips"
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        env={"PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr


def test_a_clip_ffmpeg_cannot_decode_is_an_audio_error(make_audio, tmp_path):
    """An ffmpeg that reads the header (``-i``) but fails to decode, as on a damaged file."""
    source = make_audio("intro.mp3", JINGLE, 4.5)
    failing = tmp_path / "ffmpeg"
    failing.write_text(
        '#!/bin/sh\ncase "$*" in *-acodec*) echo "Invalid data found" >&2; exit 1;; esac\n'
        f'exec "{EXE}" "$@"\n'
    )
    failing.chmod(failing.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(AudioError, match="Invalid data found") as refused:
        prepare_clip(source, tmp_path / "cache", exe=str(failing), threshold_db=-50)
    assert refused.value.path == source
