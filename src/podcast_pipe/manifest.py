"""What is live on the target: per episode its GUID, object keys, sizes and hashes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LiveEpisode:
    """One episode as published (or as it will be published by the current plan).

    Keys are relative to the target and to ``Show.publish.base_url``.
    """

    guid: str
    slug: str
    media_key: str  # episodes/<slug>-<hash8>.mp3
    bytes: int
    sha256: str  # of the published MP3
    duration_s: float
    source_sha256: str  # of the source audio, to match renamed episodes
    published_at: str  # ISO 8601, when this episode first went live
    season: int | None = None
    episode: int | None = None
    image_key: str | None = None  # images/<name>-<hash8>.<jpg|png>
    chapters_key: str | None = None  # chapters/<slug>.json
    transcript_key: str | None = None  # transcripts/<slug>.<vtt|srt>
