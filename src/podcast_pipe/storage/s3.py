"""``s3://bucket/prefix`` on AWS S3 or any S3-compatible service, through boto3.

Credentials come only from the standard AWS chain (environment, profile, instance role); the
endpoint from ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` (boto3 reads them itself) or
the ``endpoint_url`` option. Nothing here ever formats a credential into a message.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.client import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from ..errors import ConditionalWriteUnsupported, ObjectExists, StorageError
from .base import ObjectInfo, OnBytes

MiB = 1 << 20
# Multipart above 16 MiB, in 8 MiB parts, 2 parts in flight per file: memory stays bounded
# (parts × concurrency) however long the episode.
TRANSFER = TransferConfig(
    multipart_threshold=16 * MiB, multipart_chunksize=8 * MiB, max_concurrency=2
)
CREDENTIALS_HINT = (
    "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE (the standard AWS chain)"
)
# Error code → (message, hint). The service's own message is not printed: it can echo the
# access key id or the string that was signed.
CLIENT_ERRORS = {
    "NoSuchBucket": ("bucket does not exist", "create it, or fix the bucket in [publish] target"),
    "AccessDenied": (
        "access denied",
        "the credentials need s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket here",
    ),
    "AllAccessDisabled": ("access to this bucket is disabled", "ask the bucket's owner"),
    "InvalidAccessKeyId": ("the access key is not known to this service", CREDENTIALS_HINT),
    "SignatureDoesNotMatch": ("the secret key does not match the access key", CREDENTIALS_HINT),
    "ExpiredToken": ("the session token has expired", "refresh your credentials"),
    "RequestTimeTooSkewed": (
        "this computer's clock is too far off the server's",
        "synchronise the clock (NTP) and try again",
    ),
    "AccessControlListNotSupported": (
        "the bucket does not accept ACLs",
        "remove `acl` from [publish] in podcast.toml",
    ),
    "InvalidArgument": (
        "the service rejected the request",
        'if it mentions checksums, set checksums = "when_required" under [publish]',
    ),
}
HTTP_STATUS_CODES = {"403": "AccessDenied", "404": "NoSuchBucket"}
# A create-only PUT (If-None-Match: *): the key is taken, or the service cannot do it.
TAKEN = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")
UNSUPPORTED = ("NotImplemented", "501", "InvalidArgument", "InvalidRequest", "400")


class S3Target:
    """Objects under ``prefix`` in ``bucket``; uploads carry content type, cache policy, ACL."""

    stores_headers = True

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing: str = "auto",
        acl: str | None = None,
        checksums: str = "when_required",
        max_attempts: int = 8,
        retry_mode: str = "standard",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self.acl = acl
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=client_options(addressing, checksums, max_attempts, retry_mode),
        )

    def _key(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> bytes | None:
        with self._errors("download", key):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if _code(exc) in ("NoSuchKey", "404"):
                    return None
                raise
            return response["Body"].read()

    def head(self, key: str) -> ObjectInfo | None:
        with self._errors("check", key):
            try:
                response = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                # HEAD has no body: a missing key and a missing bucket both say 404.
                if _code(exc) in ("NoSuchKey", "404"):
                    return None
                raise
        return ObjectInfo(
            key,
            response["ContentLength"],
            response.get("ContentType", ""),
            response.get("CacheControl"),
        )

    def put(
        self,
        key: str,
        source: bytes | Path,
        *,
        content_type: str,
        cache_control: str,
        on_bytes: OnBytes | None = None,
        if_absent: bool = False,
    ) -> None:
        """Bytes in one PUT; a file through boto3's managed (multipart) transfer.

        ``if_absent`` sends ``If-None-Match: *`` (S3's conditional create).
        """
        extra = self._headers(content_type, cache_control)
        if if_absent:
            assert isinstance(source, bytes), "create-only puts are for small objects"
            self._create(key, source, extra)
            return
        with self._errors("upload", key):
            if isinstance(source, Path):
                self.client.upload_file(
                    str(source),
                    self.bucket,
                    self._key(key),
                    ExtraArgs=extra,
                    Callback=on_bytes,
                    Config=TRANSFER,
                )
                return
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=source, **extra)
            if on_bytes:
                on_bytes(len(source))

    def _headers(self, content_type: str, cache_control: str) -> dict[str, str]:
        extra = {"ContentType": content_type, "CacheControl": cache_control}
        if self.acl:
            extra["ACL"] = self.acl
        return extra

    def _create(self, key: str, data: bytes, extra: dict[str, str]) -> None:
        """PUT with If-None-Match: * — 412 means taken; 501 or a 400 means not supported here."""
        with self._errors("upload", key):
            try:
                self.client.put_object(
                    Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*", **extra
                )
            except ClientError as exc:
                code = _code(exc)
                if code in TAKEN:
                    raise ObjectExists(f"{key} exists", path=self.url) from None
                if code in UNSUPPORTED:
                    raise ConditionalWriteUnsupported(
                        f"conditional writes refused ({code})", path=self.url
                    ) from None
                raise

    def restyle(self, key: str, *, content_type: str, cache_control: str) -> None:
        """Copy the object onto itself with new headers (server side: no bytes travel)."""
        with self._errors("update", key):
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(key),
                CopySource={"Bucket": self.bucket, "Key": self._key(key)},
                MetadataDirective="REPLACE",
                **self._headers(content_type, cache_control),
            )

    def delete(self, keys: builtins.list[str]) -> builtins.list[str]:
        failed: builtins.list[str] = []
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            with self._errors("delete", keys[start]):
                response = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            failed += [str(e.get("Key"))[len(self.prefix) :] for e in response.get("Errors", [])]
        return failed

    def list(self, prefix: str = "", limit: int | None = None) -> builtins.list[str]:
        keys: builtins.list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=self._key(prefix),
            PaginationConfig={"MaxItems": limit} if limit else {},
        )
        with self._errors("list", ""):
            for page in pages:
                keys += [o["Key"][len(self.prefix) :] for o in page.get("Contents", [])]
        return keys

    @contextlib.contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        """Turn boto3's exceptions into one-line StorageErrors with a hint."""
        try:
            yield
        except S3UploadFailedError as exc:
            cause = exc.__context__
            if isinstance(cause, ClientError):
                raise self._client_error(action, key, cause) from None
            raise StorageError(
                f"{action} of {key} failed", path=self.url, hint="try again"
            ) from None
        except ClientError as exc:
            raise self._client_error(action, key, exc) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise StorageError(
                "no AWS credentials found", path=self.url, hint=CREDENTIALS_HINT
            ) from None
        except ConnectionError:
            raise StorageError(
                f"cannot reach {self.client.meta.endpoint_url} (after retries)",
                path=self.url,
                hint="check AWS_ENDPOINT_URL or [publish] endpoint_url, and the network; "
                "publishing again resumes where this one stopped",
            ) from None
        except BotoCoreError as exc:
            raise StorageError(
                f"{action} of {key or 'the listing'} failed: {type(exc).__name__}",
                path=self.url,
                hint="try again; publishing again resumes where this one stopped",
            ) from None

    def _client_error(self, action: str, key: str, exc: ClientError) -> StorageError:
        code = _code(exc)
        code = HTTP_STATUS_CODES.get(code, code)
        message, hint = CLIENT_ERRORS.get(
            code, (f"{action} failed", "try again; publishing again resumes where it stopped")
        )
        what = f"{action} {key}" if key else action
        return StorageError(f"{message} ({code} on {what})", path=self.url, hint=hint)


def client_options(addressing: str, checksums: str, max_attempts: int, retry_mode: str) -> Config:
    """Retries (botocore's standard or adaptive mode), addressing style and the checksum policy.

    Recent boto3 sends CRC32 checksum trailers by default, which several S3-compatible services
    reject; ``when_required`` (our default) restores the old behaviour (QUIRKS, Hosting).
    """
    s3: dict[str, Any] = {}
    if addressing != "auto":
        s3["addressing_style"] = addressing
    return Config(
        retries={"mode": retry_mode, "max_attempts": max_attempts},
        s3=s3,
        connect_timeout=10,
        read_timeout=60,
        request_checksum_calculation=checksums,
        response_checksum_validation="when_required",
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
