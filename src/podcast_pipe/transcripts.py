"""Transcripts (WebVTT, SRT) read cue by cue with line numbers, so ``check`` can point at a line.

Malformed cues, cues that end before they start, overlap the previous one or run past the end
of the audio are problems naming the file and the line. Apple ingests VTT (QUIRKS, apps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import EpisodeError, Problems

END_SLACK_S = 0.5  # a cue may end this much after the audio (rounding, encoder padding)
_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})"
_TIMING = re.compile(rf"^{_TIME}\s+-->\s+{_TIME}(?:\s+.*)?$")
_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str
    line: int  # of the timing line, 1-based


def read_transcript(path: Path, problems: Problems) -> list[Cue]:
    """The cues of a .vtt or .srt file; each malformed one becomes an error in ``problems``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.error(_error(path, 1, f"cannot read it as UTF-8 text ({exc})"))
        return []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    vtt = path.suffix.lower() == ".vtt"
    if vtt and not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]):
        problems.error(_error(path, 1, 'a WebVTT file must start with a "WEBVTT" line'))
        return []
    cues = []
    for number, block in _blocks(lines, skip_header=vtt):
        if vtt and block[0].split(" ")[0] in _VTT_BLOCKS:
            continue
        cue = _cue(path, number, block, vtt, problems)
        if cue:
            cues.append(cue)
    return cues


def check_transcript(path: Path, audio_s: float | None, problems: Problems) -> None:
    """Add every problem of the transcript at ``path`` (cue times against ``audio_s``)."""
    previous: Cue | None = None
    for cue in read_transcript(path, problems):
        if previous and cue.start_s < previous.end_s:
            problems.error(_error(path, cue.line, f"the cue starts at {cue.start_s:.3f} s, "
                                  f"before the previous one ends ({previous.end_s:.3f} s)"))  # fmt: skip
        if audio_s is not None and cue.end_s > audio_s + END_SLACK_S:
            problems.error(_error(path, cue.line, f"the cue ends at {cue.end_s:.1f} s, after "
                                  f"the end of the audio ({audio_s:.1f} s)"))  # fmt: skip
        previous = cue


def _blocks(lines: list[str], *, skip_header: bool) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the 1-based number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for index, line in enumerate(lines):
        if line.strip():
            if not current:
                start = index + 1
            current.append(line.strip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks[1:] if skip_header and blocks else blocks


def _cue(path: Path, number: int, block: list[str], vtt: bool, problems: Problems) -> Cue | None:
    """One cue: an optional identifier (SRT: the counter), the timing line, the text."""
    looks_timed = "-->" in block[0] or re.match(r"^\d+:\d", block[0])
    timing_at = 0 if looks_timed or len(block) == 1 else 1
    line = number + timing_at
    match = _TIMING.match(block[timing_at]) if "-->" in block[timing_at] else None
    if match is None:
        example = "00:01:02.500 --> 00:01:05.000" if vtt else "00:01:02,500 --> 00:01:05,000"
        problems.error(_error(path, line, f"not a cue timing line: {block[timing_at][:60]!r}",
                              f"write it as `{example}`"))  # fmt: skip
        return None
    start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
    if end <= start:
        problems.error(_error(path, line, "the cue ends before it starts"))
        return None
    return Cue(start, end, "\n".join(block[timing_at + 1 :]), line)


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, millis = (int(p or 0) for p in parts)
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def _error(path: Path, line: int, message: str, hint: str | None = None) -> EpisodeError:
    return EpisodeError(message, path=path, field=f"line {line}",
                        hint=hint or "fix the transcript, or export it again")  # fmt: skip
