"""Decode any audio ffmpeg reads, and describe the programme to master (intro + episode + outro).

Probing parses ``ffmpeg -i`` (never ffprobe). The programme is an ffmpeg filter graph, so a
three-hour episode streams through it in small buffers; intro and outro are crossfaded in the
same graph instead of being loaded into memory.
"""

from __future__ import annotations

import re
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import AudioError
from ..ffmpeg import FFmpeg

_STREAM = re.compile(r"Stream #\d+:\d+.*?: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)")
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_SILENCE = re.compile(r"silence_(start|end): (-?[\d.]+)")
_CONTAINER = re.compile(r"Input #0, ([^ ]+), from")
_PCM = re.compile(r"pcm_[suf](8|16|24|32|64)(?:le|be)?")
# A WAV of PCM is read in packets this long (ffmpeg's default is 4096 bytes: 23 ms of 16-bit
# stereo): 17 times fewer hand-offs between ffmpeg's threads, half the decoder's CPU.
PACKET_S = 0.4
PROBE_TIMEOUT_S = 60
TRUNCATION_SLACK_S = 0.1


@dataclass(frozen=True)
class SourceInfo:
    """What ffmpeg says about a file's first audio stream."""

    path: Path
    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None  # from the container; exact only after decoding
    container: str = ""  # ffmpeg's name of the demuxer: "wav", "flac", "mov,mp4,m4a,…"

    def input_args(self, *, packets: bool = True) -> list[str]:
        """ffmpeg's ``-i`` for it, with the demuxer's packet size for a mono or stereo PCM WAV
        (``packets``: the same samples, in longer packets)."""
        pcm = _PCM.fullmatch(self.codec)
        if not packets or self.container != "wav" or not pcm or self.channels > 2:
            return ["-i", str(self.path)]
        block = self.channels * int(pcm.group(1)) // 8
        return ["-max_size", str(round(PACKET_S * self.sample_rate) * block), "-i", str(self.path)]


def _channel_count(layout: str) -> int:
    layout = layout.strip()
    if layout == "mono":
        return 1
    if layout == "stereo":
        return 2
    match = re.match(r"(\d+) channels", layout)
    # Named surround layouts (5.1, quad, …) only matter as "more than two": they get downmixed.
    return int(match.group(1)) if match else 3


def probe(path: Path, *, exe: str | None = None) -> SourceInfo:
    """Codec, rate, channels and container duration of ``path``; AudioError if not audio."""
    if not path.is_file():
        raise AudioError("audio file not found", path=path, hint="check the file name")
    if path.stat().st_size == 0:
        raise AudioError("the audio file is empty (0 bytes)", path=path, hint="copy it again")
    process = FFmpeg(["-i", path], subject=path, exe=exe)
    text = process.wait(PROBE_TIMEOUT_S, check=False)
    stream = audio_stream(text)
    if not stream:
        reason = process.reason() if "Error opening input" in text else "no audio stream in it"
        raise AudioError(
            f"cannot read it as audio: {reason}",
            path=path,
            hint="export it again as WAV, FLAC or MP3",
        )
    duration = _DURATION.search(text)
    seconds = None
    if duration:
        h, m, s = duration.groups()
        seconds = int(h) * 3600 + int(m) * 60 + float(s)
    container = _CONTAINER.search(text)
    return SourceInfo(path, *stream, seconds, container.group(1) if container else "")


def audio_stream(log: str) -> tuple[str, int, int] | None:
    """Codec, sample rate and channel count of the first audio stream in ffmpeg's input log."""
    match = _STREAM.search(log)
    if not match:
        return None
    codec, rate, layout = match.groups()
    return codec, int(rate), _channel_count(layout)


def check_complete(info: SourceInfo, decoded_s: float) -> None:
    """Refuse audio that ends before its header says it should: a cut-off copy or upload.

    Only WAV (data chunk size) and FLAC (sample count) headers state their length exactly;
    ffmpeg decodes what is there of a truncated file without failing.
    """
    declared = _declared_seconds(info)
    if declared and decoded_s < declared - TRUNCATION_SLACK_S:
        raise AudioError(
            f"the file is truncated: its header promises {declared:.1f} s, "
            f"only {decoded_s:.1f} s decode",
            path=info.path,
            hint="copy or export it again",
        )


def _declared_seconds(info: SourceInfo) -> float | None:
    if info.codec == "flac":
        return info.duration_s
    if info.path.suffix.lower() != ".wav":
        return None
    try:
        with wave.open(str(info.path), "rb") as header:
            return header.getnframes() / header.getframerate()
    except (wave.Error, EOFError, OSError):  # float or extensible WAVs: ffmpeg reads them anyway
        return None


def convert(channels_in: int, layout: str) -> str:
    """Filters turning ``channels_in`` channels into ``layout`` (mono or stereo).

    Stereo to mono is the plain average of both channels, so identical (dual-mono) channels
    come out unchanged, bit for bit.
    """
    if layout == "mono":
        if channels_in == 1:
            return "anull"
        if channels_in == 2:
            return "pan=mono|c0=0.5*c0+0.5*c1"
        return "aformat=channel_layouts=mono"
    if channels_in == 1:
        return "pan=stereo|c0=c0|c1=c0"
    if channels_in == 2:
        return "pan=stereo|c0=c0|c1=c1"
    return "aformat=channel_layouts=stereo"


@dataclass(frozen=True)
class Program:
    """The audio to master: the episode, with an optional intro and outro crossfaded around it."""

    main: SourceInfo
    intro: SourceInfo | None = None
    outro: SourceInfo | None = None
    intro_s: float = 0.0  # decoded length of the intro
    crossfade_s: float = 0.5
    trim: tuple[float, float | None] = (0.0, None)  # part of the episode kept (start, end)
    parts: tuple[SourceInfo, ...] = field(init=False)

    def __post_init__(self) -> None:
        parts = tuple(p for p in (self.intro, self.main, self.outro) if p is not None)
        object.__setattr__(self, "parts", parts)

    @property
    def offset_s(self) -> float:
        """Where the episode's own second 0 lands in the output (the chapter offset)."""
        offset = self.intro_s - self.crossfade_s if self.intro else 0.0
        return max(0.0, offset) - self.trim[0]

    def inputs(self, *, packets: bool = True) -> list[str]:
        """ffmpeg input arguments, one ``-i`` per part (``packets``: :meth:`SourceInfo.input_args`)."""
        return [arg for part in self.parts for arg in part.input_args(packets=packets)]

    def graph(
        self, layout: str, sample_rate: int, out: str = "prog", tap: str = "", select: str = ""
    ) -> str:
        """A filter graph turning the inputs into one float stream labelled ``[out]``.

        With ``tap`` and an intro or outro, the episode's own audio is also labelled ``[tap]``.
        ``select``: a filter on the programme's time (a rehearsal's sample): an episode alone
        has it as it is read, before it is converted and resampled; with an intro or outro it
        follows the crossfades.
        """
        chains = []
        single = len(self.parts) == 1
        last = "sel" if select and not single else out  # the crossfades' output
        for n, part in enumerate(self.parts):
            filters = [convert(part.channels, layout), f"aresample={sample_rate}"]
            if part is self.main and self.trim != (0.0, None):
                start, end = self.trim
                filters.insert(0, f"atrim=start={start:.3f}" + (f":end={end:.3f}" if end else ""))
                filters.insert(1, "asetpts=PTS-STARTPTS")
            if select and single:
                filters.insert(len(filters) - 2, select)
            filters.append("aformat=sample_fmts=flt")
            labels = f"[{out}]" if single else f"[p{n}]"
            if tap and not single and part is self.main:
                filters.append("asplit")
                labels += f"[{tap}]"
            chains.append(f"[{n}:a:0]{','.join(filters)}{labels}")
        label = "p0"
        fade = f"d={self.crossfade_s:.3f}:c1=tri:c2=tri"
        for n in range(1, len(self.parts)):
            following = f"x{n}" if n < len(self.parts) - 1 else last
            if self.crossfade_s > 0:
                chains.append(f"[{label}][p{n}]acrossfade={fade}[{following}]")
            else:
                chains.append(f"[{label}][p{n}]concat=n=2:v=0:a=1[{following}]")
            label = following
        if last != out:
            chains.append(f"[{last}]{select}[{out}]")
        return ";".join(chains)


def speech_bounds(
    path: Path, threshold_db: float, padding_s: float, *, exe: str | None = None
) -> tuple[float, float | None]:
    """Start and end of the audio once leading/trailing silence is cut (keeping padding)."""
    args = ["-i", path, "-map", "0:a:0", "-af", f"silencedetect=n={threshold_db}dB:d={padding_s}"]
    process = FFmpeg([*args, "-f", "null", "-"], subject=path, exe=exe)
    found = _SILENCE.findall(process.wait())
    duration = process.last_time
    # Pairs of (silence start, silence end); ffmpeg < 6 omits the end of a trailing silence.
    silences: list[tuple[float, float]] = []
    for kind, value in found:
        if kind == "start":
            silences.append((float(value), duration))
        elif silences:
            silences[-1] = (silences[-1][0], float(value))
    start, end = 0.0, None
    if silences and silences[0][0] <= 0.01:
        start = max(0.0, silences[0][1] - padding_s)
    if silences and silences[-1][1] >= duration - 0.05 and silences[-1][0] > start:
        end = min(duration, silences[-1][0] + padding_s)
    return start, end


def read_pcm(process: FFmpeg, channels: int, frames: int) -> Iterator[np.ndarray]:
    """Yield float32 blocks of shape (frames, channels) from an ffmpeg writing f32le to stdout."""
    stream = process.process.stdout
    assert stream is not None
    size = frames * channels * 4
    while True:
        data = stream.read(size)
        if not data:
            return
        usable = len(data) - len(data) % (channels * 4)
        yield np.frombuffer(data[:usable], dtype="<f4").reshape(-1, channels)
