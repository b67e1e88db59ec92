"""LocalStack-compatible chaos: the rules in force (fault_rules.py has their documents), which
AWS call a request is, and AWS-shaped error rendering."""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
import zlib
from contextlib import suppress
from http import HTTPStatus
from ipaddress import ip_address
from urllib.parse import parse_qs, urlsplit
from wsgiref.types import WSGIEnvironment
from xml.sax.saxutils import escape

from .fault_rules import AwsCall, FaultRule

_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")
_MESSAGE = "Operation failed due to a simulated fault (emulator chaos rule)"


class ChaosState:
    """Rules and latency shared by all request threads; one lock keeps the RNG stream ordered."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._latency_ms = 0.0

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def replace(self, rules: list[FaultRule]) -> list[FaultRule]:
        with self._lock:
            # Reseeding on each new rule set makes a seeded scenario repeatable whatever ran before.
            self._rng.seed(self._seed)
            self._rules = list(rules)
            return list(self._rules)

    def extend(self, rules: list[FaultRule]) -> list[FaultRule]:
        with self._lock:
            self._rules.extend(rules)
            return list(self._rules)

    def remove(self, rules: list[FaultRule]) -> list[FaultRule]:
        with self._lock:
            self._rules = [r for r in self._rules if r not in rules]
            return list(self._rules)

    @property
    def latency_ms(self) -> float:
        with self._lock:
            return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        with self._lock:
            self._latency_ms = value

    def pick(self, call: AwsCall) -> FaultRule | None:
        """First matching rule whose probability roll fires; a roll is drawn only when needed."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(call) or rule.probability <= 0:
                    continue
                if rule.probability >= 1 or self._rng.random() < rule.probability:
                    return rule
            return None


def identify(environ: WSGIEnvironment) -> AwsCall:
    """Service and region from the SigV4 credential scope, operation from the protocol."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth)
    # Presigned URLs carry the scope in the query string instead of the header.
    scope = match.group(1) if match else query.get("X-Amz-Credential", [""])[0]
    parts = scope.split("/")
    service, region = (parts[-2], parts[-3]) if len(parts) >= 5 else (None, None)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if service is None and target.startswith("DynamoDB_"):
        service = "dynamodb"
    operation: str | None = None
    if target:
        operation = target.rsplit(".", 1)[-1]
    elif service == "s3":
        operation = s3_operation(environ, query)
    elif "Action" in query:
        operation = query["Action"][0]
    return AwsCall(service=service, region=region, operation=operation)


# Bucket subresources: GET/PUT/DELETE map to Get/Put/DeleteBucket<Name>.
_CONFIGURATION_SUBS = ("lifecycle", "notification", "accelerate")
_BUCKET_SUBS = (
    *("versioning", "policy", "tagging", "cors", "encryption", "acl", "website", "location"),
    *("logging", "replication", "ownershipControls", "publicAccessBlock", *_CONFIGURATION_SUBS),
)
_VERB = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}


def _bucket_and_key(environ: WSGIEnvironment) -> tuple[str, str]:
    path = environ.get("PATH_INFO", "").lstrip("/")
    host = urlsplit("//" + environ.get("HTTP_HOST", "")).hostname or ""
    # Mirrors moto: a dotted host that is neither an IP nor localhost names the bucket.
    virtual = "." in host and not host.startswith(("localhost", "s3.", "s3-"))
    if virtual:
        with suppress(ValueError):
            ip_address(host)
            virtual = False
    if virtual:
        bucket = host.split(".s3", 1)[0] if "amazonaws.com" in host else host.split(".", 1)[0]
        return bucket, path
    bucket, _, key = path.partition("/")
    return bucket, key


def s3_operation(environ: WSGIEnvironment, query: dict[str, list[str]]) -> str | None:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    bucket, key = _bucket_and_key(environ)
    if not bucket:
        return "ListBuckets" if method == "GET" else None
    if not key:
        if method == "HEAD":
            return "HeadBucket"
        if method == "POST":
            return "DeleteObjects" if "delete" in query else None
        if method == "GET" and "uploads" in query:
            return "ListMultipartUploads"
        if method == "GET" and "versions" in query:
            return "ListObjectVersions"
        sub = next((sub for sub in _BUCKET_SUBS if sub in query), None)
        if sub is not None and method in _VERB:
            suffix = "Configuration" if sub in _CONFIGURATION_SUBS else ""
            op = f"{_VERB[method]}Bucket{sub[0].upper()}{sub[1:]}{suffix}"
            return "DeleteBucketLifecycle" if op == "DeleteBucketLifecycleConfiguration" else op
        if method == "GET":
            return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method)
    copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
    if "uploadId" in query:
        put = "UploadPartCopy" if copy else "UploadPart"
        ops = {"GET": "ListParts", "PUT": put, "POST": "CompleteMultipartUpload"}
        return {**ops, "DELETE": "AbortMultipartUpload"}.get(method)
    if method == "POST":
        posts = (("uploads", "CreateMultipartUpload"), ("restore", "RestoreObject"))
        return next((op for sub, op in posts if sub in query), None)
    for sub, name in (("tagging", "Tagging"), ("acl", "Acl"), ("attributes", "Attributes")):
        if sub in query and method in _VERB:
            return f"{_VERB[method]}Object{name}"
    object_ops = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
    return {**object_ops, "PUT": "CopyObject" if copy else "PutObject"}.get(method)


def render_fault(
    rule: FaultRule, call: AwsCall, environ: WSGIEnvironment, message: str = _MESSAGE
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The error the real service would send, so botocore parses code and status from it."""
    request_id = str(uuid.uuid4())
    status = f"{rule.status_code} {_reason(rule.status_code)}"
    if environ.get("HTTP_X_AMZ_TARGET") or call.service == "dynamodb":
        prefix = "com.amazonaws.dynamodb.v20120810#" if call.service == "dynamodb" else ""
        body = json.dumps({"__type": prefix + rule.code, "message": message}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-ErrorType", rule.code),
            ("x-amzn-RequestId", request_id),
            # botocore verifies this checksum on DynamoDB responses when present.
            ("x-amz-crc32", str(zlib.crc32(body))),
        ]
    else:
        error = f"<Code>{escape(rule.code)}</Code><Message>{escape(message)}</Message>"
        if call.service in ("s3", None):  # moto routes unidentified requests to S3 as well
            xml = f"<Error>{error}<RequestId>{request_id}</RequestId></Error>"
        else:  # query protocol (SQS, SNS, STS, ...)
            xml = f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error>"
            xml += f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}'.encode()
        headers = [
            ("Content-Type", "application/xml"),
            ("x-amz-request-id", request_id),
            ("x-amz-id-2", request_id),
        ]
    if environ.get("REQUEST_METHOD") == "HEAD":
        body = b""  # HEAD responses never carry a body; botocore falls back to the status.
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body


def _reason(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"
