"""``file://DIR``: a folder (served by ``podcast-pipe serve`` or any web server).

A folder keeps no headers: HEAD reports the type a web server would send for the key's suffix.
"""

from __future__ import annotations

import builtins
import os
from pathlib import Path

from .. import mediatypes
from ..errors import ObjectExists, StorageError
from ..files import atomic_path
from .base import ObjectInfo, OnBytes

CHUNK = 1 << 20


class FileTarget:
    """Objects are files under ``root``; every write goes through files.atomic_path."""

    stores_headers = False

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"file://{root}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the target: {key!r}")
        return path

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
        """Write the object; a reader (or ``serve``) never sees half of one."""
        path = self._path(key)
        try:
            with atomic_path(path) as temp:
                if isinstance(source, Path):
                    _copy(source, temp, on_bytes)
                else:
                    temp.write_bytes(source)
                    if on_bytes:
                        on_bytes(len(source))
                # published objects must be readable by a web server, whatever the umask
                os.chmod(temp, 0o644)
                if if_absent:
                    # link(2) fails if the name is taken: a create-only write. The rename that
                    # follows sees one file under both names and leaves it (POSIX).
                    _link_new(temp, path, self.url)
        except OSError as exc:
            raise StorageError(
                f"cannot write {path}: {exc.strerror}",
                path=self.url,
                hint="check the folder's permissions or change [publish] target",
            ) from exc

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return ObjectInfo(key, path.stat().st_size, mediatypes.for_suffix(key))

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def list(self, prefix: str = "", limit: int | None = None) -> builtins.list[str]:
        if not self.root.is_dir():
            return []
        keys = []
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            # hidden files are temporaries of a write in progress
            if path.is_file() and not path.name.startswith(".") and key.startswith(prefix):
                keys.append(key)
                if limit is not None and len(keys) >= limit:
                    break
        return keys

    def restyle(self, key: str, *, content_type: str, cache_control: str) -> None:
        """A folder keeps no headers (its web server chooses them): nothing to store."""

    def delete(self, keys: builtins.list[str]) -> builtins.list[str]:
        failed = []
        for key in keys:
            try:
                self._path(key).unlink(missing_ok=True)
            except OSError:
                failed.append(key)
        return failed


def _link_new(temp: Path, path: Path, url: str) -> None:
    try:
        os.link(temp, path)
    except FileExistsError:
        raise ObjectExists(f"{path.name} exists", path=url) from None


def _copy(source: Path, destination: Path, on_bytes: OnBytes | None) -> None:
    with source.open("rb") as reader, destination.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            writer.write(chunk)
            if on_bytes:
                on_bytes(len(chunk))
