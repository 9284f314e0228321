"""Transcript cues for display: start, speaker and plain text of each cue.

Read by the one transcript reader (transcripts.py); a cue it cannot read is left out here,
so a page is never blocked by a transcript that ``check`` already reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problems
from ..transcripts import read_transcript

VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]+)>")
TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Cue:
    start_s: float
    text: str
    speaker: str | None = None


def read_cues(path: Path) -> list[Cue]:
    """The cues of a .vtt or .srt file in file order, as a page shows them."""
    cues = []
    for cue in read_transcript(path, Problems()):
        body = " ".join(line.strip() for line in cue.text.split("\n") if line.strip())
        voice = VOICE.search(body)
        words = " ".join(TAG.sub("", body).split())
        if words:
            cues.append(
                Cue(cue.start_s, _unescape(words), voice.group(1).strip() if voice else None)
            )
    return cues


def _unescape(text: str) -> str:
    """WebVTT's character references (the renderer escapes the text again)."""
    for ref, char in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", " "), ("&amp;", "&")):
        text = text.replace(ref, char)
    return text
