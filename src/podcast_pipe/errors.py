"""Problems a producer or operator can fix: each names the file, the field and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class PodcastError(Exception):
    """A user-fixable problem. Printed by the CLI as ``path: field: message — hint``."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.field = field
        self.hint = hint

    def __str__(self) -> str:
        parts = [str(p) for p in (display_path(self.path) if self.path else None, self.field) if p]
        text = ": ".join([*parts, self.message])
        return f"{text} — {self.hint}" if self.hint else text


def display_path(path: Path | str) -> str:
    """A path as the user typed it: relative to the current folder when it is inside it."""
    if "://" in str(path):
        return str(path)  # a target URL such as s3://bucket/prefix
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class ConfigError(PodcastError):
    """podcast.toml is missing, unreadable or has a bad value."""


class EpisodeError(PodcastError):
    """An episode's metadata or companion files are wrong."""


class AudioError(PodcastError):
    """Audio that cannot be decoded, is empty or silent, or cannot be mastered."""


class FFmpegError(AudioError):
    """ffmpeg is missing or failed."""


class ArtworkError(PodcastError):
    """Cover art of the wrong size, format or colour mode."""


class FeedError(PodcastError):
    """The feed cannot be generated from the metadata."""


class StorageError(PodcastError):
    """The publish target refused or could not be reached."""


class ObjectExists(StorageError):
    """A create-only put (``if_absent``) found the key taken."""


class ConditionalWriteUnsupported(StorageError):
    """The store ignores or rejects create-only puts (some S3-compatible services)."""


class BuildError(PodcastError):
    """The build cannot reach its shared cache, its sources or its executor."""


class PublishError(PodcastError):
    """Publishing would break a promise (drop a live episode, overwrite media, …)."""


@dataclass
class Problems:
    """Collects errors and warnings so ``check`` can show them all at once."""

    errors: list[PodcastError] = field(default_factory=list)
    warnings: list[PodcastError] = field(default_factory=list)

    def error(self, problem: PodcastError) -> None:
        self.errors.append(problem)

    def warn(self, problem: PodcastError) -> None:
        self.warnings.append(problem)

    def extend(self, other: Problems) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_first(self) -> None:
        """Raise the first error, carrying the count of the others in its hint."""
        if not self.errors:
            return
        first = self.errors[0]
        if len(self.errors) > 1:
            more = f"{len(self.errors) - 1} more problem(s): run `podcast-pipe check`"
            first.hint = f"{first.hint}; {more}" if first.hint else more
        raise first
