"""The Target protocol: a plain object store (put, head, get, list, delete), nothing more.

A target knows keys, bytes and the headers it is told to store; which key holds what, and
with which headers, is the publish stage's business (publish/layout.py).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

OnBytes = Callable[[int], None]  # called with the bytes sent since the last call


@dataclass(frozen=True)
class ObjectInfo:
    """What HEAD says about an object; ``cache_control`` is None where the store keeps none."""

    key: str
    bytes: int
    content_type: str
    cache_control: str | None = None


class Target(Protocol):
    """A place to publish to. Keys are ``/``-separated and relative to the target's root."""

    url: str  # for messages; never carries credentials
    # True if HEAD reports the headers given to put (S3); False if it can only guess them
    # from the key's suffix (a folder, whose web server decides).
    stores_headers: bool

    def put(
        self,
        key: str,
        source: bytes | Path,
        *,
        content_type: str,
        cache_control: str,
        on_bytes: OnBytes | None = None,
        if_absent: bool = False,
    ) -> None:
        """Store bytes, or a file streamed in bounded memory, under ``key`` with these headers.

        ``if_absent``: create only (bytes only), atomically; raise ObjectExists if the key is
        taken, ConditionalWriteUnsupported if the store cannot tell.
        """
        ...

    def restyle(self, key: str, *, content_type: str, cache_control: str) -> None:
        """Store an existing object again with these headers (and the target's ACL), in place."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """Size and headers, or None if the object does not exist."""
        ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None if it does not exist."""
        ...

    def list(self, prefix: str = "", limit: int | None = None) -> builtins.list[str]:
        """Keys under ``prefix`` (up to ``limit`` of them), sorted."""
        ...

    def delete(self, keys: builtins.list[str]) -> builtins.list[str]:
        """Delete objects; missing ones are not an error. Returns the keys it could not delete."""
        ...
