"""The `podcast-pipe` command: parse arguments, call the library, print. No logic of its own."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import Show, find_root, load_show
from .errors import PodcastError


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


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a PodcastError as one line and exit 1; programming errors stay tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PodcastError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(1)

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
