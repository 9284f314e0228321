"""A network's back catalogue: every episode of every show, fanned out to one executor.

Each show keeps its own workspace (records, build/.cache, report.json) and its own shared
cache setting; the episodes of all shows share the executor's slots, so a cluster is kept busy
across shows. A show or an episode that fails is reported and the rest goes on.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Show, load_show
from ..episodes import Episode, load_episodes
from ..errors import ConfigError, PodcastError
from ..events import QUIET, Reporter
from .executors import Executor, fan_out
from .record import BuildRecord
from .run import EVENTS, Caches, build_and_inspect, finish_show, select_episodes

NETWORK_FILE = "network.toml"


@dataclass(frozen=True)
class Failure:
    """A show that could not be read (``slug`` None) or an episode that could not be built."""

    show: Path
    slug: str | None
    message: str


@dataclass
class NetworkBuild:
    """What a network build did: records per show workspace, and every failure."""

    records: dict[Path, list[BuildRecord]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)


def network_roots(paths: list[Path]) -> list[Path]:
    """Show workspaces from the arguments: folders, or a network.toml's ``shows = [...]``."""
    roots: list[Path] = []
    for path in paths:
        if path.is_dir() and not (path / NETWORK_FILE).is_file():
            roots.append(path)
            continue
        listing = path / NETWORK_FILE if path.is_dir() else path
        try:
            shows = tomllib.loads(listing.read_text(encoding="utf-8")).get("shows")
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read: {exc}", path=listing,
                              hint='list the workspaces as shows = ["show-a", "show-b"]') from None  # fmt: skip
        if not isinstance(shows, list) or not all(isinstance(s, str) for s in shows):
            raise ConfigError("must list the show folders", path=listing, field="shows",
                              hint='write shows = ["show-a", "show-b"]')  # fmt: skip
        roots += [listing.parent / s for s in shows]
    return roots


def build_network(
    roots: list[Path],
    executor: Executor,
    *,
    force: bool = False,
    reporter: Reporter = QUIET,
) -> NetworkBuild:
    """Build every episode (but drafts) of every show in ``roots``; names are ``show/slug``."""
    outcome = NetworkBuild()
    work: list[tuple[Show, Caches, Episode]] = []
    for root in roots:
        try:
            show = load_show(root.resolve())
            episodes = select_episodes(load_episodes(show), [])
        except PodcastError as exc:
            outcome.failures.append(Failure(root, None, str(exc)))
            continue
        caches = Caches.of(show)
        outcome.records[show.root] = []
        work += [(show, caches, episode) for episode in episodes]
    reporter.on_start("network", len(work))

    def one(item: tuple[Show, Caches, Episode]) -> None:
        show, caches, episode = item
        name = f"{show.root.name}/{episode.slug}"
        try:
            record = build_and_inspect(show, episode, force=force, executor=executor,
                                       caches=caches, reporter=_named(reporter, name))  # fmt: skip
        except Exception as exc:  # a crash after the retries, too: report it, build the rest
            text = str(exc) if isinstance(exc, PodcastError) else f"{type(exc).__name__}: {exc}"
            outcome.failures.append(Failure(show.root, episode.slug, text))
            reporter.on_event(name, f"failed: {text}")
            return
        outcome.records[show.root].append(record)
        if record.action == "encoded":
            reporter.on_audio(record.duration_s)
        reporter.on_event(name, EVENTS[record.action])

    fan_out(executor, one, work)
    for show in {show.root: show for show, _, _ in work}.values():
        finish_show(show)
    return outcome


def _named(reporter: Reporter, name: str) -> Reporter:
    """The episode's progress under its network name (``show/slug``)."""
    return Reporter(on_progress=lambda _, fraction: reporter.on_progress(name, fraction))
