"""Publish targets: ``file://DIR`` and ``s3://bucket/prefix`` behind one small protocol."""

from __future__ import annotations

from pathlib import Path

from ..config import PublishSettings
from ..errors import ConfigError
from .base import ObjectInfo, Target, cache_control, content_type
from .file import FileTarget

__all__ = ["ObjectInfo", "Target", "cache_control", "content_type", "open_target", "target_dir"]


def target_dir(url: str, root: Path) -> Path:
    """The folder of a ``file://`` target; relative paths are relative to the show."""
    return (root / url.removeprefix("file://")).resolve()


def open_target(url: str, settings: PublishSettings, *, root: Path = Path(".")) -> Target:
    """The target a ``[publish] target`` URL names."""
    if url.startswith("file://"):
        return FileTarget(target_dir(url, root))
    if url.startswith("s3://"):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ConfigError(
                "no bucket in the target", field="publish.target", hint='use "s3://bucket/prefix"'
            )
        from .s3 import S3Target  # boto3 takes a while to import: only when needed

        return S3Target(bucket, prefix, settings)
    raise ConfigError(
        f"unsupported target {url!r}",
        field="publish.target",
        hint='use "file://public" or "s3://bucket/prefix"',
    )
