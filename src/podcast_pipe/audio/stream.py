"""Decode → speech chain → gain → limiter → sink, streaming: the encode and the rehearsals.

The decoder, this process (numpy) and the sink (LAME and its meter, or a meter alone) run at
once, on both cores; a three-hour programme passes in blocks of ``CHUNK_FRAMES``.
"""

from __future__ import annotations

import math
import queue
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AudioError
from ..ffmpeg import FFmpeg
from .analysis import CHUNK_FRAMES, Progress, fraction
from .decode import Program, read_pcm
from .encode import Encoder, Mp3Format
from .limiter import TruePeakLimiter
from .meter import FRAME_S, Frames, Loudness
from .process import Chain
from .renditions import RenditionEncoder, RenditionResult

TRACK_DB = 3.5  # blocks this close to the sample peak may hold the true peak
REHEARSAL_SEGMENT_S = 6.0
REHEARSAL_SAMPLING_S = 300  # sample one segment in 2 from this length, in 3 from twice it…
MAX_SAMPLING = 10
JOIN_FRAMES = 2  # frames of a sampled encode next to a join, not counted


@dataclass
class Render:
    """One encode's outcome."""

    output: Loudness
    frames: Frames
    limiter: TruePeakLimiter
    cpu_s: float  # the MP3 encoder's CPU seconds
    renditions: tuple[RenditionResult, ...] = ()


def render(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    ceiling_db: float,
    out: Path,
    chain: Chain,
    *,
    sample_peak_db: float = math.inf,
    renditions: dict[str, Path] | None = None,
    rendition_trim_db: float = 0.0,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> Render:
    """Decode → chain → gain → true-peak limiter → MP3 at ``out``, metered per frame; the same
    limited PCM also goes to each of ``renditions`` (name → path), metered once written.

    The limiter's oversampler also finds the input's true peak, in the blocks within
    ``TRACK_DB`` of the input's sample peak.
    """
    subject = program.main.path
    encoder = Encoder(out, fmt, subject=subject, exe=exe)
    tees = [
        RenditionEncoder(name, path, fmt, rendition_trim_db, subject=subject, exe=exe)
        for name, path in (renditions or {}).items()
    ]
    track_db = sample_peak_db + gain_db + chain.max_boost_db - TRACK_DB
    limiter = TruePeakLimiter(ceiling_db, fmt.sample_rate, fmt.channels, track_db)
    output = stream(
        program, fmt, gain_db, chain, limiter, encoder, tees, exe=exe, on_progress=on_progress
    )
    renditions = _finish_all(tees, output.duration_s)
    return Render(output, encoder.frames, limiter, encoder.encoder.cpu_s, renditions)


def _finish_all(tees: list[RenditionEncoder], duration_s: float) -> tuple[RenditionResult, ...]:
    """Finish and meter every rendition at once: their meters share the cores."""
    if not tees:
        return ()
    with ThreadPoolExecutor(len(tees)) as pool:
        return tuple(pool.map(lambda tee: tee.finish(duration_s), tees))


def render_rendition(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    ceiling_db: float,
    chain: Chain,
    name: str,
    out: Path,
    *,
    trim_db: float = 0.0,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> RenditionResult:
    """Decode → chain → gain → true-peak limiter → the ``name`` rendition alone, at ``out``:
    one rendition encoded again, aimed apart from the MP3."""
    encoder = RenditionEncoder(name, out, fmt, trim_db, subject=program.main.path, exe=exe)
    limiter = TruePeakLimiter(ceiling_db, fmt.sample_rate, fmt.channels)
    return stream(program, fmt, gain_db, chain, limiter, encoder, exe=exe, on_progress=on_progress)


@dataclass(frozen=True)
class Rehearsal:
    """What a sampled encode read: the MP3's loudness, and its highest frame's true peak away
    from the joins between the sampled stretches (where the cut itself makes a peak)."""

    level: float
    highest_db: float


def rehearse(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    ceiling_db: float,
    chain: Chain,
    scratch: Path,
    *,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> Rehearsal:
    """Chain, gain, limiter and LAME on a sample of the programme, written to ``scratch`` and
    deleted: the loudness the MP3 will read and the true peak LAME makes of the limited peaks.

    A long programme is sampled by the decoder: one ``REHEARSAL_SEGMENT_S`` stretch in 2
    (5 min and more) up to 1 in ``MAX_SAMPLING``. Loudness is an average: minutes of audio
    estimate it well, for a fraction of the cost.
    """
    seconds = sum(part.duration_s or 0 for part in program.parts)
    every = min(MAX_SAMPLING, 1 + int(seconds // REHEARSAL_SAMPLING_S))
    period = every * REHEARSAL_SEGMENT_S
    limiter = TruePeakLimiter(ceiling_db, fmt.sample_rate, fmt.channels)
    sampled = chain.sampled(period, REHEARSAL_SEGMENT_S) if every > 1 else chain
    encoder = Encoder(scratch, fmt, subject=program.main.path, exe=exe)
    try:
        output = stream(
            program, fmt, gain_db, sampled, limiter, encoder, exe=exe, on_progress=on_progress
        )
    finally:
        scratch.unlink(missing_ok=True)
    peaks = np.frombuffer(encoder.frames.true_peak, np.float32).copy()
    if every > 1:
        segment = round(REHEARSAL_SEGMENT_S / FRAME_S)
        joins = np.arange(len(peaks)) % segment
        peaks[(joins < JOIN_FRAMES) | (joins >= segment - JOIN_FRAMES)] = np.nan
    highest = float(np.nanmax(peaks)) if np.isfinite(peaks).any() else -math.inf
    return Rehearsal(output.integrated, highest)


def stream(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    chain: Chain,
    limiter: TruePeakLimiter,
    sink: Encoder | RenditionEncoder,
    tees: list[RenditionEncoder] | None = None,
    *,
    exe: str | None,
    on_progress: Progress | None,
) -> Any:
    """Pipe the decoded programme through chain, gain and limiter into ``sink`` (and the
    same blocks into each of ``tees``); what the sink measured (its ``finish``). The decoder,
    this process (numpy) and the encoders run at once, on both cores. The caller finishes the
    tees."""
    tees = tees or []
    layout = "mono" if fmt.channels == 1 else "stereo"
    graph = program.graph(layout, fmt.sample_rate) + f";[prog]{chain.decoder_filters}[pcm]"
    decoder = FFmpeg(
        [*program.inputs(), "-filter_complex", graph, "-map", "[pcm]", "-f", "f32le", "pipe:1"],
        subject=program.main.path,
        exe=exe,
        stdout=subprocess.PIPE,
        on_progress=fraction(program, on_progress),
    )
    gain = np.float32(10 ** (gain_db / 20))
    frames = 0
    try:
        with _Writer([sink.stdin, *(tee.stdin for tee in tees)]) as writer:
            for block in read_pcm(decoder, fmt.channels, CHUNK_FRAMES):
                levelled = chain.level(block, frames, fmt.sample_rate)
                frames += len(block)
                writer.put(limiter.process(levelled * gain))
            writer.put(limiter.flush())
        decoder.wait()
        output = sink.finish(frames / fmt.sample_rate)
    except BrokenPipeError:
        died = [tee for tee in tees if tee.encoder.process.poll() is not None]
        for tee in tees:
            tee.kill()
        if died:  # a rendition encoder: FFmpegError with its own reason
            sink.kill()
            died[0].encoder.wait()
        sink.finish(0.0)  # raises FFmpegError with the sink's own reason
        raise
    except BaseException:
        for process in (decoder, sink, *tees):
            process.kill()
        raise
    if frames == 0:
        raise AudioError(
            "decodes to no audio at all", path=program.main.path, hint="export it again"
        )
    return output


class _Writer:
    """Writes blocks to the encoders on its own thread, so numpy works while LAME encodes."""

    def __init__(self, streams: list) -> None:
        self.streams = streams
        self.blocks: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, block) -> None:
        if self.error:
            raise self.error
        self.blocks.put(np.ascontiguousarray(block, dtype="<f4"))

    def _run(self) -> None:
        while (data := self.blocks.get()) is not None:
            if self.error is None:
                try:
                    for stream in self.streams:
                        stream.write(data)
                except OSError as exc:  # the encoder died; its stderr says why
                    self.error = exc

    def __exit__(self, *exc_info) -> None:
        self.blocks.put(None)
        self.thread.join()
        if self.error and not exc_info[0]:
            raise self.error
