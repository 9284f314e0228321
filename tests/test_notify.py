"""Telling the world: one ping per service per changed feed, none on a no-op, a warning on failure.

The services are local HTTP servers on 127.0.0.1 that record what they are sent.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from podcast_pipe.config import PublishSettings, SiteSettings
from podcast_pipe.events import Reporter
from podcast_pipe.publish.notify import notify_all
from podcast_pipe.show import FeedSettings, Notify
from test_publish_feed import ATOM_NS, Workspace

FEED_URL = "https://podcast.example.org/feed.xml"


class Service:
    """A local HTTP server answering ``status`` (and ``answer``) and recording every request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status, self.answer = 204, b""
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                service.requests.append({
                    "method": self.command,
                    "path": urlsplit(self.path).path,
                    "query": parse_qs(urlsplit(self.path).query),
                    "headers": dict(self.headers),
                    "body": self.rfile.read(length).decode(),
                })  # fmt: skip
                self.send_response(service.status)
                self.send_header("Content-Length", str(len(service.answer)))
                self.end_headers()
                self.wfile.write(service.answer)

            do_GET = do_POST = _record

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def services() -> Iterator[dict[str, Service]]:
    running = {name: Service() for name in ("websub", "podcastindex", "podping")}
    yield running
    for service in running.values():
        service.close()


@pytest.fixture
def workspace(make_show, make_episode, make_image, services):
    notify = (
        Notify("websub", services["websub"].url + "hub"),
        Notify("podcastindex", services["podcastindex"].url + "api/1.0/hub/pubnotify"),
        Notify("podping", services["podping"].url),
    )
    show = make_show(
        image=make_image("feed/cover.jpg", 1400),
        site=SiteSettings(enabled=False),
        publish=PublishSettings(
            target="file://public", base_url="https://podcast.example.org/", notify=notify
        ),
    )
    return Workspace(show, make_episode)


def counts(services: dict[str, Service]) -> dict[str, int]:
    return {name: len(service.requests) for name, service in services.items()}


def test_each_service_hears_once_per_changed_feed_and_never_on_a_no_op(
    workspace, services, monkeypatch
):
    monkeypatch.setenv("PODPING_TOKEN", "podping-secret")
    workspace.add(2)
    workspace.publish()
    assert counts(services) == {"websub": 1, "podcastindex": 1, "podping": 1}
    websub = services["websub"].requests[0]
    assert (websub["method"], websub["path"]) == ("POST", "/hub")
    assert parse_qs(websub["body"]) == {"hub.mode": ["publish"], "hub.url": [FEED_URL]}
    assert websub["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    index = services["podcastindex"].requests[0]
    assert (index["method"], index["path"]) == ("GET", "/api/1.0/hub/pubnotify")
    assert index["query"] == {"url": [FEED_URL]}
    podping = services["podping"].requests[0]
    assert podping["method"] == "GET" and podping["query"] == {"url": [FEED_URL]}
    assert podping["headers"]["Authorization"] == "podping-secret"
    assert "Authorization" not in index["headers"]
    notified = sorted(name for name, what in workspace.events if what == "notified")
    assert notified == sorted(n.url for n in workspace.show.publish.notify)

    workspace.publish()  # nothing changed
    assert counts(services) == {"websub": 1, "podcastindex": 1, "podping": 1}
    workspace.publish(dry_run=True)
    workspace.add(1)
    workspace.publish(dry_run=True)
    assert counts(services) == {"websub": 1, "podcastindex": 1, "podping": 1}
    workspace.publish()
    assert counts(services) == {"websub": 2, "podcastindex": 2, "podping": 2}


def test_a_refusing_service_is_a_warning_with_its_answer_not_a_failed_publish(
    workspace, services, monkeypatch
):
    monkeypatch.delenv("PODPING_TOKEN", raising=False)
    services["podcastindex"].status = 400
    services["podcastindex"].answer = b'{"status": "false", "description": "Feed not found"}'
    services["websub"].close()  # nobody listens there any more
    workspace.add(1)
    plan = workspace.publish()
    assert (workspace.public / "feed.xml").read_bytes() == plan.feed  # the feed is live
    warnings = {name: what for name, what in workspace.events if what.startswith("warning: ")}
    url = {n.service: n.url for n in workspace.show.publish.notify}
    index_url, hub_url, podping_url = url["podcastindex"], url["websub"], url["podping"]
    assert "400" in warnings[index_url] and "Feed not found" in warnings[index_url]
    assert "could not be reached" in warnings[hub_url]
    assert "PODPING_TOKEN" in warnings[podping_url]
    assert services["podping"].requests == []  # no token, no request


def test_the_feed_advertises_its_hub_and_archive_pages_do_not(workspace, services):
    workspace.add(3)
    workspace.publish(dataclasses.replace(workspace.show, feed=FeedSettings(page_size=2)))

    def hubs(name: str) -> list[str]:
        channel = etree.parse(workspace.public / name).find("channel")
        return [a.get("href") for a in channel.iter(f"{{{ATOM_NS}}}link") if a.get("rel") == "hub"]

    assert hubs("feed.xml") == [services["websub"].url + "hub"]
    assert hubs("feed-2.xml") == []


def test_nothing_is_sent_without_services(services):
    events: list[tuple[str, str]] = []
    notify_all((), FEED_URL, reporter=Reporter(on_event=lambda *e: events.append(e)))
    assert events == [] and counts(services) == {"websub": 0, "podcastindex": 0, "podping": 0}
    assert PublishSettings().notify == ()
