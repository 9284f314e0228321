"""Local files: one atomic writer and one hasher for the whole tool.

A crash leaves the old file or the new one, never half of one: everything is written to a
temporary name beside its destination and renamed into place.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

BLOCK = 1 << 20


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (creating its folder) through a temporary file and a rename."""
    with atomic_path(path) as temp:
        temp.write_bytes(data)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds exactly that."""
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a tool (ffmpeg, a copy) to write; renamed on success.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")  # unique per call
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _digest_file(path: Path, algorithm: str):
    """A hashlib digest of a file, read in blocks (bounded memory for long WAVs)."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as stream:
        while block := stream.read(BLOCK):
            digest.update(block)
    return digest


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    return _digest_file(path, "sha256").hexdigest()


def sri_sha384_file(path: Path) -> str:
    """A file's Subresource Integrity value, ``sha384-<base64>`` (podcast:integrity)."""
    digest = _digest_file(path, "sha384").digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()
