"""The `podcast-pipe` command: parse arguments, call the library, print. No logic of its own."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import astuple, replace
from pathlib import Path
from typing import Any

import click

from . import __version__, scaffold
from .audio.meter import measure_file
from .build import build_episodes, select_episodes
from .build.executors import open_executor
from .build.network import build_network, network_roots
from .check import check_workspace
from .config import CONFIG_NAME, LOCAL_BASE_URL, Show, find_root, load_show
from .episodes import load_episodes
from .errors import PodcastError, display_path
from .lint import lint_enclosure_hosts, missing_cover
from .localfeed import write_feed
from .publish import WorkspaceLock, open_show_target, publish_show, refuse_problems, unlock
from .report import find_report, read_reports
from .serve import make_server, preview_dir
from .status import publish_states, read_live, retired_rows, status_rows
from .tags import read_tags
from .ui import (
    REPORT_HEADER,
    BuildProgress,
    NetworkProgress,
    format_table,
    publish_reporter,
    report_rows,
    tag_report,
)


class Context:
    """What every command gets: the workspace folder, loaded on demand."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @functools.cached_property
    def root(self) -> Path:
        return find_root(self.directory)

    @functools.cached_property
    def show(self) -> Show:
        return load_show(self.root)


pass_context = click.make_pass_decorator(Context)


EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a PodcastError as one line and exit 1; Ctrl-C exits 130 (not 1: the input is not
    at fault) once the library's ``finally`` blocks have removed their temporary files.
    Programming errors stay tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PodcastError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="Run in the show workspace DIR (default: here or the nearest parent with podcast.toml).",
)
@click.version_option(__version__, prog_name="podcast-pipe")
@click.pass_context
def cli(ctx: click.Context, directory: Path) -> None:
    """Master, tag and publish a podcast, and keep its RSS feed in step.

    \b
    Typical session:
      podcast-pipe new "Bölüm 4: Sahil" --audio ~/Kayıtlar/bolum4.wav
      podcast-pipe check
      podcast-pipe publish --dry-run
      podcast-pipe publish
    """
    ctx.obj = Context(directory)


def main() -> None:
    cli(prog_name="podcast-pipe")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--title", default=scaffold.DEFAULT_TITLE, help="The show's title for podcast.toml.")
@click.option(
    "--base-url",
    help="The public URL the show will be served from; its feed URL gives the podcast:guid.",
)
@user_errors
def init(directory: Path, title: str, base_url: str | None) -> None:
    """Scaffold a show workspace in DIRECTORY (default: here).

    Creates podcast.toml (with comments; language and time zone from this machine, a pinned
    podcast:guid), episodes/, feed/ and a .gitignore of the generated files.
    Refuses to overwrite an existing show. `check` refuses the template's placeholders
    until you replace them.

    \b
    Example:
      podcast-pipe init izmir-baku --title "İzmir–Bakü" --base-url https://cdn.example.org/
    """
    for path in scaffold.init_workspace(directory, title, base_url=base_url):
        click.echo(f"created {display_path(path)}")
    click.echo("next: edit podcast.toml, add feed/cover.jpg, then `podcast-pipe new TITLE`")


@cli.command()
@click.argument("title")
@click.option(
    "--audio",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The episode's audio; copied into episodes/. Audio already there is used in place: "
    "its metadata goes beside it, or into episode.md in its bundle folder.",
)
@click.option(
    "--date",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
    help="Publish time in the show's time zone (default: now). A future date schedules it.",
)
@click.option("--draft", is_flag=True, help="Mark it as a draft: never published until unset.")
@pass_context
@user_errors
def new(ctx: Context, title: str, audio: Path | None, date: Any, draft: bool) -> None:
    """Create the next episode's metadata file.

    Numbers it after the latest episode, dates it now (or --date) in the show's
    time zone and gives it a fresh GUID so renames never duplicate it in apps.

    \b
    Examples:
      podcast-pipe new "Bölüm 4: Sahil" --audio ~/Kayıtlar/bolum4.wav
      podcast-pipe new "Yeni yıl özel" --date 2027-01-01T09:00
    """
    show = ctx.show
    when = date.replace(tzinfo=show.tz) if date else None
    created = scaffold.new_episode(
        show, load_episodes(show), title, audio=audio, date=when, draft=draft
    )
    for path in created:
        click.echo(f"created {display_path(path)}")
    if audio is None:
        click.echo(
            f"it is a draft until you add {display_path(created[0].with_suffix(''))}.<wav|flac|…>"
            " and set `draft: false`"
        )


@cli.command()
@click.option(
    "--online",
    is_flag=True,
    help="Also ask the media host of feed/feed.xml for HEAD and Range answers (Apple needs both).",
)
@pass_context
@user_errors
def check(ctx: Context, online: bool) -> None:
    """Validate podcast.toml and every episode; list every problem at once.

    Exits 1 if there is any error; warnings (such as audio waiting for a
    metadata file) are shown but do not fail.
    """
    checked = check_workspace(ctx.root)
    if online and checked.show:
        checked.problems.extend(lint_enclosure_hosts(checked.show.feed_path))
    for warning in checked.problems.warnings:
        click.secho(f"warning: {warning}", fg="yellow")
    for error in checked.problems.errors:
        click.secho(f"error: {error}", fg="red")
    count = len(checked.catalog.episodes)
    if checked.problems.errors:
        click.echo(f"{len(checked.problems.errors)} problem(s) to fix.")
        sys.exit(1)
    click.echo(f"ok: {count} episode(s), {len(checked.catalog.pending)} pending.")


@cli.command()
@pass_context
@user_errors
def status(ctx: Context) -> None:
    """Show each episode's state: pending, draft, scheduled, ready, built, published, problem.

    "published" is read from the configured target's manifest.json (one request for S3).
    "changed since publish": built differently from what is live; the next publish uploads it.
    Exits 1 if an episode has a problem (`check` explains each).
    """
    show = ctx.show
    now = dt.datetime.now(dt.UTC)
    catalog = load_episodes(show)
    live = read_live(show)
    states = publish_states(show, catalog.ready(now), live)
    rows = [replace(r, state=states.get(r.slug, r.state)) for r in status_rows(catalog, now)]
    click.echo(f"target: {display_path(show.publish.target)}")
    click.echo(format_table(["slug", "title", "date", "state"], [astuple(r) for r in rows]))
    retired = retired_rows(live, show.publish.keep_old)
    if retired:
        click.echo("\nout of the feed, deleted by a later publish:")
        click.echo(format_table(["key", "retired"], retired))
    if catalog.problems.errors:
        sys.exit(1)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@user_errors
def tags(file: Path) -> None:
    """Show the ID3 tags, cover art and chapters an MP3 carries.

    \b
    Example:
      podcast-pipe tags build/01-izmir-ve-baku.mp3
    """
    click.echo(tag_report(read_tags(file)))


EXECUTOR = click.option(
    "--executor",
    default="local",
    show_default=True,
    metavar="local|dask://HOST:PORT",
    help="Where masters are made: this machine, or a Dask cluster's scheduler.",
)
JOBS = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Episodes built at once (default: cores)."
)


@cli.command()
@click.argument("slugs", nargs=-1)
@JOBS
@click.option("--force", is_flag=True, help="Master again even if nothing changed.")
@EXECUTOR
@pass_context
@user_errors
def build(
    ctx: Context, slugs: tuple[str, ...], jobs: int | None, force: bool, executor: str
) -> None:
    """Master each episode's audio into build/<slug>.mp3 (only what changed).

    One linear gain to [audio] loudness, a true-peak limiter under [audio] true_peak, CBR MP3,
    tags and chapters. The table and build/report.json show what was done.

    \b
    Examples:
      podcast-pipe build
      podcast-pipe build 01-izmir-ve-baku --force
      podcast-pipe build --executor dask://scheduler.lan:8786
    """

    show = ctx.show
    episodes = select_episodes(load_episodes(show), slugs)
    now = dt.datetime.now(dt.UTC)
    with contextlib.closing(open_executor(executor, jobs=jobs)) as runner:
        with WorkspaceLock(show.build_dir, now), BuildProgress() as progress:
            records = build_episodes(
                show, episodes, force=force, reporter=progress.reporter, executor=runner
            )
    click.echo(format_table(REPORT_HEADER, report_rows(records)))
    click.echo(action_counts(r.action for r in records))
    built = {r.slug for r in records}
    for report in read_reports(show.build_dir):
        for warning in report.warnings if report.slug in built else ():
            click.secho(f"warning: {report.slug}: {warning}", fg="yellow")


def action_counts(actions: Iterable[str]) -> str:
    """``2 encoded, 0 re-tagged, 5 up to date`` (and ``N fetched`` when some were)."""
    actions = list(actions)
    counts = {a: actions.count(a) for a in ("encoded", "re-tagged", "up to date", "fetched")}
    return ", ".join(f"{n} {a}" for a, n in counts.items() if n or a != "fetched")


@cli.group()
def network() -> None:
    """Work on many shows at once (a podcast network's workspaces)."""


@network.command("build")
@click.argument("workspaces", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@JOBS
@click.option("--force", is_flag=True, help="Master again even if nothing changed.")
@EXECUTOR
@user_errors
def network_build(
    workspaces: tuple[Path, ...], jobs: int | None, force: bool, executor: str
) -> None:
    """Build every episode of every show: show folders, or a network.toml (shows = [...]).

    Failures are listed per show and episode at the end; the others are built regardless.

    \b
    Examples:
      podcast-pipe network build shows/*
      podcast-pipe network build network.toml --executor dask://scheduler.lan:8786
    """
    roots = network_roots(list(workspaces))
    now = dt.datetime.now(dt.UTC)
    with (
        contextlib.closing(open_executor(executor, jobs=jobs)) as runner,
        contextlib.ExitStack() as locks,
    ):
        for root in roots:  # one run at a time in each workspace, as `build` does
            if (root / CONFIG_NAME).is_file():
                locks.enter_context(WorkspaceLock(root / "build", now))
        with NetworkProgress() as progress:
            outcome = build_network(roots, runner, force=force, reporter=progress.reporter)
    for root, records in outcome.records.items():
        click.echo(f"{root.name}: {action_counts(r.action for r in records)}")
    for failure in outcome.failures:
        where = f"{failure.show.name}/{failure.slug}" if failure.slug else failure.show.name
        click.secho(f"failed: {where}: {failure.message}", fg="red", err=True)
    if outcome.failures:
        sys.exit(1)


@cli.command()
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the report's data as JSON.")
@click.option("--open", "open_page", is_flag=True, help="Open the page in a web browser.")
@pass_context
@user_errors
def report(ctx: Context, slug: str | None, as_json: bool, open_page: bool) -> None:
    """Print the path of the audio inspector page that `build` wrote (of SLUG, or the show's).

    The page plots loudness over time before and after mastering against the target, the
    limiter's gain reduction and the true peak against the ceiling, with silences and
    chapters marked, and lists the figures and the warnings.

    \b
    Examples:
      podcast-pipe report
      podcast-pipe report 01-izmir-ve-baku --open
      podcast-pipe report 01-izmir-ve-baku --json
    """
    page, data = find_report(ctx.show, slug)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(display_path(page))
    if open_page:
        click.launch(str(page))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@user_errors
def loudness(files: tuple[Path, ...], as_json: bool) -> None:
    """Measure files as ffmpeg's ebur128 meter does (BS.1770-4 / EBU R128).

    Integrated loudness (LUFS), loudness range (LU), true and sample peak (dBTP, dBFS) and
    duration of any audio file ffmpeg can read.

    \b
    Example:
      podcast-pipe loudness build/*.mp3
    """

    results = [(path, measure_file(path)) for path in files]
    if as_json:
        data = [{"file": str(path), **value.to_dict()} for path, value in results]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    header = ["file", "LUFS", "LRA", "dBTP", "dBFS", "duration"]
    rows = [
        (display_path(p), v.integrated, v.lra, v.true_peak, v.sample_peak, f"{v.duration_s:.2f} s")
        for p, v in results
    ]
    click.echo(format_table(header, rows))


@cli.command()
@pass_context
@user_errors
def feed(ctx: Context) -> None:
    """Regenerate feed/feed.xml locally; nothing is uploaded.

    Built from the metadata, the build records and feed/manifest.json (the copy of what is
    live, kept by `publish`): published episodes keep their GUIDs and URLs, built ones get
    the URLs they will have once published.
    """
    show = ctx.show
    now = dt.datetime.now(dt.UTC)
    path = write_feed(show, load_episodes(show).ready(now), now)
    click.echo(f"wrote {display_path(path)}")
    if missing := missing_cover(show):  # the feed names it; publish would refuse
        click.secho(f"warning: {missing}", fg="yellow")


@cli.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the plan (objects, bytes, what the feed gains or loses) and change nothing.",
)
@click.option(
    "--allow-removal",
    is_flag=True,
    help="Let live episodes that are gone here (deleted, or now drafts) leave the feed.",
)
@click.option(
    "--prune-now",
    is_flag=True,
    help="Delete objects out of the feed now instead of after [publish] keep_old.",
)
@click.option("--wait", is_flag=True, help="Wait for another run in this workspace to finish.")
@pass_context
@user_errors
def publish(ctx: Context, dry_run: bool, allow_removal: bool, prune_now: bool, wait: bool) -> None:
    """check → build → upload new media and sidecars → feed.xml → delete → manifest.json.

    Nothing changed: nothing is written to the target. A publish that fails leaves the previous
    feed live; run it again to resume. Objects that leave the feed stay [publish] keep_old
    (default 7 days) for directories' cached feeds. The target is `[publish] target`.

    \b
    Examples:
      podcast-pipe publish --dry-run
      AWS_PROFILE=podcast podcast-pipe publish
    """
    # podcast.toml is read here, once; a dry run does not even cache the audio analyses
    checked = check_workspace(ctx.root, store=not dry_run)
    refuse_problems(checked.problems)
    show = checked.show
    assert show is not None  # a show that could not be read is a problem, refused above
    with BuildProgress() as progress, contextlib.ExitStack() as stack:
        reporter = publish_reporter(progress.reporter, stack)
        options = dict(dry_run=dry_run, allow_removal=allow_removal, prune_now=prune_now, wait=wait)
        plan = publish_show(show, checked.catalog, **options, reporter=reporter)
    if plan.built:
        click.echo(format_table(REPORT_HEADER, report_rows(plan.built)))
    for note in plan.notes:
        click.secho(f"note: {note}", fg="yellow", err=True)
    for line in plan.describe():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was changed")
    elif not plan.up_to_date:
        click.echo(f"published: {show.publish.feed_url}")


@cli.command(name="unlock")
@pass_context
@user_errors
def unlock_command(ctx: Context) -> None:
    """Clear the locks a killed publish left: in build/ and publish.lock on the target.

    Refuses while the run holding them is alive on this machine.
    """
    show = ctx.show
    cleared = unlock(show.build_dir, open_show_target(show))
    for line in cleared or ["no lock to clear"]:
        click.echo(line)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@pass_context
@user_errors
def serve(ctx: Context, host: str, port: int) -> None:
    """Preview the file:// target over HTTP (HEAD, Range requests) for a real podcast app.

    With the default base_url (none set for a file:// target), the feed's URLs point at
    the address the app fetched it from, whatever the port; `/` lists the feed and the
    episodes unless the target has an index.html. For a phone on the LAN, run
    `podcast-pipe serve --host 0.0.0.0` and subscribe to http://<this computer's LAN
    address>:8000/feed.xml.
    """
    show = ctx.show
    local = show.publish.base_url == LOCAL_BASE_URL
    server = make_server(preview_dir(show), host, port, base_url=LOCAL_BASE_URL if local else None)
    here = f"http://{host}:{server.server_address[1]}/"
    click.echo(f"serving {here}feed.xml (Ctrl-C stops)")
    if not local and show.publish.base_url != here:
        click.secho(
            f"note: the feed's URLs point at {show.publish.base_url} (base_url in podcast.toml)",
            fg="yellow",
        )
    with server:  # closes the socket, also on Ctrl-C
        server.serve_forever()
