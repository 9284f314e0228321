"""The target's publish lock: one publish at a time, and a crashed one's lock taken over.

S3 has no portable compare-and-swap, so this is write-then-read-back: it stops the common
case (two people or two CI jobs publishing at once), not a deliberate race.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import uuid

from ..errors import PublishError, StorageError
from ..storage import Target
from . import layout

LOCK_KEY = layout.LOCK_KEY
# A publish of the sample show takes seconds; a lock this old was left by one that crashed.
STALE_LOCK = dt.timedelta(hours=1)


class PublishLock:
    """Held for the whole publish (skipped for a dry run, which must not write anything).

    Entering returns notes for the producer (a stale lock taken over).
    """

    def __init__(self, target: Target, now: dt.datetime, dry_run: bool) -> None:
        self.target, self.now, self.dry_run = target, now, dry_run
        self.token = uuid.uuid4().hex

    def __enter__(self) -> list[str]:
        if self.dry_run:
            return []
        notes = []
        held = read_lock(self.target.get(LOCK_KEY))
        if held:
            since = dt.datetime.fromisoformat(held["since"])
            age = self.now - since
            if age < STALE_LOCK:
                raise PublishError(
                    f"another publish is running: locked by {held['owner']} since {held['since']}",
                    path=self.target.url + LOCK_KEY,
                    hint="wait for it to finish; if none is running (one was killed), delete "
                    f"{LOCK_KEY} there; a lock older than 1 hour is taken over by itself",
                )
            notes.append(
                f"took over a stale lock from {held['owner']} (since {held['since']}): "
                "that publish crashed or was stopped; this one resumes its work"
            )
        lock = {"owner": _owner(), "since": self.now.isoformat(), "token": self.token}
        self.target.put(LOCK_KEY, json.dumps(lock).encode(), **layout.headers(LOCK_KEY))
        if (read_lock(self.target.get(LOCK_KEY)) or {}).get("token") != self.token:
            raise PublishError(
                "another publish took the lock at the same moment",
                path=self.target.url + LOCK_KEY,
                hint="let it finish, then publish again",
            )
        return notes

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        if self.dry_run:
            return
        try:
            self.target.delete([LOCK_KEY])
        except StorageError:
            if exc_type is None:
                raise
            # The failure that got us here is the one to report; this lock goes stale in an hour.


def read_lock(data: bytes | None) -> dict[str, str] | None:
    """The lock's owner and time; an unreadable lock counts as very old."""
    if data is None:
        return None
    try:
        lock = json.loads(data)
        dt.datetime.fromisoformat(lock["since"])
        return {"owner": str(lock["owner"]), "since": lock["since"], "token": lock.get("token")}
    except (ValueError, KeyError, TypeError):
        return {"owner": "unknown", "since": dt.datetime.min.replace(tzinfo=dt.UTC).isoformat()}


def _owner() -> str:
    """Who holds the lock, for the message another publish shows: user@host, pid."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "someone"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"
