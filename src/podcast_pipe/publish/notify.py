"""Telling the world the feed changed: WebSub hubs, Podcast Index, podping.cloud.

``act.execute`` calls ``notify_all`` once a changed feed.xml is live, so apps and directories
fetch the new episode now instead of at their next crawl. A ping is a courtesy: a service that
refuses or cannot be reached costs a warning event with its answer, never the publish. The
podping.cloud token comes from the environment (PODPING_TOKEN), never from podcast.toml.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from .. import __version__
from ..events import QUIET, Reporter
from ..show import Notify

TIMEOUT_S = 10.0  # per service: a slow one must not hold the end of a publish for long
PODPING_TOKEN = "PODPING_TOKEN"
ANSWER_CHARS = 200  # of a refusal's body, quoted in the warning


def notify_all(
    services: Sequence[Notify],
    feed_url: str,
    *,
    reporter: Reporter = QUIET,
    env: Mapping[str, str] = os.environ,
) -> None:
    """Tell each service that ``feed_url`` changed; report "notified" or "warning: …" per URL."""
    for service in services:
        problem = _ping(service, feed_url, env)
        reporter.on_event(service.url, f"warning: {problem}" if problem else "notified")


def request_for(service: Notify, feed_url: str, env: Mapping[str, str]) -> urllib.request.Request:
    """The HTTP request that tells ``service`` about ``feed_url``.

    WebSub: POST hub.mode=publish (W3C WebSub 7); Podcast Index pubnotify and podping.cloud:
    GET with ``?url=``, podping.cloud with its token in ``Authorization``.
    """
    headers = {"User-Agent": f"podcast-pipe/{__version__}"}
    if service.service == "websub":
        body = urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urllib.request.Request(service.url, data=body, headers=headers, method="POST")
    if service.service == "podping":
        headers["Authorization"] = env[PODPING_TOKEN]
    separator = "&" if "?" in service.url else "?"
    url = service.url + separator + urlencode({"url": feed_url})
    return urllib.request.Request(url, headers=headers, method="GET")


def _ping(service: Notify, feed_url: str, env: Mapping[str, str]) -> str | None:
    """Send one ping; None when the service took it, else what went wrong, in its words."""
    if service.service == "podping" and not env.get(PODPING_TOKEN):
        return f"podping not sent: set {PODPING_TOKEN} to the token podping.cloud gave you"
    try:
        with urllib.request.urlopen(request_for(service, feed_url, env), timeout=TIMEOUT_S):
            return None
    except urllib.error.HTTPError as exc:
        answer = exc.read(ANSWER_CHARS).decode("utf-8", "replace").strip()
        return f"{service.service} answered {exc.code} {exc.reason}" + (
            f": {answer}" if answer else ""
        )
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{service.service} could not be reached: {reason}"
