"""What an analysis or a build's figures mean for the producer: errors and actionable warnings.

Every threshold is in ``THRESHOLDS`` (documented in the README's table); messages name the
file and say what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import AudioError, Problems
from .analyze import Analysis
from .process import HUM_DB

# name: (value, what it means). The one table of the inspector's limits.
THRESHOLDS: dict[str, tuple[float, str]] = {
    "silent_lufs": (-70.0, "integrated loudness at or under this: silent (error)"),
    "min_duration_s": (1.0, "shorter audio is an error"),
    "truncation_s": (0.25, "decoded this much (or 1%) shorter than the header says: truncated"),
    "edge_silence_s": (5.0, "leading or trailing silence longer than this"),
    "gap_s": (10.0, "silence inside the episode longer than this"),
    "clip_peak_db": (-0.1, "a sample peak over this dBFS…"),
    "clip_share": (1e-4, "…and more than this share of samples within 1 dB of it: clipped"),
    "dc_offset": (0.01, "mean sample value over this fraction of full scale"),
    "silent_channel_db": (40.0, "one channel this many dB quieter than the other"),
    "inverted_db": (10.0, "L+R this many dB quieter than L−R: a channel is out of phase"),
    "dual_mono_db": (60.0, "L−R this many dB under L+R (energy): dual mono, published as mono"),
    "hum_db": (
        HUM_DB,
        "a 50/60 Hz line this many dB over its neighbouring frequencies in the "
        "quietest stretches: mains hum (what `dehum` notches)",
    ),
    "snr_db": (20.0, "speech (90th pct. momentary) over the noise floor (10th pct.) under this"),
    "noise_steady_db": (
        6.0,
        "…when the quietest fifth varies less than this (a floor, not content)",
    ),
    "speech_dynamics_db": (3.0, "…and the speech rises at least this much over it"),
    "limiter_db": (3.0, "gain reduction deeper than this…"),
    "limiter_share": (0.05, "…for more than this share of the programme"),
    "encodes": (1.0, "more MP3 encodes than this to meet the target"),
}


def limit(name: str) -> float:
    return THRESHOLDS[name][0]


def audio_problems(
    analysis: Analysis, path: Path, *, channels_setting: str = "auto", mono_target: float = -19.0
) -> Problems:
    """Errors (the file is not usable) or else warnings (it is, but could sound better)."""
    problems = Problems()
    error = file_error(analysis, path)
    if error:
        problems.error(error)
        return problems
    for message, hint in _warnings(analysis, channels_setting, mono_target):
        problems.warn(AudioError(message, path=path, hint=hint))
    return problems


def file_error(a: Analysis, path: Path) -> AudioError | None:
    """Why the file cannot be used at all (unreadable, truncated, too short, silent), or None."""
    again = "copy or export it again"
    if a.unreadable:
        return AudioError(f"cannot read it as audio: {a.unreadable}", path=path,
                          hint="export it again as WAV, FLAC or MP3")  # fmt: skip
    if truncated := truncation_error(path, a.declared_s, a.duration_s):
        return truncated
    if not a.finished:
        return AudioError("the file is truncated: the Ogg stream has no end", path=path,
                          hint=again)  # fmt: skip
    if a.duration_s < limit("min_duration_s"):
        return AudioError(f"too short: {a.duration_s:.2f} s of audio", path=path,
                          hint="is this the right file? episodes and clips need at least 1 s")  # fmt: skip
    if a.integrated <= limit("silent_lufs"):
        return AudioError(f"silent: it reads {a.integrated:.0f} LUFS", path=path,
                          hint="check the recording's input and export it again")  # fmt: skip
    return None


def truncation_error(path: Path, declared_s: float | None, decoded_s: float) -> AudioError | None:
    """A file that decodes shorter than its header states (a cut-off copy or upload)."""
    slack = max(limit("truncation_s"), 0.01 * (declared_s or 0))
    if declared_s and decoded_s < declared_s - slack:
        return AudioError(f"the file is truncated: its header promises {declared_s:.1f} s, "
                          f"only {decoded_s:.1f} s decode", path=path,
                          hint="copy or export it again")  # fmt: skip
    return None


def dual_mono(a: Analysis) -> bool:
    """Stereo whose channels hold the same signal (dithered or not): it is published as mono."""
    return (
        a.channels == 2
        and len(a.stats) == 2
        and a.difference_rms_db <= a.sum_rms_db - limit("dual_mono_db")
    )


def _warnings(a: Analysis, channels_setting: str, mono_target: float) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    trim = "set `trim_silence = true` in [audio] of podcast.toml, or cut it in your editor"
    edge = limit("edge_silence_s")
    for start, end in a.silences:
        length = end - start
        if start <= 0.05 and length > edge:
            found.append((f"{length:.0f} s of silence at the start", trim))
        elif end >= a.duration_s - 0.05 and length > edge:
            found.append((f"{length:.0f} s of silence at the end", trim))
        elif start > 0.05 and end < a.duration_s - 0.05 and length > limit("gap_s"):
            found.append((f"{length:.0f} s of silence at {_clock(start)}",
                          "cut the gap in your editor if it is not meant"))  # fmt: skip
    found += _channel_warnings(a, channels_setting, mono_target)
    if a.hum_hz:
        hz = f"{min(a.hum_hz):g}"
        found.append((f"mains hum: a {hz} Hz line {a.hum_over_floor_db:.0f} dB over its surroundings",
                      'add "dehum" to [audio] process, or fix the ground loop'))  # fmt: skip
    snr = a.speech_lufs - a.noise_lufs
    floor = a.noise_lufs > limit("silent_lufs") and a.noise_spread_db < limit("noise_steady_db")
    if floor and limit("speech_dynamics_db") <= snr < limit("snr_db"):
        found.append((f"the noise floor is only {snr:.0f} dB under the speech",
                      "use noise reduction before publishing; record closer to the microphone"))  # fmt: skip
    return found


def _channel_warnings(
    a: Analysis, channels_setting: str, mono_target: float
) -> list[tuple[str, str]]:
    found = []
    share = a.near_full_scale / a.samples if a.samples else 0.0
    if a.sample_peak >= limit("clip_peak_db") and share > limit("clip_share"):
        found.append((f"clipped: {a.near_full_scale} samples at or over full scale in the source",
                      "record or export with more headroom; a de-clipper can repair some"))  # fmt: skip
    if any(abs(s.dc_offset) > limit("dc_offset") for s in a.stats):
        found.append(("DC offset in the source",
                      "apply a high-pass filter or DC offset removal in your editor"))  # fmt: skip
    if a.channels != 2 or len(a.stats) != 2:
        return found
    left, right = (s.rms_db for s in a.stats)
    if abs(left - right) >= limit("silent_channel_db"):
        side = "right" if right < left else "left"
        found.append((f"the {side} channel is silent",
                      'set `channels = "1"` in [audio], or export the file as mono'))  # fmt: skip
    elif a.sum_rms_db < a.difference_rms_db - limit("inverted_db"):
        found.append(("one channel is out of phase: it cancels out in mono",
                      "invert the polarity of one channel in your editor"))  # fmt: skip
    elif dual_mono(a) and channels_setting == "auto":
        found.append((f"dual mono published as mono, at the mono target {mono_target:g} LUFS "
                      "(it plays as loud as stereo at `loudness`)",
                      'nothing to do if the channels are meant to be the same; '
                      'set `channels = "2"` in [audio] to keep both'))  # fmt: skip
    return found


def build_warnings(
    gain_reduction_db: Sequence[float],
    encodes: int,
    *,
    max_reduction_db: float = 0.0,
    limited_ms: float = 0.0,
    duration_s: float = 0.0,
) -> list[str]:
    """Warnings from a build's figures (message — hint): the limiter working hard, re-encodes.

    With the per-second gain reduction the share is exact; from the limiter's totals alone it
    is the time it was active at any depth, once its deepest reduction passed the limit.
    """
    found = []
    if gain_reduction_db:
        hard = sum(1 for g in gain_reduction_db if g > limit("limiter_db"))
        share = hard / len(gain_reduction_db)
    elif max_reduction_db > limit("limiter_db") and duration_s:
        share = limited_ms / 1000 / duration_s
    else:
        share = 0.0
    if share > limit("limiter_share"):
        found.append(f"the limiter took off more than {limit('limiter_db'):g} dB for "
                     f"{share:.0%} of the programme: it is compressing, not catching peaks — "
                     "lower `loudness` in [audio], or tame the peaks with a compressor first")  # fmt: skip
    if encodes > limit("encodes"):
        found.append(f"the MP3 was encoded {encodes} times to meet the target — normal for "
                     "peaky audio; a higher `bitrate` in [audio] overshoots less")  # fmt: skip
    return found


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
