"""Publish: build → plan → act, against a target that only stores objects.

Which file to open for what:
- ``layout.py``: the published keys, their headers, what is immutable (also used by ``serve``);
- ``plan.py``: pure planning — match live episodes, choose uploads and deletes, render the feed;
- ``act.py``: carry a plan out in the never-broken-feed order, then keep local copies;
- ``lock.py``: one run at a time (the workspace's lock and the target's), ``unlock``.
This module ties them together; the CLI hands it a workspace that ``check`` found clean.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from ..build import BuildRecord, build_episodes, read_record
from ..config import PublishSettings, Show
from ..episodes import Catalog, Episode
from ..errors import Problems, PublishError
from ..events import QUIET, Reporter
from ..manifest import LOCAL_NAME
from ..storage import Target, open_target
from .act import execute, remote_manifest, save_local
from .lock import PublishLock, WorkspaceLock, unlock
from .plan import Plan, plan_release

STORAGE_OPTIONS = (
    "endpoint_url", "region", "addressing", "acl", "checksums", "max_attempts", "retry_mode"
)  # fmt: skip

__all__ = [
    "Plan",
    "WorkspaceLock",
    "open_show_target",
    "publish_show",
    "refuse_problems",
    "release",
    "unlock",
]


def publish_show(
    show: Show,
    catalog: Catalog,
    *,
    dry_run: bool = False,
    allow_removal: bool = False,
    prune_now: bool = False,
    wait: bool = False,
    reporter: Reporter = QUIET,
    now: dt.datetime | None = None,
) -> Plan:
    """build → plan → act for a checked show, one run at a time in this workspace (``wait``:
    wait for the other run instead of refusing). Returns the plan (done, or only shown with
    ``dry_run``)."""
    now = now or dt.datetime.now(dt.UTC)
    ready = catalog.ready(now)
    target = open_show_target(show)
    # A dry run takes no lock: it is to write nothing anywhere, build/ included (issue 13).
    held = contextlib.nullcontext() if dry_run else WorkspaceLock(show.build_dir, now, wait=wait)
    with held:
        # fail fast (bucket, credentials, endpoint) before a long build
        remote_manifest(target, show.feed_dir / LOCAL_NAME)
        built = build_episodes(show, ready, reporter=reporter)
        episodes = [(ep, read_record(show, ep.slug)) for ep in ready]
        options = dict(dry_run=dry_run, allow_removal=allow_removal, prune_now=prune_now)
        plan = release(show, target, episodes, now=now, reporter=reporter, **options)
    plan.built = [record for record in built if record.action != "up to date"]
    return plan


def release(
    show: Show,
    target: Target,
    episodes: list[tuple[Episode, BuildRecord | None]],
    *,
    now: dt.datetime,
    dry_run: bool = False,
    allow_removal: bool = False,
    prune_now: bool = False,
    reporter: Reporter = QUIET,
) -> Plan:
    """Plan against the target's manifest, read-only; only if there is something to write,
    lock the target, plan again under the lock (another publish may have finished meanwhile),
    act, and keep local copies. A publish with nothing to do sends no write request."""

    def plan_now() -> Plan:
        previous = remote_manifest(target, show.feed_dir / LOCAL_NAME)
        plan = plan_release(
            show, episodes, previous, now, stores_headers=target.stores_headers, prune_now=prune_now
        )
        _refuse_removal(show, plan, allow_removal)
        return plan

    plan = plan_now()
    if dry_run:
        return plan
    if not plan.up_to_date:
        with PublishLock(target, now) as notes:
            plan = plan_now()
            plan.notes += notes
            execute(plan, target, concurrency=show.publish.concurrency, reporter=reporter)
    save_local(show.feed_path, plan)
    return plan


def _refuse_removal(show: Show, plan: Plan, allow_removal: bool) -> None:
    removed = plan.changes.removed
    if removed and not allow_removal:
        raise PublishError(
            "would drop live episode(s) from the feed: " + ", ".join(e.slug for e in removed),
            path=show.episodes_dir,
            hint="restore them (or undo `draft: true`), or run `publish --allow-removal` "
            "if they should leave the feed",
        )


def refuse_problems(problems: Problems) -> None:
    """Refuse to publish a workspace with errors, listing every one of them."""
    errors = problems.errors
    if errors:
        listing = "".join(f"\n  {problem}" for problem in errors)
        raise PublishError(
            f"{len(errors)} problem(s) to fix before publishing:{listing}",
            hint="nothing was uploaded; `podcast-pipe check` shows them again",
        )


def open_show_target(show: Show) -> Target:
    """The show's ``[publish] target``, opened with its S3 options."""
    return open_target(show.publish.target, root=show.root, **target_options(show.publish))


def target_options(settings: PublishSettings) -> dict[str, object]:
    """The storage options among the ``[publish]`` settings (plain values for open_target)."""
    return {name: getattr(settings, name) for name in STORAGE_OPTIONS}
