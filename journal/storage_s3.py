"""Recordings and photos in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Yandex
Object Storage...), through ``aiobotocore`` (the ``hotline[s3]`` extra: requirements-s3.lock).

Objects are named by the same content key as the files of ``FileStore`` (with an optional
prefix), so a recordings directory copied into the bucket as it is (``aws s3 sync DIR
s3://BUCKET/PREFIX``) serves the rows written before the switch. Reads ask the server for the
byte range wanted and stream it; nothing is kept in memory whole.

The access key and secret are passed to the client only: never logged, never shown (``where``
names the endpoint and bucket)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import structlog

from .errors import ConfigError
from .storage import CHUNK, BlobStore, StoredFile, check_key, content_key

log = structlog.get_logger(__name__)

# A caller waits on the line while their recording is stored: a bucket that does not answer
# must not hold the ticket back for long (the ticket is registered without the audio instead).
PUT_SECONDS = 8.0


class StorageUnavailable(OSError):
    """The bucket did not answer or refused: an OSError, as a full or failing disk is, so the
    callers that keep a ticket without its recording treat both alike."""

    def __init__(self, what: str, exc: BaseException) -> None:
        super().__init__(f"хранилище записей S3 недоступно ({what}: {type(exc).__name__})")
        self.strerror = "хранилище записей S3 недоступно"


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint: str = ""  # empty: AWS itself
    region: str = "us-east-1"
    access_key: str = ""  # empty: botocore's own chain (environment, instance role)
    secret_key: str = ""
    prefix: str = ""

    def __repr__(self) -> str:
        return f"S3Config(bucket={self.bucket!r}, endpoint={self.endpoint!r}, region={self.region!r}, prefix={self.prefix!r})"


class S3Store(BlobStore):
    backend = "s3"

    def __init__(self, config: S3Config) -> None:
        if not config.bucket:
            raise ConfigError("recordings.s3_bucket is not set (the bucket recordings go to)")
        if config.prefix and (config.prefix.startswith("/") or not config.prefix.endswith("/")):
            raise ConfigError(f"recordings.s3_prefix must be relative and end with '/', got {config.prefix!r}")
        self.config = config
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._lock = asyncio.Lock()

    def where(self) -> str:
        c = self.config
        return f"s3://{c.bucket}/{c.prefix}" + (f" ({c.endpoint})" if c.endpoint else "")

    async def _s3(self) -> Any:
        """The client, made on first use and kept until ``close``."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
                        from aiobotocore.session import get_session  # type: ignore[import-untyped]
                    except ImportError:
                        raise ConfigError("recordings.backend = \"s3\" needs aiobotocore: "
                                          "pip install -r requirements-s3.lock (or 'hotline[s3]')") from None
                    c = self.config
                    stack = AsyncExitStack()
                    self._client = await stack.enter_async_context(get_session().create_client(
                        "s3", endpoint_url=c.endpoint or None, region_name=c.region or None,
                        aws_access_key_id=c.access_key or None, aws_secret_access_key=c.secret_key or None,
                        config=AioConfig(connect_timeout=3, read_timeout=20, retries={"max_attempts": 2},
                                         s3={"addressing_style": "path"})))
                    self._stack = stack
                    log.info("storage.s3_client", bucket=c.bucket, endpoint=c.endpoint or "aws", prefix=c.prefix)
        return self._client

    def _name(self, key: str) -> str:
        return self.config.prefix + check_key(key)

    async def put(self, data: bytes, suffix: str = ".wav") -> StoredFile:
        digest, key = await asyncio.to_thread(content_key, data, suffix)
        s3 = await self._s3()
        try:
            async with asyncio.timeout(PUT_SECONDS):
                # Content-addressed: the same bytes again under the same name change nothing.
                await s3.put_object(Bucket=self.config.bucket, Key=self._name(key), Body=data)
        except Exception as exc:
            log.error("storage.s3_put_failed", bucket=self.config.bucket, error=type(exc).__name__)
            raise StorageUnavailable("put", exc) from exc
        return StoredFile(digest, key, len(data))

    async def size(self, key: str) -> int | None:
        name = self._name(key)
        s3 = await self._s3()
        try:
            head = await s3.head_object(Bucket=self.config.bucket, Key=name)
        except Exception as exc:
            if _missing(exc):
                return None
            raise StorageUnavailable("head", exc) from exc
        return int(head["ContentLength"])

    async def read_range(self, key: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        if end <= start:
            return
        name = self._name(key)
        s3 = await self._s3()
        try:
            got = await s3.get_object(Bucket=self.config.bucket, Key=name, Range=f"bytes={start}-{end - 1}")
        except Exception as exc:
            raise StorageUnavailable("get", exc) from exc
        body = got["Body"]
        try:
            async for part in body.iter_chunks(CHUNK):
                yield part
        finally:
            body.close()

    async def delete(self, key: str) -> bool:
        if await self.size(key) is None:
            return False
        s3 = await self._s3()
        try:
            await s3.delete_object(Bucket=self.config.bucket, Key=self._name(key))
        except Exception as exc:
            raise StorageUnavailable("delete", exc) from exc
        return True

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()


def _missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")
