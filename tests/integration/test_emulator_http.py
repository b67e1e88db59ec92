"""The emulator's HTTP server: connections stay open across AWS calls, faults and control calls."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import moto
import moto.backends
import moto.core.responses
import pytest
from moto.dynamodb.responses import DynamoHandler

from config_api.local.emulator import Emulator

DYNAMODB = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/dynamodb/aws4_request",
}
S3 = {"Authorization": "AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/s3/aws4_request"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(port=0)
    emu.start()
    yield emu
    emu.stop()


def test_one_connection_serves_many_requests(emulator: Emulator) -> None:
    conn = http.client.HTTPConnection(urlsplit(emulator.url).netloc, timeout=10)
    conn.connect()
    sock = conn.sock
    fault = [{"service": "dynamodb", "operation": "ListTables", "error": {"statusCode": 503}}]
    calls = [
        ("POST", "/", b"{}", DYNAMODB, 200),
        ("PUT", "/keepalive-bucket", b"", S3, 200),
        ("PUT", "/keepalive-bucket/k", b"x" * 100_000, S3, 200),
        ("POST", "/_localstack/chaos/faults", json.dumps(fault).encode(), {}, 200),
        ("POST", "/", b"{}", DYNAMODB, 503),  # a fault is answered on the same connection
        ("DELETE", "/_localstack/chaos/faults", json.dumps(fault).encode(), {}, 200),
        ("GET", "/keepalive-bucket/k", b"", S3, 200),
        ("GET", "/_emulator/nothing-here", b"", {}, 404),
    ]
    for method, path, body, headers, status in calls:
        conn.request(method, path, body, headers)
        resp = conn.getresponse()
        resp.read()
        assert (method, path, resp.status) == (method, path, status)
        assert resp.getheader("Connection", "").lower() != "close"
        assert conn.sock is sock, f"{method} {path} closed the connection"
    conn.close()


def test_s3_user_metadata_names_come_back_as_sent(emulator: Emulator) -> None:
    s3 = boto3.client(
        "s3",
        "us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket="metadata-bucket")
    s3.put_object(Bucket="metadata-bucket", Key="k", Body=b"v", Metadata={"owner-name": "a"})
    assert s3.get_object(Bucket="metadata-bucket", Key="k")["Metadata"] == {"owner-name": "a"}
    assert s3.head_object(Bucket="metadata-bucket", Key="k")["Metadata"] == {"owner-name": "a"}


def test_moto_s_module_scan_and_method_lists_are_made_once(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto lists its package directory and its response classes' methods on every request;
    the emulator (dispatch.py) keeps both answers once made."""
    modules = moto.backends.list_of_moto_modules()
    assert modules is moto.backends.list_of_moto_modules()
    assert {"dynamodb", "s3"} <= set(modules)
    responses: Any = moto.core.responses  # the name moto's dispatch looks up per call
    methods = responses.method_names_from_class(DynamoHandler)
    assert methods is responses.method_names_from_class(DynamoHandler)

    moto_dir = os.path.dirname(moto.__file__)
    listed: list[str] = []
    listdir = os.listdir

    def recording_listdir(path: str) -> list[str]:
        listed.append(str(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", recording_listdir)
    conn = http.client.HTTPConnection(urlsplit(emulator.url).netloc, timeout=10)
    try:
        for method, body, headers in [("POST", b"{}", DYNAMODB), ("GET", b"", S3)] * 3:
            conn.request(method, "/", body, headers)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
    finally:
        conn.close()
    assert moto_dir not in listed  # no request listed moto's directory
