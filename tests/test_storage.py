"""Targets against real storage: a folder, and a moto S3 server over HTTP (with faults)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FAKE_KEY_ID, FAKE_SECRET, s3_error
from podcast_pipe.errors import ConfigError, ObjectExists, StorageError
from podcast_pipe.publish.layout import headers
from podcast_pipe.storage import TargetURL, open_target, parse_target
from podcast_pipe.storage.file import FileTarget


def s3_target(s3, prefix: str = "show", **options):
    return open_target(f"s3://{s3.bucket}/{prefix}", **{"max_attempts": 4, **options})


def put(target, key: str, source, on_bytes=None) -> None:
    """Store an object with the headers publish gives it."""
    target.put(key, source, **headers(key), on_bytes=on_bytes)


@pytest.fixture(params=["file", "s3"])
def target(request, tmp_path):
    if request.param == "file":
        return open_target("file://public", root=tmp_path)
    return s3_target(request.getfixturevalue("s3"))


def test_put_get_head_delete_list(target, make_mp3):
    mp3 = make_mp3()
    assert target.list(limit=5) == []
    assert target.get("feed.xml") is None and target.head("feed.xml") is None
    sent = []
    put(target, "episodes/tone-00000000.mp3", mp3, sent.append)
    put(target, "feed.xml", b"<rss/>")
    assert sum(sent) == mp3.stat().st_size
    info = target.head("episodes/tone-00000000.mp3")
    assert (info.bytes, info.content_type) == (mp3.stat().st_size, "audio/mpeg")
    assert target.get("episodes/tone-00000000.mp3") == mp3.read_bytes()
    assert target.get("feed.xml") == b"<rss/>"
    assert sorted(target.list(limit=5)) == ["episodes/tone-00000000.mp3", "feed.xml"]
    assert target.delete(["feed.xml", "never-there.json"]) == []
    assert target.list(limit=5) == ["episodes/tone-00000000.mp3"]


def test_create_only_put_never_replaces(target):
    target.put("publish.lock", b"first", **headers("publish.lock"), if_absent=True)
    with pytest.raises(ObjectExists):
        target.put("publish.lock", b"second", **headers("publish.lock"), if_absent=True)
    assert target.get("publish.lock") == b"first"
    assert target.list() == ["publish.lock"]  # no temporary left beside it


def test_s3_delete_returns_the_keys_the_service_refused(s3, fault_proxy):
    target = s3_target(s3)
    put(target, "a.json", b"{}")
    refused = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult><Error><Key>show/a.json</Key>'
        b"<Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"
    )
    fault_proxy.broken = lambda method, path: method == "POST" and "?delete" in path
    fault_proxy.broken_reply = (200, refused)
    assert target.delete(["a.json", "b.json"]) == ["a.json"]
    fault_proxy.broken = None
    assert target.delete(["a.json"]) == [] and target.get("a.json") is None


def test_restyle_stores_new_headers_in_place(s3):
    target = s3_target(s3)
    put(target, "feed.xml", b"<rss/>")
    public = s3_target(s3, acl="public-read")
    public.restyle("feed.xml", content_type="application/rss+xml", cache_control="no-cache")
    head = s3.client.head_object(Bucket=s3.bucket, Key="show/feed.xml")
    assert (head["ContentType"], head["CacheControl"]) == ("application/rss+xml", "no-cache")
    assert target.get("feed.xml") == b"<rss/>"
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key="show/feed.xml")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)


def test_file_target_writes_atomically_and_readable(tmp_path):
    target = FileTarget(tmp_path / "public")
    put(target, "feed.xml", b"old")

    class Boom(Exception):
        pass

    def fail(sent: int) -> None:
        raise Boom

    source = tmp_path / "new.xml"
    source.write_bytes(b"half")
    with pytest.raises(Boom):
        put(target, "feed.xml", source, on_bytes=fail)
    assert target.get("feed.xml") == b"old"
    assert os.listdir(tmp_path / "public") == ["feed.xml"]  # no temp file left behind
    assert (tmp_path / "public/feed.xml").stat().st_mode & 0o044 == 0o044
    with pytest.raises(ValueError):
        target.get("../podcast.toml")


def test_s3_objects_carry_headers_and_prefix(s3, make_mp3):
    target = s3_target(s3, prefix="podcasts/izmir/")
    put(target, "episodes/a-1234abcd.mp3", make_mp3())
    put(target, "chapters/a.json", b"{}")
    objects = s3.objects()
    assert set(objects) == {
        "podcasts/izmir/episodes/a-1234abcd.mp3",
        "podcasts/izmir/chapters/a.json",
    }
    media = objects["podcasts/izmir/episodes/a-1234abcd.mp3"]
    assert media["ContentType"] == "audio/mpeg"
    assert media["CacheControl"] == "public, max-age=31536000, immutable"
    assert objects["podcasts/izmir/chapters/a.json"]["ContentType"] == "application/json+chapters"


def test_s3_multipart_upload_of_a_large_file(s3, tmp_path):
    big = tmp_path / "big.mp3"
    big.write_bytes(os.urandom(17 * 2**20))  # over the 16 MiB multipart threshold
    target = s3_target(s3)
    put(target, "episodes/big-00000000.mp3", big)
    head = s3.client.head_object(Bucket=s3.bucket, Key="show/episodes/big-00000000.mp3")
    assert head["ContentLength"] == big.stat().st_size
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag: 3 parts of 8 MiB
    assert target.get("episodes/big-00000000.mp3") == big.read_bytes()


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_s3_retries_throttling_and_connection_resets(s3, fault_proxy, make_mp3, mode):
    mp3 = make_mp3()
    target = s3_target(s3, retry_mode=mode)
    assert target.client.meta.config.retries["mode"] == mode
    fault_proxy.slow_down = 2
    put(target, "feed.xml", b"<rss/>")
    fault_proxy.resets = 1
    put(target, "episodes/a-1234abcd.mp3", mp3)
    assert fault_proxy.slow_down == 0 and fault_proxy.resets == 0  # the faults did happen
    assert target.get("episodes/a-1234abcd.mp3") == mp3.read_bytes()
    assert target.get("feed.xml") == b"<rss/>"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("AccessDenied", "access denied"),
        ("InvalidAccessKeyId", "access key is not known"),
        ("SignatureDoesNotMatch", "secret key does not match"),
        ("RequestTimeTooSkewed", "clock"),
    ],
)
def test_s3_errors_are_one_line_with_a_hint(s3, fault_proxy, code, words):
    status = 400 if code == "RequestTimeTooSkewed" else 403
    fault_proxy.broken = lambda method, path: True
    fault_proxy.broken_reply = (status, s3_error(code, f"key {FAKE_KEY_ID} sig {FAKE_SECRET}"))
    with pytest.raises(StorageError) as caught:
        put(s3_target(s3), "feed.xml", b"<rss/>")
    text = str(caught.value)
    assert words in text and code in text and caught.value.hint
    assert "\n" not in text
    assert FAKE_KEY_ID not in text and FAKE_SECRET not in text


def test_s3_missing_bucket(s3):
    target = open_target("s3://no-such-bucket-here/show", max_attempts=4)
    with pytest.raises(StorageError, match="bucket does not exist"):
        target.list(limit=1)


def test_s3_unreachable_endpoint(s3, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    target = open_target(f"s3://{s3.bucket}/show", max_attempts=2)
    with pytest.raises(StorageError, match="cannot reach http://127.0.0.1") as caught:
        target.get("manifest.json")
    assert "endpoint_url" in caught.value.hint


def test_s3_no_credentials(s3, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(StorageError, match="no AWS credentials"):
        s3_target(s3).get("manifest.json")


def test_open_target_rejects_unknown_schemes(tmp_path: Path):
    with pytest.raises(ConfigError):
        open_target("ftp://host/dir")
    with pytest.raises(ConfigError):
        open_target("s3://")


def test_s3_acl_only_when_configured(s3, make_mp3):
    all_users = "http://acs.amazonaws.com/groups/global/AllUsers"

    def public(key: str) -> bool:
        grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
        return any(g["Grantee"].get("URI") == all_users for g in grants)

    put(s3_target(s3, prefix="private"), "episodes/a-1234abcd.mp3", make_mp3())
    put(s3_target(s3, prefix="public", acl="public-read"), "episodes/a-1234abcd.mp3", make_mp3())
    put(s3_target(s3, prefix="public", acl="public-read"), "feed.xml", b"<rss/>")
    assert not public("private/episodes/a-1234abcd.mp3")
    assert public("public/episodes/a-1234abcd.mp3") and public("public/feed.xml")


def test_list_by_prefix_and_limit(target):
    for key in ("episodes/a-00000000.mp3", "episodes/b-00000000.mp3", "feed.xml"):
        target.put(key, b"x", content_type="audio/mpeg", cache_control="no-cache")
    assert target.list() == ["episodes/a-00000000.mp3", "episodes/b-00000000.mp3", "feed.xml"]
    assert target.list("episodes/") == ["episodes/a-00000000.mp3", "episodes/b-00000000.mp3"]
    assert len(target.list(limit=2)) == 2
    assert target.list("images/") == []


def test_s3_stores_exactly_the_headers_it_is_given(s3):
    target = s3_target(s3)
    target.put("anything.bin", b"1234", content_type="text/x-test", cache_control="max-age=7")
    info = target.head("anything.bin")
    assert (info.bytes, info.content_type, info.cache_control) == (4, "text/x-test", "max-age=7")
    assert target.stores_headers


def test_parse_target_is_the_one_reader_of_target_urls(tmp_path: Path):
    assert parse_target("s3://bucket/a/b") == TargetURL("s3", "bucket", "a/b")
    assert parse_target("file://public") == TargetURL("file", "public")
    with pytest.raises(StorageError, match="unsupported target 'http://x'") as caught:
        parse_target("http://x")
    assert "s3://bucket/prefix" in caught.value.hint
