"""Wall time and peak memory of `podcast-pipe build` against a plain ffmpeg MP3 encode.

Generates speech-like stereo 44.1 kHz WAVs (10 min, 60 min, 3 h) under benchmarks/.work/
(reused between runs), then times, in the same run and on the same ffmpeg binary:

- the baseline: ``ffmpeg -i in.wav -c:a libmp3lame -b:a 128k out.mp3``;
- ``podcast-pipe build --force`` of a one-episode show holding that WAV;
- ``ffmpeg-normalize`` (EBU R128, -16 LUFS, -1 dBTP, MP3 out), if it is on PATH.

Peak RSS is that of the whole process tree (ffmpeg children included), sampled every 20 ms.
Loudness and true peak of each output are measured afterwards by ffmpeg's ebur128 filter.

    python benchmarks/bench_build.py [--minutes 10 60 180]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from podcast_pipe.audio.meter import measure_file
from podcast_pipe.ffmpeg import find_ffmpeg

WORK = Path(__file__).resolve().parent / ".work"
BIN = Path(sys.executable).parent
# Two pink noises, band-limited and mixed into a mostly-centred stereo image, shaped into
# ~2.7 syllables a second with a 1.5 s pause every 7 s, over a quiet room-tone bed.
SPEECH = (
    "[0][1]join=inputs=2:channel_layout=stereo,"
    "pan=stereo|c0=0.8*c0+0.2*c1|c1=0.2*c0+0.8*c1,lowpass=f=7000,"
    "volume='0.01+pow(abs(sin(2*PI*2.7*t))\\,3)*lt(mod(t\\,7)\\,5.5)':eval=frame"
)
SHOW = """[show]
title = "Bench"
description = "Benchmark show"
author = "Bench"
language = "tr"
[audio]
channels = "2"
"""
EPISODE = '---\ntitle: "Bench"\ndate: 2026-01-12T16:03:00+03:00\n---\nBench.\n'


@dataclass
class Run:
    minutes: int
    tool: str
    wall_s: float
    peak_rss_mb: float
    output: Path


def source(minutes: int) -> Path:
    """The speech-like WAV of that length, generated once."""
    path = WORK / f"speech-{minutes}min.wav"
    if not path.is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        noise = [f"anoisesrc=c=pink:r=44100:a=0.25:seed={seed}:d={minutes * 60}" for seed in (1, 2)]
        temp = path.with_suffix(".part.wav")
        command = [find_ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i", noise[0]]
        command += ["-f", "lavfi", "-i", noise[1], "-filter_complex", SPEECH, "-c:a", "pcm_s16le"]
        subprocess.run([*command, str(temp)], check=True)
        temp.rename(path)
    return path


def workspace(minutes: int, wav: Path) -> Path:
    """A one-episode show whose episode is the WAV (linked, not copied)."""
    root = WORK / f"show-{minutes}min"
    (root / "episodes").mkdir(parents=True, exist_ok=True)
    (root / "feed").mkdir(exist_ok=True)
    (root / "podcast.toml").write_text(SHOW, encoding="utf-8")
    (root / "episodes/bench.md").write_text(EPISODE, encoding="utf-8")
    link = root / "episodes/bench.wav"
    if not link.exists():
        link.symlink_to(wav)
    if not (root / "feed/cover.jpg").exists():
        Image.new("RGB", (1400, 1400), "teal").save(root / "feed/cover.jpg")
    return root


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        ppid = int(fields["PPid"])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak tree RSS (MB) of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    return wall, peak / 1024


def bench(minutes: int) -> list[Run]:
    wav = source(minutes)
    ffmpeg = find_ffmpeg()
    runs = []
    plain = WORK / f"plain-{minutes}min.mp3"
    command = [ffmpeg, "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "128k"]
    runs.append(Run(minutes, "ffmpeg encode (baseline)", *timed([*command, str(plain)]), plain))
    root = workspace(minutes, wav)
    build = [str(BIN / "podcast-pipe"), "-C", str(root), "build", "--force"]
    runs.append(Run(minutes, "podcast-pipe build", *timed(build), root / "build/bench.mp3"))
    normalize = shutil.which("ffmpeg-normalize")
    if normalize:
        out = WORK / f"normalize-{minutes}min.mp3"
        command = [normalize, str(wav), "-o", str(out), "-f", "-nt", "ebu", "-t", "-16", "-tp"]
        command += ["-1", "-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100"]
        env = {**os.environ, "FFMPEG_PATH": ffmpeg}
        runs.append(Run(minutes, "ffmpeg-normalize (EBU)", *timed(command, env), out))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[10, 60, 180])
    args = parser.parse_args()
    rows = []
    for minutes in args.minutes:
        runs = bench(minutes)
        baseline = runs[0].wall_s
        for run in runs:
            measured = measure_file(run.output)
            rows.append((
                f"{minutes} min", run.tool, f"{run.wall_s:.1f}", f"{run.wall_s / baseline:.2f}x",
                f"{run.peak_rss_mb:.0f}", f"{measured.integrated:.1f}", f"{measured.true_peak:.1f}",
            ))  # fmt: skip
    print_table(("audio", "tool", "wall s", "vs ffmpeg", "peak RSS MB", "LUFS", "dBTP"), rows)


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """The machine, then one aligned table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"{os.cpu_count()} cores, ffmpeg {find_ffmpeg()}")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
