"""Per-second curves of one master, for the audio inspector (index i covers second i..i+1).

Filled from passes the build makes anyway: the analysis pass's ``ebur128`` metadata (the source;
plus the gain it was given), the encode meter's frames (the published file) and the limiter's
own statistics. Loudness values are LUFS (``-inf`` as -120.0), peaks dBTP.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SILENT = -120.0  # what a curve holds where the meter reads -inf


@dataclass(frozen=True)
class Timeline:
    momentary_in: list[float] = field(default_factory=list)  # 400 ms, source after gain
    short_term_in: list[float] = field(default_factory=list)  # 3 s, source after gain
    momentary_out: list[float] = field(default_factory=list)  # 400 ms, published file
    short_term_out: list[float] = field(default_factory=list)  # 3 s, published file
    true_peak_out: list[float] = field(default_factory=list)  # dBTP, max within the second
    gain_reduction_db: list[float] = field(default_factory=list)  # limiter, max within (≥ 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeline:
        return cls(**{k: list(v) for k, v in data.items() if k in cls.__dataclass_fields__})
