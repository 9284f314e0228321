"""Wall time and peak memory of `podcast-pipe check` (which decodes every audio file once, then
reads its cached analysis) against a plain ffmpeg MP3 encode of the same WAV.

Uses bench_build.py's speech-like WAVs and one-episode shows under benchmarks/.work/. The first
check runs with the analysis cache emptied; the second finds it (nothing decoded, nothing
re-hashed).

    python benchmarks/bench_check.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import CLI, WORK, Programme, generated, print_table, timed, workspace  # noqa: E402

from podcast_pipe.audio.analyze import CACHE  # noqa: E402
from podcast_pipe.ffmpeg import find_ffmpeg  # noqa: E402


def bench(minutes: int) -> list[tuple[str, float, float, float]]:
    wav = generated(minutes)
    plain = WORK / f"plain-{minutes}min.mp3"
    encode = [find_ffmpeg(), "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame"]
    runs = [("ffmpeg encode (baseline)", *timed([*encode, "-b:a", "128k", str(plain)]))]
    root = workspace(Programme(f"check-{minutes}min", wav, []))
    shutil.rmtree(root / "build" / CACHE, ignore_errors=True)
    check = [*CLI, "-C", str(root), "check"]
    runs.append(("podcast-pipe check (first)", *timed(check)))
    runs.append(("podcast-pipe check (cached)", *timed(check)))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[60])
    args = parser.parse_args()
    rows = []
    for minutes in args.minutes:
        runs = bench(minutes)
        baseline, baseline_cpu = runs[0][1], runs[0][2]
        for tool, wall, cpu, (rss, _) in runs:
            rows.append((f"{minutes} min", tool, f"{wall:.2f}", f"{wall / baseline:.3f}x",
                         f"{cpu / baseline_cpu:.3f}x", f"{rss:.0f}"))  # fmt: skip
    header = ("audio", "tool", "wall s", "vs ffmpeg", "CPU vs", "peak RSS MB")
    print_table(header, rows)


if __name__ == "__main__":
    main()
