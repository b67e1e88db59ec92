"""The ticker list's S3 object, read whole or not at all: a conditional GET on the ETag it
had, so an unchanged list costs no transfer (the list in memory is tickers/cache.py's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from config_api.retry.policy import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NOT_MODIFIED = ("304", "NotModified")  # what S3's 304 answer to If-None-Match is called


@dataclass(frozen=True)
class Fetched:
    body: bytes
    etag: str | None


class TickerObject:
    def __init__(self, s3: S3Client, bucket: str, key: str, policy: RetryPolicy) -> None:
        self._s3, self._bucket, self._key, self._policy = s3, bucket, key, policy

    def fetch(self, etag: str | None = None) -> Fetched | None:
        """The object, or None while it still has `etag`. Raises what the policy could not
        retry away (DependencyError), or the object's ClientError (e.g. NoSuchKey)."""
        conditional: dict[str, Any] = {"IfNoneMatch": etag} if etag else {}
        try:
            resp = self._policy.call(
                "s3",
                "GetObject",
                lambda: self._s3.get_object(Bucket=self._bucket, Key=self._key, **conditional),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in NOT_MODIFIED:
                return None
            raise
        return Fetched(resp["Body"].read(), resp.get("ETag"))
