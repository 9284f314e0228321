"""Publish targets: ``file://DIR`` and ``s3://bucket/prefix`` behind one small protocol.

``parse_target`` is the one place a target URL is read and its scheme checked;
``open_target`` opens what it names, with plain S3 options (no settings object).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, StorageError
from .base import ObjectInfo, OnBytes, Target
from .file import FileTarget

__all__ = [
    "ObjectInfo",
    "OnBytes",
    "Target",
    "TargetURL",
    "TargetURLError",
    "open_target",
    "parse_target",
    "target_dir",
]

SCHEMES_HINT = 'use "file://public" or "s3://bucket/prefix"'
# S3's bucket naming rules (general purpose buckets): 3–63 lower-case letters, digits, dots and
# hyphens, starting and ending with a letter or digit, not an IP address, no reserved affixes.
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
RESERVED_BUCKET = (("xn--", "sthree-", "amzn-s3-demo-"), ("-s3alias", "--ol-s3", ".mrap", "--x-s3"))


class TargetURLError(StorageError, ConfigError):
    """A target URL this tool cannot publish to (a storage error, and a setting to fix)."""


@dataclass(frozen=True)
class TargetURL:
    """A parsed target URL: ``file`` with a folder, or ``s3`` with a bucket and a key prefix."""

    scheme: str
    location: str  # the folder (as written), or the bucket
    prefix: str = ""


def parse_target(url: str) -> TargetURL:
    """Read a target URL; raise TargetURLError with the fix if it names nothing we can use."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme == "file" and rest:
        return TargetURL("file", rest)
    if sep and scheme == "s3":
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise TargetURLError(f"no bucket in the target {url!r}", hint=SCHEMES_HINT)
        problem = bucket_problem(bucket)
        if problem:
            raise TargetURLError(
                f"{bucket!r} is not a valid S3 bucket name: {problem}",
                hint="use the bucket's exact name, e.g. s3://my-podcast/episodes",
            )
        return TargetURL("s3", bucket, prefix)
    if sep and scheme == "file":
        raise TargetURLError(f"no folder in the target {url!r}", hint=SCHEMES_HINT)
    raise TargetURLError(f"unsupported target {url!r}", hint=SCHEMES_HINT)


def bucket_problem(bucket: str) -> str | None:
    """Why ``bucket`` breaks S3's naming rules, or None."""
    if not BUCKET.fullmatch(bucket):
        return (
            "3–63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"
        )
    if ".." in bucket or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", bucket):
        return "no two adjacent dots, and not an IP address"
    starts, ends = RESERVED_BUCKET
    if bucket.startswith(starts) or bucket.endswith(ends):
        return "it uses a prefix or suffix S3 reserves"
    return None


def target_dir(url: str, root: Path) -> Path:
    """The folder of a ``file://`` target; relative paths are relative to ``root``."""
    return (root / parse_target(url).location).resolve()


def open_target(url: str, *, root: Path = Path("."), **options: Any) -> Target:
    """The target a URL names. ``options`` go to S3: endpoint_url, region, addressing, acl,
    checksums, max_attempts, retry_mode; a folder takes none."""
    parsed = parse_target(url)
    if parsed.scheme == "file":
        return FileTarget(target_dir(url, root))
    from .s3 import S3Target  # boto3 takes a while to import: only when needed

    return S3Target(parsed.location, parsed.prefix, **options)
