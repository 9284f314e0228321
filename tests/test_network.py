"""Masters as pure jobs on a Dask cluster: same bytes as this machine, shared caches, failures."""

from __future__ import annotations

import _thread
import contextlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from podcast_pipe.audio import process
from podcast_pipe.build import build_episodes, select_episodes
from podcast_pipe.build import job as build_job
from podcast_pipe.build.cache import open_cache
from podcast_pipe.build.executors import DaskExecutor, LocalExecutor, fan_out, open_executor
from podcast_pipe.build.job import Blob, MasterJob
from podcast_pipe.build.run import master_job
from podcast_pipe.cli import cli
from podcast_pipe.config import AudioSettings, inspect_show, load_show
from podcast_pipe.episodes import load_episodes
from podcast_pipe.errors import BuildError
from podcast_pipe.files import sha256_file

distributed = pytest.importorskip("distributed")

SAMPLE = Path(__file__).parents[1]
SPEECH = "anoisesrc=c=pink:a=0.05:r=44100:seed={seed},lowpass=f=7000,volume='pow(abs(sin(2*PI*2.5*t))\\,3)':eval=frame"


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes on 127.0.0.1; yields the scheduler's address."""
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        host="127.0.0.1",
    ) as local:
        yield local.scheduler_address


def dask_spec(address: str) -> str:
    return "dask://" + address.removeprefix("tcp://")


def sample_show(folder: Path) -> Path:
    """A copy of the sample show in this repository."""
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE / "podcast.toml", folder)
    for name in ("episodes", "feed"):
        shutil.copytree(SAMPLE / name, folder / name)
    return folder


def new_show(root: Path, make_audio, episodes: dict[str, str], cache: str | None = None) -> Path:
    """A workspace with ``episodes`` (slug → lavfi source), 4 s each; returns its root."""
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root), "--title", root.name]).exit_code == 0
    shutil.copy(SAMPLE / "feed/cover.jpg", root / "feed/cover.jpg")
    if cache:
        with (root / "podcast.toml").open("a", encoding="utf-8") as toml:
            toml.write(f'\n[build]\ncache = "{cache}"\n')
    for slug, source in episodes.items():
        make_audio(str(root / f"episodes/{slug}.flac"), source, 4)  # an absolute name
        (root / f"episodes/{slug}.md").write_text(
            f'---\ntitle: "{slug}"\ndate: 2026-01-12T16:03:00+03:00\n---\nNotlar.\n',
            encoding="utf-8",
        )
    return root


def build(root: Path, executor=None, **options):
    show = load_show(root)
    episodes = select_episodes(load_episodes(show), [])
    return build_episodes(show, episodes, executor=executor, **options)


def masters(root: Path) -> dict[str, str]:
    """The workspace's cached masters: name → sha256."""
    return {p.name: sha256_file(p) for p in sorted((root / "build/.cache").glob("*.mp3"))}


def outputs(root: Path) -> dict[str, str]:
    """The tagged MP3s: name → sha256."""
    return {p.name: sha256_file(p) for p in sorted((root / "build").glob("*.mp3"))}


def test_the_sample_show_on_a_cluster_is_byte_identical_to_a_local_build(cluster, tmp_path):
    local_root = sample_show(tmp_path / "here")
    remote_root = sample_show(tmp_path / "elsewhere" / "show")
    local = build(local_root, LocalExecutor(2))
    with contextlib.closing(DaskExecutor(cluster)) as executor:
        remote = build(remote_root, executor)
    assert {r.action for r in local} == {r.action for r in remote} == {"encoded"}
    assert len(local) == 4
    # Two folders, two processes (a worker's and this one): the same keys and the same bytes.
    assert [r.cache_key for r in local] == [r.cache_key for r in remote]
    assert masters(local_root) == masters(remote_root) and len(masters(local_root)) == 4
    assert outputs(local_root) == outputs(remote_root)


def test_a_job_key_holds_its_inputs_and_no_path(tmp_path, make_audio):
    here = new_show(tmp_path / "a", make_audio, {"bir": SPEECH.format(seed=1)})
    there = new_show(tmp_path / "b", make_audio, {"bir": SPEECH.format(seed=1)})
    jobs = []
    for root in (here, there):
        show = load_show(root)
        [episode] = load_episodes(show).episodes
        jobs.append(master_job(show, episode, None)[0])
    assert jobs[0].source.path != jobs[1].source.path
    assert jobs[0].key() == jobs[1].key()
    assert "/" not in json.dumps(jobs[0].settings.mastering())


def test_a_chain_step_version_moves_the_keys_of_the_shows_using_that_step(monkeypatch):
    def key(*steps: str) -> str:
        settings = AudioSettings(process=steps)
        return MasterJob("ep", Blob("0" * 64, "/audio/ep.wav"), None, None, settings).key()

    before = {steps: key(*steps) for steps in ((), ("highpass",), ("highpass", "denoise"))}
    monkeypatch.setitem(process.STEP_VERSIONS, "denoise", process.STEP_VERSIONS["denoise"] + 1)
    assert key() == before[()] and key("highpass") == before[("highpass",)]
    assert key("highpass", "denoise") != before[("highpass", "denoise")]


def test_a_network_of_three_shows_builds_all_but_the_broken_episode(cluster, tmp_path, make_audio):
    shows = tmp_path / "shows"
    for n, name in enumerate(("ege", "hazar", "marmara")):
        episodes = {f"{name}-{i}": SPEECH.format(seed=10 * n + i) for i in (1, 2)}
        if name == "hazar":
            episodes["sessiz"] = "anullsrc=r=44100:cl=mono"  # silence: cannot be mastered
        new_show(shows / name, make_audio, episodes)
    (tmp_path / "network.toml").write_text('shows = ["shows/ege", "shows/hazar", "shows/marmara"]')
    runner = CliRunner()
    spec = dask_spec(cluster)
    result = runner.invoke(
        cli, ["network", "build", str(tmp_path / "network.toml"), "--executor", spec]
    )
    assert result.exit_code == 1, result.output
    assert "failed: hazar/sessiz" in result.output
    assert "[7/7]" in result.output  # one view over every show's episodes, the failure included
    for name in ("ege", "hazar", "marmara"):
        assert f"{name}: 2 encoded, 0 re-tagged, 0 up to date" in result.output
        report = json.loads((shows / name / "build/report.json").read_text())
        assert sorted(e["slug"] for e in report["episodes"]) == [f"{name}-1", f"{name}-2"]
        for entry in report["episodes"]:
            master = entry["master"]  # a mono episode's target is loudness_mono
            assert abs(master["output"]["integrated"] - master["target"]) <= 0.5
    again = runner.invoke(cli, ["network", "build", str(shows / "ege"), str(shows / "marmara"),
                                "--executor", spec])  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "ege: 0 encoded, 0 re-tagged, 2 up to date" in again.output


def _stall_first_master(marker: str) -> None:
    """In a worker: the first master made anywhere (the marker is shared) waits to be killed."""
    real = build_job.master

    def master(program, settings, out, **options):
        result = real(program, settings, out, **options)
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return result
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        time.sleep(120)  # killed here: mastered in its scratch folder, not yet in the cache
        return result

    build_job.master = master


def test_a_killed_workers_job_runs_again_with_the_same_result(cluster, tmp_path, make_audio):
    root = new_show(tmp_path / "show", make_audio, {"bir": SPEECH.format(seed=7)})
    reference = new_show(tmp_path / "copy" / "show", make_audio, {"bir": SPEECH.format(seed=7)})
    build(reference, LocalExecutor(1))
    marker = tmp_path / "stalled.pid"
    with contextlib.closing(DaskExecutor(cluster)) as executor:
        executor.client.run(_stall_first_master, str(marker))
        records: list = []
        thread = threading.Thread(target=lambda: records.extend(build(root, executor)))
        thread.start()
        for _ in range(600):
            if marker.is_file() and marker.read_text():
                break
            time.sleep(0.1)
        else:
            pytest.fail("no worker started the job")
        assert list((root / "build/.cache").glob("*.mp3")) == []  # still in the worker's scratch
        os.kill(int(marker.read_text()), signal.SIGKILL)
        thread.join(timeout=300)
    [record] = records
    assert record.action == "encoded"
    assert masters(root) == masters(reference) and outputs(root) == outputs(reference)
    assert [p for p in (root / "build").rglob("*") if p.name.endswith(".part")] == []


def test_an_s3_cache_is_shared_by_two_workspaces(s3, tmp_path, make_audio, monkeypatch):
    cache = f"s3://{s3.bucket}/cache"
    first = new_show(tmp_path / "first", make_audio, {"bir": SPEECH.format(seed=5)}, cache)
    second = new_show(tmp_path / "second", make_audio, {"bir": SPEECH.format(seed=5)}, cache)
    [made] = build(first, LocalExecutor(1))
    assert made.action == "encoded"
    stored = s3.objects("cache/")
    assert sorted(stored) == [f"cache/masters/{made.cache_key}.json",
                              f"cache/masters/{made.cache_key}.mp3"]  # fmt: skip

    def no_mastering(*args, **kwargs):
        raise AssertionError("mastered again")

    monkeypatch.setattr(build_job, "master", no_mastering)
    [fetched] = build(second, LocalExecutor(1))
    assert fetched.action == "fetched" and fetched.cache_key == made.cache_key
    assert masters(first) == masters(second)
    assert s3.objects("cache/").keys() == stored.keys()  # nothing was added


def test_a_master_in_a_folder_cache_is_complete_or_absent(tmp_path, make_audio, monkeypatch):
    cache = tmp_path / "shared"
    root = new_show(tmp_path / "show", make_audio, {"bir": SPEECH.format(seed=6)},
                     f"file://{cache}")  # fmt: skip

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_job, "master", killed)
    with pytest.raises(KeyboardInterrupt):
        build(root, LocalExecutor(1))
    assert not cache.exists() or [p for p in cache.rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    [record] = build(root, LocalExecutor(1))
    assert sorted(p.name for p in (cache / "masters").iterdir()) == [
        f"{record.cache_key}.json",
        f"{record.cache_key}.mp3",
    ]


class Recording(LocalExecutor):
    """A local executor that records being cancelled."""

    def __init__(self, jobs: int) -> None:
        super().__init__(jobs)
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()


def test_ctrl_c_cancels_the_jobs_not_yet_done():
    executor = Recording(1)
    started = []

    def work(n: int) -> int:
        started.append(n)
        if n == 2:
            _thread.interrupt_main()  # Ctrl-C, while the main thread waits for the results
            assert executor.cancelled.wait(timeout=60)
        return n

    with pytest.raises(KeyboardInterrupt):
        fan_out(executor, work, range(10))
    assert executor.cancelled.is_set() and started == [0, 1, 2]


def test_the_dask_executor_without_dask_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(BuildError, match=r"pip install 'podcast-pipe\[network\]'"):
        open_executor("dask://127.0.0.1:8786")
    with pytest.raises(BuildError, match="dask://HOST:PORT"):
        open_executor("ray://127.0.0.1:1")


def test_a_worker_that_cannot_see_the_source_reads_the_caches_copy(s3, tmp_path, make_audio):
    wav = make_audio("elsewhere/bir.wav", SPEECH.format(seed=8), 1)
    cache = open_cache(f"s3://{s3.bucket}/cache")
    blob = Blob(sha256_file(wav), str(wav))
    cache.share(blob)
    cache.share(blob)  # once per content
    assert list(s3.objects("cache/sources/")) == [f"cache/sources/{blob.sha256}"]
    wav.unlink()  # as on a worker without this machine's files
    (tmp_path / "scratch").mkdir()
    copy = cache.local(blob, tmp_path / "scratch")
    assert sha256_file(copy) == blob.sha256
    with pytest.raises(BuildError, match="no copy"):
        cache.local(Blob("0" * 64, str(wav)), tmp_path / "scratch")
    assert pickle.loads(pickle.dumps(cache)).url == cache.url  # a worker reopens it by URL


def test_build_cache_setting_is_validated(tmp_path, make_audio):
    root = new_show(tmp_path / "show", make_audio, {}, "ftp://host/cache")
    show, problems = inspect_show(root)
    assert any("build.cache" in str(e) for e in problems.errors)  # refused, naming the field
    assert "s3://bucket/cache" in str(problems.errors[0])


FAULTS = """
import resource, sys
import numpy as np
from podcast_pipe.build.executors import heap_for_blocks
if sys.argv[1] == "tuned":
    heap_for_blocks()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):  # the mastering stream's 512 KiB blocks, made and dropped
    np.ones(65536 * 2, np.float32).sum()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_nanny_malloc_setting_no_longer_maps_every_block() -> None:
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_: a worker's blocks would be mapped and faulted
    in page by page (128 faults each); heap_for_blocks keeps them on the heap."""
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    faults = {
        mode: int(
            subprocess.run(
                [sys.executable, "-c", FAULTS, mode],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )  # fmt: skip
        for mode in ("tuned", "as started")
    }
    assert faults["as started"] > 200 * 100
    assert faults["tuned"] < faults["as started"] / 20
