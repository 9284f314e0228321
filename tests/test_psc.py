"""Podlove Simple Chapters times: Normal Play Time to the millisecond."""

from __future__ import annotations

import podcastparser
import pytest

from podcast_pipe.psc import npt


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00:00.000"),
        (135.5, "00:02:15.500"),
        (59.9996, "00:01:00.000"),  # rounds into the next minute, not to "00:00:60.000"
        (3723.25, "01:02:03.250"),
        (36_000.001, "10:00:00.001"),
    ],
)
def test_npt(seconds: float, text: str) -> None:
    assert npt(seconds) == text
    assert podcastparser.parse_time(text) == int(round(seconds, 3))
