"""waitress, with S3's user metadata header names as S3 sends them.

waitress capitalizes every response header name (``X-Amz-Meta-Owner``). HTTP does not mind,
but SDKs report user metadata under the name that follows ``x-amz-meta-`` as received, and
S3 sends those names in lower case: ``{"owner": ...}``, not ``{"Owner": ...}``.
"""

from __future__ import annotations

from typing import Any

from waitress.channel import HTTPChannel
from waitress.task import WSGITask

_META = b"x-amz-meta-"


class _Task(WSGITask):
    def build_response_header(self) -> bytes:
        head: bytes = super().build_response_header()
        lines = head.split(b"\r\n")
        for index, line in enumerate(lines):
            name, colon, value = line.partition(b":")
            if colon and name.lower().startswith(_META):
                lines[index] = name.lower() + colon + value
        return b"\r\n".join(lines)


class Channel(HTTPChannel):
    task_class = _Task


def use_s3_header_names(server: Any) -> None:
    server.channel_class = Channel
