"""status: what is live on the configured target, broken episodes with their problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import S3Env
from podcast_pipe.cli import cli


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    return result.exit_code, result.output


def states(output: str) -> dict[str, str]:
    """slug → state column of the status table."""
    rows = [line.split("  ") for line in output.splitlines()[3:]]
    return {cells[0]: [c.strip() for c in cells if c.strip()][-1] for cells in rows if cells[0]}


def set_publish(root: Path, text: str) -> None:
    config = root / "podcast.toml"
    kept = config.read_text(encoding="utf-8").partition("[publish]")[0]
    config.write_text(kept + "[publish]\n" + text, encoding="utf-8")


@pytest.fixture
def show(init_show: Callable) -> Path:
    """A show from `init` with one 1.5 s episode, built but not published."""
    root = init_show("Bir")
    assert run(root, "build")[0] == 0
    return root


def test_status_reads_the_configured_folder_target(show: Path) -> None:
    code, out = run(show, "status")
    assert code == 0 and states(out) == {"01-bir": "built"}
    assert run(show, "publish")[0] == 0
    code, out = run(show, "status")
    assert code == 0 and "target: file://public" in out
    assert states(out) == {"01-bir": "published"}

    set_publish(show, 'target = "file://elsewhere"\n')  # a new target: nothing is live there
    code, out = run(show, "status")
    assert code == 0 and states(out) == {"01-bir": "built"}


def test_broken_episodes_appear_with_their_problem_and_exit_1(show: Path) -> None:
    bundle = show / "episodes" / "02-iki"
    bundle.mkdir()
    (bundle / "episode.md").write_text('---\ntitle: "İki"\ndate: 2026-01-02\n---\nNotes.\n')
    code, out = run(show, "status")
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("02-iki"))
    assert "episodes/02-iki/episode.md" in row and "problem: " in row and "more" in row
    assert states(out)["01-bir"] == "built"  # the others still listed


def test_status_lists_retired_objects(show: Path) -> None:
    assert run(show, "publish")[0] == 0
    manifest = show / "public" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["retired"] = {"episodes/01-bir-0123abcd.mp3": "2026-11-20T10:00:00+00:00"}
    manifest.write_text(json.dumps(data))
    code, out = run(show, "status")
    assert code == 0 and states(out.split("\n\n")[0]) == {"01-bir": "published"}
    retired = out.split("out of the feed, deleted by a later publish:")[1]
    assert "episodes/01-bir-0123abcd.mp3" in retired and "left 2026-11-20 10:00 UTC" in retired
    assert "deleted from 2026-11-27 10:00" in retired  # keep_old: 7 days by default


def test_status_reads_an_s3_target(show: Path, s3: S3Env) -> None:
    set_publish(show, f'target = "s3://{s3.bucket}/show"\nbase_url = "https://cdn.example.org/"\n')
    code, out = run(show, "status")
    assert code == 0 and states(out) == {"01-bir": "built"}
    assert run(show, "publish")[0] == 0
    code, out = run(show, "status")
    assert code == 0 and states(out) == {"01-bir": "published"}
    assert f"target: s3://{s3.bucket}/show" in out
    s3.client.delete_object(Bucket=s3.bucket, Key="show/manifest.json")
    code, out = run(show, "status")  # the local copy is not what is live
    assert states(out) == {"01-bir": "built"}
