"""check: every mistake in one run — placeholders, language, target, numbers, chapters; init."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from podcast_pipe.cli import cli
from podcast_pipe.config import load_show
from podcast_pipe.scaffold import machine_language, machine_timezone
from podcast_pipe.show import guid_for_feed


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def new_episode(init_show: Callable, front: str) -> Path:
    """A fresh show with one 4-second episode whose front matter also has ``front``."""
    show = init_show("Bölüm", seconds=4.0)
    meta = show / "episodes" / "01-bolum.md"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace("draft: false", "draft: false" + front), encoding="utf-8")
    return meta


def test_chapters_past_the_built_audio_fail_check(
    init_show: Callable, make_audio: Callable
) -> None:
    chapters = (
        '\nchapters:\n  - {start: "00:00", title: "Giriş"}\n  - {start: "00:02", title: "Son"}'
    )
    meta = new_episode(init_show, chapters)
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


def test_soundbites_past_the_built_audio_fail_check(init_show: Callable) -> None:
    bites = "\nsoundbites:\n  - {start: 1, duration: 2.5, title: Dostluk}"
    meta = new_episode(init_show, bites)
    show = meta.parent.parent
    assert run("-C", str(show), "build")[0] == 0
    code, out = run("-C", str(show), "check")
    assert code == 0, out

    long = meta.read_text(encoding="utf-8").replace("duration: 2.5", "duration: 3.5")
    meta.write_text(long, encoding="utf-8")
    code, out = run("-C", str(show), "check")
    assert code == 1
    assert "01-bolum.md: soundbites[1]: soundbite 1 runs to 4.5 s" in out


@pytest.fixture
def workspace(init_show: Callable) -> Path:
    """A show from `init` with its placeholders filled, a cover and one episode: check passes."""
    show = init_show("Bölüm", seconds=1.0)
    code, out = run("-C", str(show), "check")
    assert code == 0, out
    return show


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def set_show(show: Path, key: str, value: str) -> None:
    """Replace ``key = …`` under [show] (or add it)."""
    config = show / "podcast.toml"
    lines = config.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith(f"{key} =")]
    lines.insert(lines.index("[show]") + 1, f"{key} = {value}")
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_publish(show: Path, text: str) -> None:
    config = show / "podcast.toml"
    kept = config.read_text(encoding="utf-8").partition("[publish]")[0]
    config.write_text(kept + "[publish]\n" + text, encoding="utf-8")


def errors_of(show: Path) -> list[str]:
    code, out = run("-C", str(show), "check")
    assert code == 1, out
    return [line for line in out.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("title", '"My Podcast"', "podcast.toml: show.title: still the template's 'My Podcast'"),
        ("author", '"Your name or organisation"', "podcast.toml: show.author: still the template"),
        (
            "owner",
            '{ name = "Ayşe", email = "you@example.org" }',
            "podcast.toml: show.owner.email: still the template's 'you@example.org'",
        ),
        ("owner", '{ name = "Your name", email = "a@b.org" }', "show.owner.name: still the"),
        (
            "language",
            '"English"',
            "podcast.toml: show.language: 'English' is not a BCP 47 language tag"
            " — did you mean `en`?",
        ),
        ("language", '"Türkçe"', "show.language: 'Türkçe' is not a BCP 47 language tag — did you mean `tr`?"),
        ("language", '"Klingonese-ish-x"', "show.language: 'Klingonese-ish-x' is not a BCP 47"),
        ("guid", '"83592e4d"', "podcast.toml: show.guid: '83592e4d' is not a UUID"),
    ],
)  # fmt: skip
def test_check_refuses_show_values(workspace: Path, key: str, value: str, expected: str) -> None:
    set_show(workspace, key, value)
    found = errors_of(workspace)
    assert any(expected in line for line in found), found


@pytest.mark.parametrize(
    ("publish", "expected"),
    [
        ('target = "s3://"\nbase_url = "https://cdn.example.org/"\n', "no bucket in the target"),
        (
            'target = "s3://My_Bucket!/podcast"\nbase_url = "https://cdn.example.org/"\n',
            "'My_Bucket!' is not a valid S3 bucket name",
        ),
        ('target = "s3://192.168.0.1/p"\nbase_url = "https://cdn.example.org/"\n', "IP address"),
        ('target = "ftp://host/x"\n', "publish.target: unsupported target 'ftp://host/x'"),
        ('target = "file://"\n', "publish.target: no folder in the target"),
        ('target = "s3://my-podcast/show"\n', "publish.base_url: is required for an s3:// target"),
    ],
)
def test_check_refuses_targets(workspace: Path, publish: str, expected: str) -> None:
    set_publish(workspace, publish)
    found = errors_of(workspace)
    assert any("podcast.toml: publish." in line and expected in line for line in found), found


def test_check_refuses_the_template_show_notes(workspace: Path, make_audio: Callable) -> None:
    audio = make_audio("raw/ikinci.wav", "sine=f=440", 1.0)
    run("-C", str(workspace), "new", "İkinci", "--audio", str(audio))
    [line] = errors_of(workspace)
    assert "episodes/02-ikinci.md: notes: the show notes are still the template's" in line


def test_every_problem_in_one_run(workspace: Path, make_audio: Callable) -> None:
    """A podcast.toml error, a duplicate number and chapters past the end, all at once."""
    make_audio("show/episodes/01-bolum.wav", "sine=f=440", 3.0)
    assert run("-C", str(workspace), "build")[0] == 0
    meta = workspace / "episodes" / "01-bolum.md"
    chapters = '\nchapters:\n  - {start: "00:00", title: "A"}\n  - {start: "00:09", title: "B"}'
    edit(meta, "draft: false", "draft: false" + chapters)
    twin = workspace / "episodes" / "01-ikiz.md"
    twin.write_text(meta.read_text(encoding="utf-8").split("chapters:")[0] + "---\nNotes.\n")
    (workspace / "episodes" / "01-ikiz.wav").write_bytes(b"RIFF")
    set_show(workspace, "language", '"English"')
    found = "\n".join(errors_of(workspace))
    assert "podcast.toml: show.language:" in found
    assert "01-ikiz.md: episode: episode 1 (season -) is also used by" in found
    assert "01-bolum.md: chapters[2].start: chapter 'B' starts at 9.0 s" in found


def test_published_show_without_a_pinned_guid_gets_the_line_to_add(workspace: Path) -> None:
    config = workspace / "podcast.toml"
    pinned = next(line for line in config.read_text().splitlines() if line.startswith("guid ="))
    edit(config, pinned + "\n", "")
    assert "show.guid" not in run("-C", str(workspace), "check")[1]  # not published yet
    (workspace / "feed" / "manifest.json").write_text('{"episodes": []}')
    code, out = run("-C", str(workspace), "check")
    assert code == 0  # a warning
    show = load_show(workspace)
    expected = f'add this line under [show]: guid = "{show.podcast_guid}"'
    assert "podcast.toml: show.guid: is not pinned" in out and expected in out


def test_init_pins_the_guid_and_takes_language_and_zone_from_the_machine(tmp_path: Path) -> None:
    env = {"LANG": "az_AZ.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "TZ": "Asia/Baku"}
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "a")], env=env)
    assert result.exit_code == 0, result.output
    first = load_show(tmp_path / "a")
    assert (first.language, first.timezone) == ("az", "Asia/Baku")
    run("init", str(tmp_path / "b"))
    second = load_show(tmp_path / "b")
    # a fresh uuid4 each: two new shows never share the local preview's podcast:guid
    assert first.guid and second.guid and first.guid != second.guid
    assert uuid.UUID(first.guid).version == 4
    url = "https://cdn.example.org/show/"
    run("init", str(tmp_path / "c"), "--base-url", url)
    third = load_show(tmp_path / "c")
    assert third.guid == guid_for_feed(url + "feed.xml") == third.podcast_guid
    assert third.publish.base_url == url
    template = (tmp_path / "c" / "podcast.toml").read_text(encoding="utf-8")
    assert "Giriş" not in template and "Istanbul" not in template


def test_machine_language_and_zone_fall_back_to_en_and_utc(tmp_path: Path) -> None:
    assert machine_language({"LANG": "C.UTF-8"}) == "en"
    assert machine_language({}) == "en"
    assert machine_language({"LC_ALL": "tr_TR.UTF-8", "LANG": "de_DE"}) == "tr"
    assert machine_timezone({}, etc=tmp_path) == "UTC"
    assert machine_timezone({"TZ": "Not/AZone"}, etc=tmp_path) == "UTC"
    (tmp_path / "localtime").symlink_to("/usr/share/zoneinfo/Europe/Istanbul")
    assert machine_timezone({}, etc=tmp_path) == "Europe/Istanbul"


def test_init_gitignore_covers_everything_generated(
    workspace: Path, make_audio: Callable, tmp_path: Path
) -> None:
    make_audio("show/episodes/01-bolum.wav", "sine=f=440", 2.0)
    assert run("-C", str(workspace), "publish")[0] == 0
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(workspace), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    untracked = sorted(line[3:] for line in listed.splitlines())
    assert untracked == [
        ".gitignore", "episodes/01-bolum.md", "episodes/01-bolum.wav", "feed/cover.jpg",
        "podcast.toml",
    ]  # fmt: skip
