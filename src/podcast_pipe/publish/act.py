"""Carrying out a plan: upload and verify, then the feed, then delete, then the manifest.

The order is the never-broken-feed promise (SPEC): every object the new feed names is uploaded
and verified (HEAD) before the feed; objects out of the feed are deleted only once the new feed
is live (and ``keep_old`` has passed); the manifest last, recording what was done. A failure
anywhere leaves the previous feed live.
"""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import PublishError, StorageError
from ..events import QUIET, Reporter
from ..files import write_if_changed
from ..manifest import LOCAL_NAME, Manifest, dump_manifest, parse_manifest, write_local
from ..storage import Target
from . import layout
from .plan import Plan, Upload


def remote_manifest(target: Target, local_copy: Path) -> Manifest:
    """The manifest on the target; an empty one only if the target is empty too.

    ``local_copy`` is feed/manifest.json, offered as the fix when the target lost its manifest.
    """
    data = target.get(layout.MANIFEST_KEY)
    if data is not None:
        return parse_manifest(data, target.url + layout.MANIFEST_KEY)
    others = [key for key in target.list(limit=2) if key != layout.LOCK_KEY]
    if others:
        restore = (
            f"restore it from {local_copy}"
            if local_copy.is_file()
            else "point it at an empty place"
        )
        raise PublishError(
            f"the target holds objects (e.g. {others[0]}) but no {layout.MANIFEST_KEY}, so what "
            "is live is unknown",
            path=target.url,
            hint=f"{restore}, or empty the target: publishing blind could duplicate episodes",
        )
    return Manifest()


def execute(
    plan: Plan, target: Target, *, concurrency: int = 4, reporter: Reporter = QUIET
) -> None:
    """Upload and verify, apply headers, then the feed, then delete, then the manifest.

    The manifest goes last so that it records what really happened: a retired object that could
    not be deleted stays in it (``plan.manifest`` is updated), and the next publish retries.
    """
    if plan.uploads:
        reporter.on_start("upload", sum(u.bytes for u in plan.uploads))
    report = _serialised(reporter)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        # list() re-raises the first failure; the feed is not touched after one.
        list(pool.map(lambda u: _upload(target, u, report), plan.uploads))
        list(pool.map(lambda key: _restyle(target, key, report), plan.restyle))
    if plan.feed_changed:
        _put(target, layout.FEED_KEY, plan.feed)
        reporter.on_event(layout.FEED_KEY, "uploaded")
    _delete(plan, target, reporter)
    if plan.manifest != plan.previous:
        _put(target, layout.MANIFEST_KEY, dump_manifest(plan.manifest))
        reporter.on_event(layout.MANIFEST_KEY, "uploaded")


def _delete(plan: Plan, target: Target, reporter: Reporter) -> None:
    """Delete the retired objects whose time has come; keep the failures recorded."""
    if not plan.deletes:
        return
    try:
        failed = target.delete(plan.deletes)
    except StorageError as exc:
        failed, why = list(plan.deletes), f" ({exc.message})"
    else:
        why = ""
    for key in sorted(set(plan.deletes) - set(failed)):
        reporter.on_event(key, "deleted")
    if failed:
        kept = {key: plan.retired[key] for key in failed}
        plan.manifest = dataclasses.replace(
            plan.manifest, retired={**plan.manifest.retired, **kept}
        )
        plan.notes.append(
            f"could not delete {len(failed)} object(s) out of the feed{why}: they stay recorded "
            "in manifest.json and the next publish tries again"
        )


def save_local(feed_path: Path, plan: Plan) -> None:
    """Keep the published feed and manifest in feed/ (for `feed`, `status` and backups)."""
    write_local(feed_path.with_name(LOCAL_NAME), plan.manifest)
    write_if_changed(feed_path, plan.feed)


def _put(target: Target, key: str, data: bytes) -> None:
    target.put(key, data, **layout.headers(key))


def _serialised(reporter: Reporter) -> Reporter:
    """The reporter, called by one upload thread at a time (renderers need not be thread-safe)."""
    lock = threading.Lock()

    def on_bytes(n: int) -> None:
        with lock:
            reporter.on_bytes(n)

    def on_event(name: str, what: str) -> None:
        with lock:
            reporter.on_event(name, what)

    return Reporter(reporter.on_progress, on_bytes, on_event, reporter.on_start)


def _restyle(target: Target, key: str, reporter: Reporter) -> None:
    target.restyle(key, **layout.headers(key))
    reporter.on_event(key, "updated")


def _upload(target: Target, upload: Upload, reporter: Reporter) -> None:
    """Put one object unless an immutable copy is already there, then verify it with HEAD."""
    if upload.immutable:
        existing = target.head(upload.key)
        if existing and existing.bytes == upload.bytes:  # left by a publish that failed later
            reporter.on_bytes(upload.bytes)
            return
    target.put(upload.key, upload.source, **layout.headers(upload.key), on_bytes=reporter.on_bytes)
    _verify(target, upload)
    reporter.on_event(upload.key, "uploaded")


def _verify(target: Target, upload: Upload) -> None:
    """HEAD must report the size (and, where the store keeps headers, the type) just sent."""
    info = target.head(upload.key)
    expected = layout.content_type(upload.key)
    wrong_type = info is not None and target.stores_headers and info.content_type != expected
    if info is None or info.bytes != upload.bytes or wrong_type:
        got = f"{info.bytes} bytes, {info.content_type}" if info else "nothing"
        raise StorageError(
            f"{upload.key} reads back as {got}, not {upload.bytes} bytes, {expected}",
            path=target.url,
            hint="the feed was not changed; publish again, and check the provider if it persists",
        )
