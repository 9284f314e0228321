"""``file://DIR``: a folder (served by ``podcast-pipe serve`` or any web server)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import StorageError
from .base import ObjectInfo, Progress, content_type

CHUNK = 1 << 20


class FileTarget:
    """Objects are files under ``root``; every write is a temp file renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"file://{root}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"key escapes the target: {key!r}")
        return path

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return ObjectInfo(key, path.stat().st_size, content_type(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._atomic(key) as out:
            out.write(data)

    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        with path.open("rb") as src, self._atomic(key) as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
                if progress:
                    progress(len(chunk))

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)

    def list_keys(self, limit: int) -> list[str]:
        if not self.root.is_dir():
            return []
        keys = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                keys.append(path.relative_to(self.root).as_posix())
                if len(keys) >= limit:
                    break
        return keys

    def _atomic(self, key: str) -> _AtomicFile:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create {path.parent}: {exc.strerror}",
                path=self.url,
                hint="check the folder's permissions or change [publish] target",
            ) from exc
        return _AtomicFile(path)


class _AtomicFile:
    """A hidden temp file next to ``path``, renamed over it only when writing succeeded.

    A reader (or ``serve``) never sees a half-written object.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self):
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        self.tmp = Path(name)
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, exc_type, exc, tb) -> None:
        self.file.close()
        if exc_type is not None:
            self.tmp.unlink(missing_ok=True)
            return
        # mkstemp creates 0600 files; published objects must be readable by a web server.
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.path)
