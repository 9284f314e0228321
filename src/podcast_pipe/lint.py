"""Feed lint for ``check``: what Apple and the other directories refuse or warn about.

Errors are what gets a feed rejected (no owner email, a category Apple does not know, a
description over 4000 bytes, clashing episode numbers); warnings are worth fixing but publish.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from .artwork import report_cover
from .categories import category_problem
from .config import Show
from .episodes import Episode
from .errors import EpisodeError, FeedError, PodcastError, Problems
from .notes import DESCRIPTION_MAX_BYTES, notes_text

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def lint_show(show: Show, episodes: list[Episode]) -> Problems:
    """Every feed problem of the show and its episodes, collected for ``check``."""
    problems = Problems()
    _lint_channel(show, problems)
    if missing := missing_cover(show):
        problems.error(missing)
    else:
        report_cover(show.image, what="show cover", problems=problems)
    for episode in episodes:
        _lint_episode(show, episode, problems)
    return problems


def missing_cover(show: Show) -> FeedError | None:
    """The error of a show whose cover file is not there (every MP3 embeds it), or None."""
    if show.image.is_file():
        return None
    return FeedError(
        "file not found",
        path=show.image,
        field="show.image",
        hint="add a square JPEG or PNG of 1400–3000 px (or fix [show] image)",
    )


def _lint_channel(show: Show, problems: Problems) -> None:
    def report(add: Callable[[PodcastError], None], field: str, message: str, hint: str) -> None:
        add(FeedError(message, path=show.config_path, field=field, hint=hint))

    if not show.owner or not show.owner.email:
        report(
            problems.error,
            "show.owner",
            "has no email: Apple sends the ownership check there",
            'add owner = {name = "…", email = "you@example.org"} under [show]',
        )
    if not show.categories:
        report(
            problems.error,
            "show.categories",
            "is empty: Apple lists a show by its category",
            'e.g. categories = ["Society & Culture > Places & Travel"]',
        )
    for main, sub in show.categories:
        found = category_problem(main, sub)
        if found:
            report(problems.error, "show.categories", *found)
    size = len(show.description.encode("utf-8"))
    if size > DESCRIPTION_MAX_BYTES:
        report(
            problems.error,
            "show.description",
            f"is {size} bytes; Apple takes at most {DESCRIPTION_MAX_BYTES}",
            "shorten it (Turkish letters take 2 bytes each)",
        )
    if not show.explicit_set:
        report(
            problems.warn,
            "show.explicit",
            "is not set: the feed says false",
            "write explicit = false (or true) under [show] to say so yourself",
        )
    url = urlsplit(show.publish.base_url)
    if url.scheme != "https" and url.hostname not in LOCAL_HOSTS:
        report(
            problems.warn,
            "publish.base_url",
            f"{show.publish.base_url} is not https: Apple refuses plain-http media",
            "serve the target over https and write that URL",
        )


def _lint_episode(show: Show, episode: Episode, problems: Problems) -> None:
    if episode.image:
        where = (episode.meta_path, "image")
        report_cover(episode.image, what="episode art", problems=problems, named_in=where)
    size = len(notes_text(episode.notes).encode("utf-8"))
    if size > DESCRIPTION_MAX_BYTES:
        problems.warn(
            EpisodeError(
                f"show notes are {size} bytes as text; the feed's description is cut at "
                f"{DESCRIPTION_MAX_BYTES} (the full notes stay in content:encoded)",
                path=episode.meta_path,
                field="notes",
                hint="shorten them to keep the ending",
            )
        )
    if show.type == "serial" and episode.type == "full" and episode.episode is None:
        problems.warn(
            EpisodeError(
                "has no episode number: a serial show is played in episode order",
                path=episode.meta_path,
                field="episode",
                hint="add `episode: N`",
            )
        )


def lint_enclosure_hosts(feed_path: Path, *, timeout_s: float = 10.0) -> Problems:
    """Online check: one enclosure per host in the feed must answer HEAD and byte ranges.

    Apple refuses media whose server answers a Range request with 200 instead of 206.
    """
    problems = Problems()
    try:
        root = etree.fromstring(feed_path.read_bytes())
    except (OSError, etree.XMLSyntaxError):
        problems.warn(
            FeedError(
                "no readable feed to check",
                path=feed_path,
                hint="run `podcast-pipe publish` (or `feed`) first",
            )
        )
        return problems
    first_per_host: dict[str, str] = {}
    for enclosure in root.iter("enclosure"):
        url = enclosure.get("url", "")
        first_per_host.setdefault(urlsplit(url).netloc, url)
    for url in first_per_host.values():
        found = _host_problem(url, timeout_s)
        if found:
            message, hint = found
            problems.error(FeedError(message, path=feed_path, field="enclosure", hint=hint))
    return problems


RANGE_HINT = "serve media from a host that answers HEAD and Range requests"
# 401/403: the object exists but is not public, a different fix from a host without ranges.
FORBIDDEN_HINT = (
    'make the media public: an ACL (`acl = "public-read"` under [publish], if the provider '
    "uses ACLs), a bucket policy allowing s3:GetObject to everyone, or the CDN's access to "
    "its origin; then try the URL in a browser"
)


def _host_problem(url: str, timeout_s: float) -> tuple[str, str] | None:
    """Why ``url`` fails Apple's hosting rules (HEAD 200, ``Range: bytes=0-1`` 206) and the
    fix, or None."""
    if not url.startswith(("http://", "https://")):
        return f"{url} is not an http(s) URL", RANGE_HINT
    for method, headers, expected in (("HEAD", {}, 200), ("GET", {"Range": "bytes=0-1"}, 206)):
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            return f"{url} cannot be reached: {getattr(exc, 'reason', exc)}", RANGE_HINT
        what = "a range request" if headers else "HEAD"
        if status in (401, 403):
            return f"{url} answered {status} to {what}: listeners are refused", FORBIDDEN_HINT
        if status != expected:
            return f"{url} answered {status} to {what}, not {expected}", RANGE_HINT
    return None
