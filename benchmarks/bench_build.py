"""Mastering figures, wall time and peak memory of `podcast-pipe build` against a plain MP3 encode.

Programmes (under benchmarks/.work/, reused between runs, never committed):

- generated speech-like stereo 44.1 kHz WAVs (10 min; with ``--full`` also 60 min and 3 h);
- real recorded speech fetched from package registries, when they can be reached (otherwise
  the table says so and the run goes on): the AMI meeting excerpt inside the pyannote.audio
  wheel (30 s, 16 kHz, looped to 10 min) and Debian's asterisk-core-sounds-en-wav studio
  prompts (concatenated to 10 min).

Each programme is encoded plainly (``ffmpeg -i in -c:a libmp3lame -b:a 128k``), checked
(``podcast-pipe check``: the analysis that ``publish`` makes before it builds, cached by content)
and built with ``podcast-pipe build --force``, then encoded plainly again, back to back, so the
time ratio is of one moment (against the mean of the two plain encodes, "ffmpeg s" before/after):
"vs ffmpeg" is the build after the check, "cold vs" check + build; on a shared
machine wall-time ratios swing with the load, so CPU time (children's user + system) is given
too ("CPU vs"; the build spreads over both cores, so it reads higher than an idle wall ratio).
"inspector" is what making the inspector's pages costs, as a share of the build (timed alone,
from the build record, in a fresh interpreter: an upper bound). The 10-min (quick) or 60-min (full) generated
programme is built once more with ``process = ["highpass", "denoise", "leveler"]``, and once
with ``renditions = ["mp3", "opus", "aac"]`` (its "vs ffmpeg" and "CPU vs": all three encodes
against the plain MP3 encode). "encoders s CPU": each encoder's CPU seconds, from
build/report.json. Peak memory is that of the whole process tree (ffmpeg children included),
sampled every 0.2 s (a scan of /proc costs CPU the build would miss), as two sums: "RSS MB"
counts each process's resident pages, so the ffmpeg binary's ~30 MB of code once per ffmpeg;
"PSS MB" splits each shared page between the processes that map it. Loudness, LRA
and true peak of the source and the MP3 are read afterwards by ffmpeg's ebur128 (peak=true).

With ``--repeat N`` each programme is built N times between plain encodes (plain, build,
plain, build, plain…): the row is the round with the median ratio (of two middles, the lower),
"rounds" lists every round's ratio (the plain encode alone swings by a fifth from one run to
the next).

    python benchmarks/bench_build.py [--full | --minutes 10 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from podcast_pipe.audio.analyze import CACHE
from podcast_pipe.audio.meter import measure_file
from podcast_pipe.ffmpeg import find_ffmpeg

WORK = Path(__file__).resolve().parent / ".work"
FETCH = WORK / "fetch"
# The CLI of the podcast_pipe this interpreter imports (an installed one, or PYTHONPATH's).
CLI = [sys.executable, "-c", "from podcast_pipe.cli import main; main()"]
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
explicit = false
categories = ["Technology"]
owner = {{ name = "B", email = "b@example.org" }}
[audio]
process = {process}
renditions = {renditions}
"""
EPISODE = '---\ntitle: "Bench"\ndate: 2026-01-12T16:03:00+03:00\n---\nBench.\n'
CHAIN = ["highpass", "denoise", "leveler"]
RENDITIONS = ["mp3", "opus", "aac"]
REAL_MINUTES = 10
SAMPLE_S = 0.2  # how often peak memory is sampled


@dataclass
class Programme:
    name: str
    wav: Path
    process: list[str]
    renditions: tuple[str, ...] = ("mp3",)


def generated(minutes: int) -> Path:
    """The speech-like WAV of that length, generated once."""
    path = WORK / f"speech-{minutes}min.wav"
    if not path.is_file():
        noise = [f"anoisesrc=c=pink:r=44100:a=0.25:seed={seed}:d={minutes * 60}" for seed in (1, 2)]
        command = ["-f", "lavfi", "-i", noise[0], "-f", "lavfi", "-i", noise[1]]
        _ffmpeg([*command, "-filter_complex", SPEECH, "-c:a", "pcm_s16le"], path)
    return path


def meeting() -> Path:
    """The AMI meeting excerpt shipped in the pyannote.audio wheel, looped to REAL_MINUTES."""
    path = WORK / "meeting.wav"
    if not path.is_file():
        _fetch([sys.executable, "-m", "pip", "download", "--no-deps", "pyannote.audio", "-d", "."])
        wheel = next(FETCH.glob("pyannote_audio-*.whl"))
        sample = FETCH / "meeting-sample.wav"
        with zipfile.ZipFile(wheel) as archive:
            sample.write_bytes(archive.read("pyannote/audio/sample/sample.wav"))
        loops = ["-stream_loop", str(REAL_MINUTES * 2 - 1), "-i", str(sample)]
        _ffmpeg([*loops, "-c:a", "pcm_s16le"], path)
    return path


def prompts() -> Path:
    """Debian's asterisk studio prompts (8 kHz), concatenated to REAL_MINUTES with pauses."""
    path = WORK / "prompts.wav"
    if not path.is_file():
        _fetch(["apt-get", "download", "-q", "asterisk-core-sounds-en-wav"])
        deb = next(FETCH.glob("asterisk-core-sounds-en-wav_*.deb"))
        _fetch(["dpkg-deb", "-x", str(deb), "extracted"])
        files = sorted((FETCH / "extracted").rglob("*.wav"))
        pause = FETCH / "pause.wav"
        _ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.6"], pause)
        listing = FETCH / "prompts.txt"
        entries = [f"file '{f}'\nfile '{pause}'\n" for f in files[: REAL_MINUTES * 25]]
        listing.write_text("".join(entries), encoding="utf-8")
        concat = ["-f", "concat", "-safe", "0", "-i", str(listing), "-t", str(REAL_MINUTES * 60)]
        _ffmpeg([*concat, "-ar", "8000", "-ac", "1", "-c:a", "pcm_s16le"], path)
    return path


def _fetch(command: list[str]) -> None:
    FETCH.mkdir(parents=True, exist_ok=True)
    subprocess.run(command, cwd=FETCH, check=True, capture_output=True, timeout=600)


def _ffmpeg(args: list[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_suffix(".part.wav")
    subprocess.run([find_ffmpeg(), "-v", "error", "-y", *args, str(temp)], check=True)
    temp.rename(out)


def workspace(programme: Programme) -> Path:
    """A one-episode show whose episode is the WAV (linked, not copied)."""
    suffix = ("-chain" if programme.process else "") + ("-all" if programme.renditions[1:] else "")
    root = WORK / f"show-{programme.name}{suffix}"
    (root / "episodes").mkdir(parents=True, exist_ok=True)
    (root / "feed").mkdir(exist_ok=True)
    show = SHOW.format(
        process=json.dumps(programme.process), renditions=json.dumps(list(programme.renditions))
    )
    (root / "podcast.toml").write_text(show, encoding="utf-8")
    (root / "episodes/bench.md").write_text(EPISODE, encoding="utf-8")
    link = root / "episodes/bench.wav"
    if not link.exists():
        link.symlink_to(programme.wav)
    if not (root / "feed/cover.jpg").exists():
        Image.new("RGB", (1400, 1400), "teal").save(root / "feed/cover.jpg")
    return root


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """Resident memory of a process and all its descendants, from /proc: RSS summed, and PSS
    summed (each shared page split between the processes that map it: the ffmpeg children run
    one binary, whose ~30 MB of code the RSS sum counts once per process)."""
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
    total, proportional, stack = 0, 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        proportional += _pss_kb(current)
        stack.extend(children.get(current, []))
    return total, proportional


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # gone, or not ours to read
        return 0
    return next(
        (int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0
    )


def timed(command: list[str]) -> tuple[float, float, tuple[float, float]]:
    """Wall seconds, CPU seconds (user + system, children included) and peak tree RSS and PSS
    (MB) of a command. CPU time hardly changes when other work shares the cores; wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[:] = map(max, peak, tree_memory_kb(process.pid))
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{stderr.decode(errors='replace')[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
    return wall, cpu, (peak[0] / 1024, peak[1] / 1024)


# What the build does after mastering an episode for the inspector (report/): its page with the
# plots, and the show's page; timed in a fresh interpreter, so matplotlib's import counts too.
INSPECT = """
import sys
from pathlib import Path
from podcast_pipe.build.record import read_record
from podcast_pipe.build.run import finish_show
from podcast_pipe.config import load_show
from podcast_pipe.episodes import load_episodes
from podcast_pipe.report import inspect_episode
show = load_show(Path(sys.argv[1]))
for episode in load_episodes(show).episodes:
    inspect_episode(show, episode, read_record(show, episode.slug), 0.0)
finish_show(show)
"""


@dataclass(frozen=True)
class Round:
    """One build between two plain encodes (wall and CPU seconds; peak RSS and PSS, MB)."""

    before: float
    after: float
    wall: float
    cpu: float
    baseline_cpu: float
    memory: tuple[float, float]

    @property
    def baseline(self) -> float:
        """The plain encode's wall time: the mean of the two either side."""
        return (self.before + self.after) / 2

    @property
    def ratio(self) -> float:
        return self.wall / self.baseline


def rounds(programme: Programme, root: Path, repeat: int) -> list[Round]:
    """Plain encode, then ``repeat`` times: build, plain encode; back to back. Each build's
    baseline is the mean of the plain encodes on either side: the machine's speed drifts
    between runs (an hour's plain encode took 33–47 s on the same idle machine, and 38 then
    46 s back to back)."""
    plain = WORK / f"plain-{programme.wav.stem}.mp3"
    encode = [find_ffmpeg(), "-v", "error", "-y", "-i", str(programme.wav), "-c:a", "libmp3lame"]
    before, before_cpu, _ = timed([*encode, "-b:a", "128k", str(plain)])
    done = []
    for _ in range(repeat):
        wall, cpu, memory = timed([*CLI, "-C", str(root), "build", "--force"])
        after, after_cpu, _ = timed([*encode, "-b:a", "128k", str(plain)])
        done.append(Round(before, after, wall, cpu, (before_cpu + after_cpu) / 2, memory))
        before, before_cpu = after, after_cpu
    return done


def bench(programme: Programme, repeat: int = 1) -> tuple[str, ...]:
    """Check, then :func:`rounds`; one table row, of the round with the median time ratio
    (with every round's ratio beside it, and the highest memory of all)."""
    root = workspace(programme)
    shutil.rmtree(root / "build" / CACHE, ignore_errors=True)
    checked, _, _ = timed([*CLI, "-C", str(root), "check"])
    done = rounds(programme, root, repeat)
    median = sorted(done, key=lambda r: r.ratio)[(len(done) - 1) // 2]
    before, after, wall, cpu = median.before, median.after, median.wall, median.cpu
    baseline, baseline_cpu = median.baseline, median.baseline_cpu
    rss, pss = (max(r.memory[i] for r in done) for i in (0, 1))
    inspector, _, _ = timed([sys.executable, "-c", INSPECT, str(root)])
    report = json.loads((root / "build/report.json").read_text(encoding="utf-8"))
    [record] = report["episodes"]
    episode = record["master"]
    source, output = measure_file(programme.wav), measure_file(root / "build/bench.mp3")
    limiter = episode["limiter"]
    encoders = [("mp3", episode.get("cpu_s", 0.0))]
    encoders += [(r["name"], r.get("cpu_s", 0.0)) for r in episode.get("renditions", [])]
    over = episode["gain_db"] - (episode["target"] - episode["input"]["integrated"])
    return (
        programme.name, "+".join(programme.process) or "-", "+".join(programme.renditions),
        f"{source.integrated:.1f}", f"{source.lra:.1f}", f"{source.true_peak:.1f}",
        f"{episode['gain_db']:+.1f}", f"{over:+.1f}",
        f"{output.integrated:.1f}", f"{output.lra:.1f}", f"{output.true_peak:.1f}",
        f"{limiter['max_reduction_db']:.1f}", f"{limiter.get('block_p99_db', 0):.1f}",
        f"{limiter['limited_ms'] / 1000:.1f}", str(episode["encodes"]),
        f"{wall / baseline:.2f}x", " ".join(f"{r.ratio:.2f}" for r in done),
        f"{cpu / baseline_cpu:.2f}x", f"{(checked + wall) / baseline:.2f}x",
        f"{inspector / wall:.0%}", f"{before:.0f}/{after:.0f}", f"{rss:.0f}", f"{pss:.0f}", " ".join(f"{n} {s:.1f}" for n, s in encoders),
    )  # fmt: skip


HEADER = (
    "programme", "process", "renditions", "in LUFS", "in LRA", "in dBTP", "gain", "over t-i", "out LUFS",
    "out LRA", "out dBTP", "lim max", "lim p99", "limited s", "encodes", "vs ffmpeg", "rounds",
    "CPU vs", "cold vs", "inspector", "ffmpeg s", "RSS MB", "PSS MB", "encoders s CPU",
)  # fmt: skip


def programmes(minutes: list[int]) -> tuple[list[Programme], list[str]]:
    """What to run, and notes on what could not be fetched."""
    runs = [Programme(f"speech-{m}min", generated(m), []) for m in minutes]
    notes = []
    for name, make in (("meeting", meeting), ("prompts", prompts)):
        try:
            runs.append(Programme(name, make(), []))
        except (OSError, subprocess.SubprocessError, StopIteration, KeyError) as exc:
            notes.append(f"{name}: not fetched ({exc.__class__.__name__}); generated audio only")
    chained = max([m for m in minutes if m <= 60], default=min(minutes))
    runs.append(Programme(f"speech-{chained}min", generated(chained), CHAIN))
    runs.append(Programme(f"speech-{chained}min", generated(chained), [], tuple(RENDITIONS)))
    return runs, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 60 min and 3 h")
    parser.add_argument("--minutes", type=int, nargs="+", help="generated lengths instead")
    parser.add_argument(
        "--repeat", type=int, default=1, help="builds per programme (the row: the median)"
    )
    args = parser.parse_args()
    runs, notes = programmes(args.minutes or ([10, 60, 180] if args.full else [10]))
    rows = []
    for programme in runs:
        rows.append(bench(programme, args.repeat))
        print("  ".join(rows[-1]), file=sys.stderr, flush=True)
    print_table(HEADER, rows)
    for note in notes:
        print(note)


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """The machine, then one aligned table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"{os.cpu_count()} cores (shared: ratios are approximate), ffmpeg {find_ffmpeg()}")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
