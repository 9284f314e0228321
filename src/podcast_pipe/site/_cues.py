"""Transcript cues for display: a lenient WebVTT/SRT reader (check validates the files).

The site only needs each cue's start, speaker and text; anything it cannot read is skipped,
so a page is never blocked by a transcript that ``check`` already reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TIMING = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})\s*-->")
VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]+)>")
TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Cue:
    start_s: float
    text: str
    speaker: str | None = None


def read_cues(path: Path) -> list[Cue]:
    """The cues of a .vtt or .srt file in file order; [] when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = block.strip().split("\n")
        at = next((i for i, line in enumerate(lines) if TIMING.match(line.strip())), None)
        if at is None:
            continue  # header, NOTE, STYLE or a damaged block
        hours, minutes, seconds, millis = TIMING.match(lines[at].strip()).groups()
        start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000
        body = " ".join(line.strip() for line in lines[at + 1 :] if line.strip())
        voice = VOICE.search(body)
        words = " ".join(TAG.sub("", body).split())
        if words:
            cues.append(Cue(start, _unescape(words), voice.group(1).strip() if voice else None))
    return cues


def _unescape(text: str) -> str:
    """WebVTT's character references (the renderer escapes the text again)."""
    for ref, char in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " "), ("&amp;", "&")):
        text = text.replace(ref, char)
    return text
