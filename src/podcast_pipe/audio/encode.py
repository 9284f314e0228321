"""Encoded files out (the MP3, and Opus or AAC renditions), each metered as it is written.

An encoder reads float PCM on stdin and writes, through ffmpeg's ``tee`` muxer, both the file
(seekable, so LAME's Info header with the exact length and gapless data, or the MP4 index, is
written) and the same encoded stream to stdout, where one more ffmpeg (for all the encoders of
a stream) decodes and meters it with ``ebur128=peak=true``, frame by frame (100 ms). Metering
the *encoded* file therefore costs no extra pass: it runs on the other core while the encoder
works (encoding shifts loudness and true peak, QUIRKS.md).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import AudioError
from ..ffmpeg import FFmpeg
from .meter import FRAME_S, Frames, Loudness, MeteredFFmpeg, ebur128, parse_summary

HELPER_NICE = 10
SHORTER_S = 0.5  # an encoded file may end this much before its PCM (encoder delay, padding)


@dataclass(frozen=True)
class Mp3Format:
    """The published format: CBR bitrate, channels and sample rate."""

    channels: int
    sample_rate: int
    bitrate_kbps: int


@dataclass(frozen=True)
class Codec:
    """How a file is encoded: its suffix, ffmpeg's codec options, the file's muxer and that of
    the copy streamed to the meter, and kbps for mono / stereo (None: the MP3 format's)."""

    suffix: str
    args: tuple[str, ...]
    muxer: str
    stream: str
    kbps_mono: int | None = None
    kbps_stereo: int | None = None

    @property
    def demuxer(self) -> str:
        """How the meter reads the streamed copy (ffmpeg's ADTS muxer is ``adts``, its
        demuxer ``aac``)."""
        return "aac" if self.stream == "adts" else self.stream

    def bitrate(self, fmt: Mp3Format) -> int:
        if self.kbps_mono is None or self.kbps_stereo is None:
            return fmt.bitrate_kbps
        return self.kbps_mono if fmt.channels == 1 else self.kbps_stereo


MP3 = Codec(".mp3", ("-c:a", "libmp3lame"), "mp3", "mp3")


class Encoder:
    """An ffmpeg encoder fed through :attr:`stdin`, writing its file and streaming a copy to
    the :class:`Meter` that reads every encoder of the stream (``name``: its meter's label)."""

    def __init__(
        self,
        out: Path,
        fmt: Mp3Format,
        *,
        codec: Codec = MP3,
        name: str = "mp3",
        subject: Path,
        exe: str | None = None,
    ) -> None:
        self.codec, self.out, self.name, self.subject = codec, out, name, subject
        self.bitrate_kbps = codec.bitrate(fmt)
        self.meter: Meter | None = None
        pcm = ["-f", "f32le", "-ar", fmt.sample_rate, "-ac", fmt.channels, "-i", "pipe:0"]
        encode = [*codec.args, "-b:a", f"{self.bitrate_kbps}k"]
        # bitexact: no encoder-version tag, so the same input gives the same bytes.
        tee = ["-map", "0:a", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "tee"]
        self.encoder = FFmpeg(
            [*pcm, *encode, *tee, f"[f={codec.muxer}]{out.name}|[f={codec.stream}]pipe:1"],
            subject=subject,
            exe=exe,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=out.parent,
        )

    @property
    def frames(self) -> Frames:
        """The encoded stream's 100 ms frames (true peak per frame: where the encoder overshot)."""
        assert self.meter is not None
        return self.meter.frames[f"ebur128@{self.name}"]

    @property
    def stdin(self):
        return self.encoder.process.stdin

    @property
    def cpu_s(self) -> float:
        """The encoder's CPU seconds (user + system), once finished."""
        return self.encoder.cpu_s

    def alive(self) -> bool:
        return self.encoder.process.poll() is None

    def kill(self) -> None:
        self.encoder.kill()


class Meter(MeteredFFmpeg):
    """One ffmpeg that decodes and meters what each of ``encoders`` streams, frame by frame
    (one process, not one per encoder: each ffmpeg holds ~30 MB)."""

    def __init__(self, encoders: list[Encoder], *, subject: Path, exe: str | None = None) -> None:
        streams = [encoder.encoder.process.stdout for encoder in encoders]
        fds = tuple(stream.fileno() for stream in streams)  # type: ignore[union-attr]
        inputs, graph, outputs = [], [], []
        for index, (encoder, fd) in enumerate(zip(encoders, fds, strict=True)):
            inputs += ["-f", encoder.codec.demuxer, "-i", f"pipe:{fd}"]
            graph.append(f"[{index}:a]{ebur128(encoder.name, frames=True)}[m{index}]")
            outputs += ["-map", f"[m{index}]", "-f", "null", "-"]
            encoder.meter = self
        # The encoders are the slowest stage: the meter takes what the other core leaves.
        super().__init__([*inputs, "-filter_complex", ";".join(graph), *outputs],
                         subject=subject, exe=exe, nice=HELPER_NICE, pass_fds=fds)  # fmt: skip
        # The meter holds the read ends now; ours would keep an encoder alive if it died.
        for stream in streams:
            stream.close()  # type: ignore[union-attr]


def finish(encoders: list[Encoder], meter: Meter, duration_s: float) -> list[Loudness]:
    """Close the encoders' input, wait for them and their meter, and return each encoded
    file's loudness; AudioError if a file is shorter than the ``duration_s`` of PCM it got."""
    for encoder in encoders:
        encoder.stdin.close()
    for encoder in encoders:
        encoder.encoder.wait()
    stderr = meter.wait()
    outputs = []
    for encoder in encoders:
        written = len(encoder.frames.momentary) * FRAME_S
        if written < duration_s - SHORTER_S:
            raise AudioError(
                f"the {encoder.out.suffix} encoder wrote {written:.1f} s of {duration_s:.1f} s",
                path=encoder.subject,
                hint="check that the ffmpeg in use can encode it ([audio] ffmpeg)",
            )
        outputs.append(parse_summary(stderr, duration_s, f"ebur128@{encoder.name}"))
    return outputs
