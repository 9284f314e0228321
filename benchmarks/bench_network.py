"""A back catalogue on Dask against the local pool: wall time ratio, throughput, a projection.

Generates ``--episodes`` distinct speech-like mono FLACs of ``--minutes`` each under
benchmarks/.work/network/ (reused between runs), then, in the same run, masters them all
(``--force``, so every master is made) both ways, ``--repeat`` times alternated (the best
time of each counts):

- with the local executor (``--jobs`` = the cores), the default ``podcast-pipe build``;
- on a Dask ``LocalCluster`` of ``--workers`` single-threaded worker processes (started before
  the clock starts: a real cluster is already running), through the same ``build_episodes``.
  The cluster idles while the local pool runs.

Prints the wall times, their ratio (the engine's overhead), the throughput in audio hours per
core-hour, the measured cost per episode, and what that projects for a 5,000-episode back
catalogue on N worker cores (mastering only: see benchmarks/README.md for where the limit moves).

    python benchmarks/bench_network.py [--episodes 20] [--minutes 10] [--workers 2] [--repeat 1]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from PIL import Image

from podcast_pipe.build import build_episodes, select_episodes
from podcast_pipe.build.executors import DaskExecutor, LocalExecutor
from podcast_pipe.config import load_show
from podcast_pipe.episodes import load_episodes
from podcast_pipe.ffmpeg import find_ffmpeg

WORK = Path(__file__).resolve().parent / ".work" / "network"
# Pink noise shaped into ~2.7 syllables a second with a 1.5 s pause every 7 s, over room tone.
SPEECH = (
    "anoisesrc=c=pink:r=44100:a=0.25:seed={seed}:d={seconds},lowpass=f=7000,"
    "volume='0.01+pow(abs(sin(2*PI*2.7*t))\\,3)*lt(mod(t\\,7)\\,5.5)':eval=frame"
)
SHOW = '[show]\ntitle = "Network bench"\ndescription = "Bench"\nauthor = "Bench"\nlanguage = "tr"\n'
EPISODE = '---\ntitle: "Bench {n}"\ndate: 2026-01-12T16:03:00+03:00\n---\nBench.\n'
CATALOGUE = 5000
PROJECTED_CORES = (2, 16, 64, 256)


def sources(episodes: int, minutes: int) -> list[Path]:
    """One distinct FLAC per episode (distinct seeds: the cache must not dedupe them)."""
    folder = WORK / "audio"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(episodes):
        path = folder / f"speech-{minutes}min-{n:03}.flac"
        if not path.is_file():
            temp = path.with_name(f".{path.name}.part.flac")
            graph = SPEECH.format(seed=n + 1, seconds=minutes * 60)
            command = [find_ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", graph, str(temp)]
            subprocess.run(command, check=True)
            temp.rename(path)
        paths.append(path)
    return paths


def workspace(name: str, audio: list[Path]) -> Path:
    """A fresh show whose episodes link to the shared FLACs."""
    root = WORK / name
    shutil.rmtree(root, ignore_errors=True)
    (root / "episodes").mkdir(parents=True)
    (root / "feed").mkdir()
    Image.new("RGB", (1400, 1400), (30, 90, 120)).save(root / "feed/cover.jpg", quality=70)
    (root / "podcast.toml").write_text(SHOW, encoding="utf-8")
    for n, path in enumerate(audio):
        (root / f"episodes/e{n:03}.flac").symlink_to(path)
        (root / f"episodes/e{n:03}.md").write_text(EPISODE.format(n=n), encoding="utf-8")
    return root


def timed_build(root: Path, executor) -> float:
    show = load_show(root)
    episodes = select_episodes(load_episodes(show), [])
    started = time.perf_counter()
    records = build_episodes(show, episodes, force=True, executor=executor)
    wall = time.perf_counter() - started
    assert all(r.action == "encoded" for r in records), [r.action for r in records]
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="alternated runs; the best counts")
    args = parser.parse_args()
    from distributed import LocalCluster

    cores = os.cpu_count() or 1
    audio = sources(args.episodes, args.minutes)
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1")  # fmt: skip
    local_runs, dask_runs = [], []
    with cluster, contextlib.closing(DaskExecutor(cluster.scheduler_address)) as executor:
        for _ in range(args.repeat):  # alternated, so a busy spell of the machine hits both
            local_runs.append(timed_build(workspace("local", audio), LocalExecutor(cores)))
            dask_runs.append(timed_build(workspace("dask", audio), executor))
    local_s, dask_s = min(local_runs), min(dask_runs)
    audio_h = args.episodes * args.minutes / 60
    worker_cores = min(args.workers, cores)
    per_episode = dask_s * worker_cores / args.episodes  # core-seconds per episode
    print(
        f"{args.episodes} episodes × {args.minutes:g} min = {audio_h:.2f} audio hours, {cores} cores"
    )
    print(f"local pool ({cores} jobs):     {local_s:8.1f} s")
    print(f"dask ({args.workers} workers × 1 thread): {dask_s:8.1f} s")
    print(f"dask / local:               {dask_s / local_s:8.2f}×")
    print(
        f"throughput (local):         {audio_h / (local_s / 3600 * cores):8.1f} audio h per core-hour"
    )
    print(
        f"throughput (dask):          {audio_h / (dask_s / 3600 * worker_cores):8.1f} audio h per core-hour"
    )
    print(f"cost per {args.minutes:g}-min episode:   {per_episode:8.1f} core-seconds")
    for n in PROJECTED_CORES:
        hours = CATALOGUE * per_episode / n / 3600
        print(
            f"projection: {CATALOGUE} episodes on {n:3} worker cores: {hours:7.1f} h of mastering"
        )


if __name__ == "__main__":
    main()
