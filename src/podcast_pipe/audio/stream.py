"""Decode → speech chain → gain → limiter → encoders, streaming: the encode and the rehearsals.

The decoder, this process (numpy), the encoders (LAME, and each rendition's) and their one
meter run at once, on both cores; a three-hour programme passes in blocks of ``CHUNK_FRAMES``.
The limiter has one ceiling per encoder, over one shared detector.
"""

from __future__ import annotations

import math
import queue
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError
from ..ffmpeg import TO_PIPE, FFmpeg, lower_thread_priority
from .analysis import CHUNK_FRAMES, Progress, fraction
from .decode import Program, read_pcm
from .encode import HELPER_NICE, MP3, Encoder, Meter, Mp3Format, finish
from .limiter import TruePeakLimiter
from .meter import FRAME_S, Frames, Loudness
from .process import Chain
from .renditions import CODECS, RenditionResult

TRACK_DB = 3.5  # blocks this close to the sample peak may hold the true peak
REHEARSAL_SEGMENT_S = 6.0
REHEARSAL_SAMPLING_S = 300  # sample one segment in 2 from this length, in 3 from twice it…
MAX_SAMPLING = 10  # ... up to 1 in 10, and then in as few as keep the sample this short:
REHEARSAL_MAX_S = 360
JOIN_FRAMES = 2  # frames of a sampled encode next to a join, not counted
# A rehearsal also limits the PCM this much under the MP3's ceiling, unheard: how much
# loudness a lower ceiling takes from this programme (LU per dB: 0.15 on the generated hour,
# limited a fifth of the time; nearly none with the leveler, which evens the peaks out).
PROBE_DB = 1.5
# The decoder hands its PCM on in blocks of this many frames. A compressed episode decodes in
# frames of 1152 or 1024, afftdn (denoise) hands on 551: each would pass ffmpeg's output
# threads and the pipe alone (an hour of MP3: 3 CPU-s more; denoised: about 10).
OUT_FRAMES = 16384
QUEUED_BLOCKS = 4  # blocks of each encoder's PCM waiting for its pipe: 6 s of slack


@dataclass(frozen=True)
class Aim:
    """Where one encoder's PCM goes: peaks at most ``ceiling_db`` (dBFS), reached by the
    limiter and then a ``trim_db`` (a codec that reads louder or quieter than LAME)."""

    ceiling_db: float
    trim_db: float = 0.0

    def moved(self, ceiling_db: float = 0.0, trim_db: float = 0.0) -> Aim:
        return Aim(self.ceiling_db + ceiling_db, self.trim_db + trim_db)


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
    renditions: dict[str, tuple[Path, Aim]] | None = None,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> Render:
    """Decode → chain → gain → true-peak limiter → MP3 at ``out``, metered per frame; the same
    PCM, limited to its own ceiling, also goes to each of ``renditions`` (name → path, aim).

    The limiter's oversampler also finds the input's true peak, in the blocks within
    ``TRACK_DB`` of the input's sample peak.
    """
    renditions = renditions or {}
    track_db = sample_peak_db + gain_db + chain.max_boost_db - TRACK_DB
    targets = {"mp3": (out, Aim(ceiling_db)), **renditions}
    [mp3, *others], outputs, limiter = _encode(program, fmt, gain_db, chain, targets, track_db,
                                               exe=exe, on_progress=on_progress)  # fmt: skip
    results = _results(renditions, others, outputs[1:])
    return Render(outputs[0], mp3.frames, limiter, mp3.cpu_s, results)


def render_renditions(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    chain: Chain,
    renditions: dict[str, tuple[Path, Aim]],
    *,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> tuple[RenditionResult, ...]:
    """Decode → chain → gain → true-peak limiter → the ``renditions`` alone (name → path,
    aim), in one stream: renditions encoded again, aimed apart from the MP3."""
    sinks, outputs, _ = _encode(program, fmt, gain_db, chain, renditions, exe=exe,
                                on_progress=on_progress)  # fmt: skip
    return _results(renditions, sinks, outputs)


def _encode(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    chain: Chain,
    targets: dict[str, tuple[Path, Aim]],
    track_db: float = math.inf,
    *,
    exe: str | None,
    on_progress: Progress | None,
    probe_db: float | None = None,
) -> tuple[list[Encoder], list[Loudness], TruePeakLimiter]:
    """One encoder per target ("mp3" or a rendition: name → path, aim), fed by one stream
    through a limiter with one ceiling per target (where its peaks must be before its trim),
    and one more at ``probe_db``, measured only; the encoders, what each file reads, and the
    limiter."""
    sinks = [
        Encoder(
            path, fmt, codec=CODECS.get(name, MP3), name=name, subject=program.main.path, exe=exe
        )  # fmt: skip
        for name, (path, _) in targets.items()
    ]
    aims = [aim for _, aim in targets.values()]
    first, *more = (aim.ceiling_db - aim.trim_db for aim in aims)
    probes = () if probe_db is None else (probe_db,)
    limiter = TruePeakLimiter(first, fmt.sample_rate, fmt.channels, track_db,
                              also_db=(*more, *probes))  # fmt: skip
    outputs = stream(program, fmt, gain_db, chain, limiter, sinks, aims, exe=exe,
                     on_progress=on_progress)  # fmt: skip
    return sinks, outputs, limiter


def _results(names, sinks: list[Encoder], outputs: list[Loudness]) -> tuple[RenditionResult, ...]:
    return tuple(
        RenditionResult(name, sink.bitrate_kbps, output, sink.cpu_s)
        for name, sink, output in zip(names, sinks, outputs, strict=True)
    )


@dataclass(frozen=True)
class Rehearsal:
    """What a sampled encode read: the loudness, and the highest frame's true peak away
    from the joins between the sampled stretches (where the cut itself makes a peak)."""

    level: float
    highest_db: float
    every: int = 1  # the programme was sampled one stretch in ``every``
    loss_per_db: float = 0.15  # LU a lower ceiling takes, per dB (``PROBE_DB``)


def rehearse(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    chain: Chain,
    scratch: Path,
    aims: dict[str, Aim],
    *,
    exe: str | None = None,
    on_progress: Progress | None = None,
) -> dict[str, Rehearsal]:
    """Chain, gain, limiter and the encoders of ``aims`` ("mp3" and renditions, each limited
    to its own aim) on a sample of the programme, written beside ``scratch`` and deleted: the
    loudness each file will read and the true peak its encoder makes of the limited peaks.

    A long programme is sampled by the decoder: one ``REHEARSAL_SEGMENT_S`` stretch in 2
    (5 min and more) up to 1 in ``MAX_SAMPLING`` (an hour), then in as few as keep the
    sample ``REHEARSAL_MAX_S`` long (1 in 30 for three hours). Loudness is an average:
    minutes of audio estimate it well, for a fraction of the cost; what the sampled stretches
    read apart from the whole (from the analysis frames, ``Chain.sampled_shift``) is taken
    off the levels. (A smaller sample misses the frames where LAME overshoots most: 1 in 15
    cost an hour with the speech chain more encodes.)
    """
    seconds = sum(part.duration_s or 0 for part in program.parts)
    every = min(MAX_SAMPLING, 1 + int(seconds // REHEARSAL_SAMPLING_S))
    every = max(every, math.ceil(seconds / REHEARSAL_MAX_S))
    period = every * REHEARSAL_SEGMENT_S
    sampled = chain.sampled(period, REHEARSAL_SEGMENT_S) if every > 1 else chain
    targets = {
        name: (scratch.with_name(f"{scratch.name}.{name}"), aim) for name, aim in aims.items()
    }
    probe = aims["mp3"].ceiling_db - PROBE_DB
    try:
        sinks, outputs, limiter = _encode(program, fmt, gain_db, sampled, targets, exe=exe,
                                          on_progress=on_progress, probe_db=probe)  # fmt: skip
    finally:
        for path, _ in targets.values():
            path.unlink(missing_ok=True)
    shift = sampled.sampled_shift()
    loss = max(0.0, limiter.loss_lu(len(aims)) - limiter.loss_lu(0)) / PROBE_DB
    return {
        name: Rehearsal(output.integrated - shift, _highest(sink.frames, every), every, loss)
        for name, sink, output in zip(aims, sinks, outputs, strict=True)
    }


def _highest(frames: Frames, every: int) -> float:
    """The highest frame's true peak, away from the joins of a programme sampled 1 in ``every``."""
    peaks = np.frombuffer(frames.true_peak, np.float32).copy()
    if every > 1:
        segment = round(REHEARSAL_SEGMENT_S / FRAME_S)
        joins = np.arange(len(peaks)) % segment
        peaks[(joins < JOIN_FRAMES) | (joins >= segment - JOIN_FRAMES)] = np.nan
    return float(np.nanmax(peaks)) if np.isfinite(peaks).any() else -math.inf


def stream(
    program: Program,
    fmt: Mp3Format,
    gain_db: float,
    chain: Chain,
    limiter: TruePeakLimiter,
    sinks: list[Encoder],
    aims: list[Aim],
    *,
    exe: str | None,
    on_progress: Progress | None,
) -> list[Loudness]:
    """Pipe the decoded programme through chain, gain and limiter (one ceiling per sink) into
    ``sinks``, each trimmed by its aim; what each sink measured. The decoder, this process
    (numpy) and the encoders run at once, on both cores."""
    layout = "mono" if fmt.channels == 1 else "stereo"
    blocks = f"asetnsamples=n={OUT_FRAMES}:p=0"
    # A rehearsal's sample of an episode alone is taken as it is read, in the long packets the
    # encode reads (``aselect`` keeps whole ones: 6 s segments of 0.4 s packets), before it is
    # converted and resampled: an hour's rehearsal decodes in a tenth of the CPU. With an
    # intro or outro it is taken from the programme, in ffmpeg's default packets (1024 frames
    # of a WAV), so that a segment ends within a few ms of where the leveler's plan puts it.
    graph = program.graph(layout, fmt.sample_rate, select=chain.select)
    graph += f";[prog]{chain.decoder_filters},{blocks}[pcm]"
    # One filter thread: afftdn (denoise) would split its channels over threads, and on two
    # busy cores the hand-offs cost a third more CPU than the filter saves.
    threads = ["-filter_complex_threads", "1"]
    inputs = program.inputs(packets=not chain.select or len(program.parts) == 1)
    output = ["-map", "[pcm]", "-f", "f32le", *TO_PIPE, "pipe:1"]
    decoder = FFmpeg(
        [*threads, *inputs, "-filter_complex", graph, *output],
        subject=program.main.path,
        exe=exe,
        stdout=subprocess.PIPE,
        on_progress=fraction(program, on_progress),
    )
    gain = np.float32(10 ** (gain_db / 20))
    trims = [np.float32(10 ** (aim.trim_db / 20)) if aim.trim_db else None for aim in aims]

    def trimmed(blocks: list[np.ndarray]) -> list[np.ndarray]:
        """Each sink's block (a probing ceiling's, past the sinks, is not heard), trimmed."""
        heard = blocks[: len(sinks)]
        return [b if t is None else b * t for b, t in zip(heard, trims, strict=True)]

    meter = Meter(sinks, subject=program.main.path, exe=exe)
    frames = 0

    def pump() -> None:
        nonlocal frames
        with _Writer([sink.stdin for sink in sinks]) as writer:
            for block in read_pcm(decoder, fmt.channels, CHUNK_FRAMES):
                levelled = chain.level(block, frames, fmt.sample_rate)
                frames += len(block)
                writer.put(trimmed(limiter.process_all(levelled * gain)))
            writer.put(trimmed(limiter.flush_all()))

    try:
        _yielding(pump)
        decoder.wait()
        outputs = finish(sinks, meter, frames / fmt.sample_rate)
    except BrokenPipeError:  # an encoder or the meter died: FFmpegError with its own reason
        processes = [meter, *(sink.encoder for sink in sinks)]
        died = [process for process in processes if process.process.poll() is not None]
        for process in processes:
            process.kill()
        for process in died:
            process.wait()
        raise
    except BaseException:
        for process in (decoder, *sinks, meter):
            process.kill()
        raise
    if frames == 0:
        raise AudioError(
            "decodes to no audio at all", path=program.main.path, hint="export it again"
        )
    return outputs


def _yielding(work: Callable[[], None]) -> None:
    """Run ``work`` on a thread of its own at ``HELPER_NICE``, and raise what it raised.

    The encoders are the slowest stage: when this process's numpy work holds the other core,
    a thread an encoder waits on (its filter, its muxer) would wait for a core, and the encoder
    with it; at a lower priority, numpy yields to them (an hour's encode: LAME waited 1.5 s
    less). Threads that ``work`` starts (the ``_Writer``) inherit the priority."""
    failed: list[BaseException] = []

    def run() -> None:
        lower_thread_priority(HELPER_NICE)
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - raised on the calling thread
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


class _Writer:
    """Writes blocks to the encoders on its own thread, so numpy works while LAME encodes."""

    def __init__(self, streams: list) -> None:
        self.streams = streams
        self.blocks: queue.Queue = queue.Queue(maxsize=QUEUED_BLOCKS)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, blocks: list[np.ndarray]) -> None:
        """One block for each stream, in order."""
        if self.error:
            raise self.error
        self.blocks.put([np.ascontiguousarray(block, dtype="<f4") for block in blocks])

    def _run(self) -> None:
        while (data := self.blocks.get()) is not None:
            if self.error is None:
                try:
                    for stream, block in zip(self.streams, data, strict=True):
                        stream.write(block)
                except OSError as exc:  # the encoder died; its stderr says why
                    self.error = exc

    def __exit__(self, *exc_info) -> None:
        self.blocks.put(None)
        self.thread.join()
        if self.error and not exc_info[0]:
            raise self.error
