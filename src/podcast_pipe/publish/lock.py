"""One run at a time: a lock on the workspace (build/) and a lock on the target.

``WorkspaceLock`` is an OS file lock on ``build/publish.lock``, held around build and publish:
the kernel releases it when its process dies, so it never goes stale. ``PublishLock`` is
``publish.lock`` on the target, for two machines publishing to one place: a create-only put
(``If-None-Match: *``) where the store supports it, else write-then-read-back (which stops the
common case, two people or two CI jobs at once, not a deliberate race). ``unlock`` clears both
when their holder is gone.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import socket
import uuid
from pathlib import Path
from typing import IO, Any

from ..errors import ConditionalWriteUnsupported, ObjectExists, PublishError, StorageError
from ..storage import Target
from . import layout

LOCK_KEY = layout.LOCK_KEY
LOCAL_NAME = "publish.lock"  # in build/
# A publish of the sample show takes seconds; a lock this old was left by one that crashed.
STALE_LOCK = dt.timedelta(hours=1)
UNLOCK_HINT = "if none is running (one was killed), run `podcast-pipe unlock`"


def holder(now: dt.datetime) -> dict[str, Any]:
    """Who takes a lock: user, host, pid and since when (shown to the run that finds it)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "someone"
    host = socket.gethostname()
    return {
        "owner": f"{user}@{host} (pid {os.getpid()})",
        "host": host,
        "pid": os.getpid(),
        "since": now.isoformat(),
        "token": uuid.uuid4().hex,
    }


class WorkspaceLock:
    """Held around build + publish: a second run exits at once naming the holder (or waits)."""

    def __init__(self, build_dir: Path, now: dt.datetime, *, wait: bool = False) -> None:
        self.path, self.now, self.wait = build_dir / LOCAL_NAME, now, wait
        self.file: IO[str] | None = None

    def __enter__(self) -> WorkspaceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self.file.seek(0)
            held = read_lock(self.file.read().encode())
            self.file.close()
            who = f"{held['owner']} since {held['since']}" if held else "another process"
            raise PublishError(
                f"another podcast-pipe run is using this workspace: {who}",
                path=self.path.parent,
                hint="wait for it to finish (`publish --wait` waits by itself)",
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(json.dumps(holder(self.now)))
        self.file.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.file:
            self.file.truncate(0)
            self.file.close()  # releases the lock


class PublishLock:
    """``publish.lock`` on the target, held while a publish writes there.

    Entering returns notes for the producer (a stale lock taken over).
    """

    def __init__(self, target: Target, now: dt.datetime) -> None:
        self.target, self.now = target, now
        self.lock = holder(now)

    def __enter__(self) -> list[str]:
        data = json.dumps(self.lock).encode()
        for _ in range(3):  # a lock released between our put and our read: try again
            try:
                self.target.put(LOCK_KEY, data, **layout.headers(LOCK_KEY), if_absent=True)
                return []
            except ConditionalWriteUnsupported:
                return self._write_then_read(data)
            except ObjectExists:
                held = read_lock(self.target.get(LOCK_KEY))
                if held is not None:
                    return self._take_over(held, data)
        raise PublishError(
            "the target's lock keeps changing hands",
            path=self.target.url + LOCK_KEY,
            hint="another publish is running there: let it finish, then publish again",
        )

    def _write_then_read(self, data: bytes) -> list[str]:
        held = read_lock(self.target.get(LOCK_KEY))
        notes = self._take_over_note(held) if held else []
        self.target.put(LOCK_KEY, data, **layout.headers(LOCK_KEY))
        if (read_lock(self.target.get(LOCK_KEY)) or {}).get("token") != self.lock["token"]:
            raise PublishError(
                "another publish took the lock at the same moment",
                path=self.target.url + LOCK_KEY,
                hint="let it finish, then publish again",
            )
        return notes

    def _take_over(self, held: dict[str, Any], data: bytes) -> list[str]:
        notes = self._take_over_note(held)
        self.target.delete([LOCK_KEY])
        try:
            self.target.put(LOCK_KEY, data, **layout.headers(LOCK_KEY), if_absent=True)
        except ObjectExists:
            raise PublishError(
                "another publish took over the stale lock at the same moment",
                path=self.target.url + LOCK_KEY,
                hint="let it finish, then publish again",
            ) from None
        return notes

    def _take_over_note(self, held: dict[str, Any]) -> list[str]:
        """Refuse a fresh lock; the note for taking over a stale one."""
        if self.now - dt.datetime.fromisoformat(held["since"]) < STALE_LOCK:
            raise PublishError(
                f"another publish is running: locked by {held['owner']} since {held['since']}",
                path=self.target.url + LOCK_KEY,
                hint=f"wait for it to finish; {UNLOCK_HINT}; a lock older than 1 hour is "
                "taken over by itself",
            )
        return [
            f"took over a stale lock from {held['owner']} (since {held['since']}): "
            "that publish crashed or was stopped; this one resumes its work"
        ]

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        try:
            self.target.delete([LOCK_KEY])
        except StorageError:
            if exc_type is None:
                raise
            # The failure that got us here is the one to report; this lock goes stale in an hour.


def unlock(build_dir: Path, target: Target) -> list[str]:
    """Clear a stale workspace lock and target lock; refuse while a holder runs on this machine.

    Returns what was cleared, in a producer's words.
    """
    local = build_dir / LOCAL_NAME
    cleared = []
    left = read_lock(local.read_bytes()) if local.is_file() else None
    if left:  # a run that was killed left its name (the file itself stays: it is the lock)
        try:
            with WorkspaceLock(build_dir, dt.datetime.now(dt.UTC)):
                pass  # leaving empties it
        except PublishError as exc:
            raise PublishError(
                exc.message, path=build_dir, hint="let it finish (or stop it), then unlock"
            ) from None
        cleared.append(f"cleared {local} ({left['owner']}, since {left['since']})")
    held = read_lock(target.get(LOCK_KEY))
    if held:
        if held.get("host") == socket.gethostname() and _alive(held.get("pid")):
            raise PublishError(
                f"the target's lock is held by a running process: {held['owner']}",
                path=target.url + LOCK_KEY,
                hint="let it finish (or stop it), then unlock",
            )
        target.delete([LOCK_KEY])
        cleared.append(f"cleared {target.url}{LOCK_KEY} ({held['owner']}, since {held['since']})")
    return cleared


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def read_lock(data: bytes | None) -> dict[str, Any] | None:
    """The lock's holder; an unreadable lock counts as very old, an empty one as none."""
    if not data:
        return None
    try:
        lock = json.loads(data)
        dt.datetime.fromisoformat(lock["since"])
        return {**lock, "owner": str(lock["owner"])}
    except (ValueError, KeyError, TypeError):
        return {"owner": "unknown", "since": dt.datetime.min.replace(tzinfo=dt.UTC).isoformat()}
