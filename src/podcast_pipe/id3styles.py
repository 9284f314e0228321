"""How a tag value is stored in ID3: one small class per storage style (as mediafile has).

``tags.FIELDS`` names a style per field: a standard text frame, a TXXX frame told apart by its
description, or iTunes' podcast flag. Each style makes its frame from a
string and reads the string back, so writing and reading cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from mutagen.id3 import ID3, PCST, TXXX, Encoding, Frame, Frames

# UTF-16: ID3 v2.3 has no UTF-8, and Latin-1 cannot hold İ ı ş ğ Ə ə.
TEXT = Encoding.UTF16


@dataclass(frozen=True)
class TextFrame:
    """A standard text frame such as TIT2."""

    id: str

    def make(self, value: str, lang: str) -> Frame:
        return Frames[self.id](encoding=TEXT, text=[value])

    def read(self, tags: ID3) -> str | None:
        frames = tags.getall(self.id)
        return "/".join(str(t) for t in frames[0].text) if frames else None


@dataclass(frozen=True)
class UserText:
    """A TXXX frame, told apart from the others by its description."""

    desc: str

    def make(self, value: str, lang: str) -> Frame:
        return TXXX(encoding=TEXT, desc=self.desc, text=[value])

    def read(self, tags: ID3) -> str | None:
        return _described(tags, "TXXX", self.desc)


@dataclass(frozen=True)
class PodcastFlag:
    """iTunes' PCST frame: an integer flag marking the file as a podcast episode."""

    def make(self, value: str, lang: str) -> Frame:
        return PCST(value=int(value))

    def read(self, tags: ID3) -> str | None:
        frames = tags.getall("PCST")
        return str(frames[0].value) if frames else None


def _described(tags: ID3, frame_id: str, desc: str) -> str | None:
    for frame in tags.getall(frame_id):
        if frame.desc == desc:
            return "/".join(str(t) for t in frame.text)
    return None


Storage = TextFrame | UserText | PodcastFlag
