"""The bundled emulator over real HTTP: linearizability, chaos API, latency, request counts."""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from config_api.emulator import Emulator

SEED = 1234
SCOPE = "AKID/20260101/us-east-1/{}/aws4_request"
SIGV4 = f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host, Signature=0"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(port=0, seed=SEED)
    emu.start()
    yield emu
    emu.stop()


def http(
    emu: Emulator, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(emu.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture(autouse=True)
def _clean_chaos(emulator: Emulator) -> Iterator[None]:
    yield
    assert http(emulator, "POST", "/_localstack/chaos/faults", [])[0] == 200
    assert http(emulator, "POST", "/_localstack/chaos/effects", {"latency": 0})[0] == 200


def client(emu: Emulator, service: str, region: str = "us-east-1", **config: Any) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=emu.url,
        region_name=region,
        aws_access_key_id=uuid.uuid4().hex[:20].upper(),  # moto accepts any credentials
        aws_secret_access_key="secret",
        # botocore's "max_attempts" counts retries after the first call; this means no retries.
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=32,
            **config,
        ),
    )


@pytest.fixture
def ddb(emulator: Emulator) -> Any:
    return client(emulator, "dynamodb")


@pytest.fixture
def s3(emulator: Emulator) -> Any:
    return client(emulator, "s3", s3={"addressing_style": "path"})


def make_table(ddb: Any) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def run_concurrently(n: int, fn: Callable[[int], bool]) -> list[bool]:
    barrier = threading.Barrier(n)
    results: list[bool] = [False] * n

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def error_of(call: Callable[[], object]) -> tuple[str, int]:
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


# --- linearizability --------------------------------------------------------------------------


@pytest.fixture
def eager_switching() -> Iterator[None]:
    # The emulator shares this process; switching threads often makes moto's races show up
    # reliably (without the lock: 6-9 items stored and 500s), so these tests can catch them.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


@pytest.mark.parametrize("trial", range(3))
@pytest.mark.usefixtures("eager_switching")
def test_concurrent_transactions_respect_the_counter_limit(ddb: Any, trial: int) -> None:
    table, user, limit = make_table(ddb), f"USER#{trial}-{uuid.uuid4().hex}", 5

    def transact(i: int) -> bool:
        counter = {
            "TableName": table,
            "Key": {"PK": {"S": user}, "SK": {"S": "COUNTER"}},
            "UpdateExpression": "SET c = if_not_exists(c, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(c) OR c < :max",
            "ExpressionAttributeValues": {
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":max": {"N": str(limit)},
            },
        }
        item = {"PK": {"S": user}, "SK": {"S": f"ITEM#{i:02d}"}}
        put = {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
        try:
            ddb.transact_write_items(TransactItems=[{"Update": counter}, {"Put": put}])
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TransactionCanceledException"
            return False
        return True

    assert sum(run_concurrently(20, transact)) == limit
    items = ddb.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": user}},
        ConsistentRead=True,
    )["Items"]
    assert sum(i["SK"]["S"].startswith("ITEM#") for i in items) == limit
    assert [i["c"]["N"] for i in items if i["SK"]["S"] == "COUNTER"] == [str(limit)]


@pytest.mark.usefixtures("eager_switching")
def test_concurrent_conditional_puts_have_one_winner(ddb: Any) -> None:
    table = make_table(ddb)

    def put(i: int) -> bool:
        try:
            ddb.put_item(
                TableName=table,
                Item={"PK": {"S": "k"}, "SK": {"S": "k"}, "writer": {"N": str(i)}},
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False
        return True

    results = run_concurrently(20, put)
    assert sum(results) == 1
    item = ddb.get_item(TableName=table, Key={"PK": {"S": "k"}, "SK": {"S": "k"}})["Item"]
    assert results[int(item["writer"]["N"])]


# --- chaos faults -----------------------------------------------------------------------------

FAULTS = "/_localstack/chaos/faults"
KEY = {"PK": {"S": "a"}, "SK": {"S": "b"}}


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("ServiceUnavailable", 503),
        ("InternalServerError", 500),
    ],
)
def test_dynamodb_fault_is_parsed_by_botocore(
    emulator: Emulator, ddb: Any, code: str, status: int
) -> None:
    table = make_table(ddb)
    rule = {
        "service": "dynamodb",
        "operation": "PutItem",
        "error": {"statusCode": status, "code": code},
    }
    assert http(emulator, "POST", FAULTS, [rule]) == (200, [{**rule, "probability": 1.0}])

    with pytest.raises(ClientError) as info:
        ddb.put_item(TableName=table, Item=KEY)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert info.value.response["ResponseMetadata"]["RequestId"]
    assert "Item" not in ddb.get_item(TableName=table, Key=KEY)  # other operations unaffected


def test_dynamodb_fault_wire_shape(emulator: Emulator) -> None:
    http(
        emulator,
        "POST",
        FAULTS,
        [{"operation": "ListTables", "error": {"statusCode": 400, "code": "ThrottlingException"}}],
    )
    headers = {
        "Authorization": SIGV4.format("dynamodb"),
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
    }
    req = urllib.request.Request(emulator.url + "/", data=b"{}", method="POST", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    resp = info.value
    assert resp.code == 400
    assert resp.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert resp.headers["x-amzn-ErrorType"] == "ThrottlingException"
    assert resp.headers["x-amzn-RequestId"]
    body = json.loads(resp.read())
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#ThrottlingException"
    assert body["message"]


def test_fault_rule_management(emulator: Emulator) -> None:
    a = {"service": "dynamodb", "operation": "PutItem"}
    b = {"service": "s3", "probability": 0.25, "error": {"statusCode": 503, "code": "SlowDown"}}
    default_error = {"statusCode": 503, "code": "ServiceUnavailable"}
    a_full = {**a, "probability": 1.0, "error": default_error}
    assert http(emulator, "POST", FAULTS, [a]) == (200, [a_full])
    assert http(emulator, "GET", FAULTS) == (200, [a_full])
    assert http(emulator, "PATCH", FAULTS, [b]) == (200, [a_full, b])
    assert http(emulator, "DELETE", FAULTS, [a]) == (200, [b])  # exact match after defaults
    assert http(emulator, "DELETE", FAULTS, [{"service": "s3"}]) == (200, [b])
    assert http(emulator, "POST", FAULTS, []) == (200, [])
    assert http(emulator, "GET", FAULTS) == (200, [])


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        {"service": "s3"},
        [1],
        [{"probability": 1.5}],
        [{"probability": True}],
        [{"operations": "PutItem"}],
        [{"service": 3}],
        [{"error": {"statusCode": "503"}}],
        [{"error": {"statusCode": 200}}],
        [{"error": {"code": ""}}],
        [{"error": {"status": 503}}],
    ],
)
def test_invalid_fault_bodies_are_rejected(emulator: Emulator, body: Any) -> None:
    for method in ("POST", "PATCH", "DELETE"):
        status, payload = http(emulator, method, FAULTS, body)
        assert status == 400
        assert payload["message"]
    assert http(emulator, "GET", FAULTS) == (200, [])


def test_first_matching_rule_wins_and_matching_ignores_case(emulator: Emulator, ddb: Any) -> None:
    table = make_table(ddb)
    rules = [
        {
            "service": "DynamoDB",
            "operation": "putitem",
            "error": {"statusCode": 400, "code": "ThrottlingException"},
        },
        {"service": "dynamodb", "error": {"statusCode": 500, "code": "InternalServerError"}},
    ]
    http(emulator, "POST", FAULTS, rules)
    assert error_of(lambda: ddb.put_item(TableName=table, Item=KEY)) == ("ThrottlingException", 400)
    assert error_of(lambda: ddb.get_item(TableName=table, Key=KEY)) == ("InternalServerError", 500)


def test_region_filter(emulator: Emulator, ddb: Any) -> None:
    table = make_table(ddb)
    http(emulator, "POST", FAULTS, [{"region": "eu-west-1", "service": "dynamodb"}])
    ddb.get_item(TableName=table, Key=KEY)
    eu = client(emulator, "dynamodb", region="eu-west-1")
    assert error_of(lambda: eu.list_tables()) == ("ServiceUnavailable", 503)


def test_probability_is_seeded_and_repeatable(emulator: Emulator, ddb: Any) -> None:
    table = make_table(ddb)
    rule = {
        "operation": "GetItem",
        "probability": 0.5,
        "error": {"statusCode": 400, "code": "ThrottlingException"},
    }

    def pattern() -> list[bool]:
        http(emulator, "POST", FAULTS, [rule])  # a new rule set restarts the seeded stream
        failed = []
        for _ in range(200):
            try:
                ddb.get_item(TableName=table, Key=KEY)
                failed.append(False)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ThrottlingException"
                failed.append(True)
        return failed

    first = pattern()
    assert 70 <= sum(first) <= 130
    assert pattern() == first
    rng = random.Random(SEED)
    assert first == [rng.random() < 0.5 for _ in range(200)]


def test_s3_get_object_slowdown(emulator: Emulator, s3: Any) -> None:
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/obj.json", Body=b"{}")
    http(
        emulator,
        "POST",
        FAULTS,
        [
            {
                "service": "s3",
                "operation": "GetObject",
                "error": {"statusCode": 503, "code": "SlowDown"},
            }
        ],
    )
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="dir/obj.json")
    assert info.value.response["Error"]["Code"] == "SlowDown"
    assert info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert s3.head_object(Bucket=bucket, Key="dir/obj.json")["ContentLength"] == 2
    # Wire shape: S3's XML error document.
    headers = {"Authorization": SIGV4.format("s3")}
    req = urllib.request.Request(f"{emulator.url}/{bucket}/dir/obj.json", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(req, timeout=10)
    assert raw.value.code == 503
    assert raw.value.headers["Content-Type"] == "application/xml"
    body = raw.value.read().decode()
    assert body.startswith("<?xml")
    assert "<Error><Code>SlowDown</Code><Message>" in body
    assert "<RequestId>" in body


def test_s3_head_object_fault_has_no_body(emulator: Emulator, s3: Any) -> None:
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    http(
        emulator,
        "POST",
        FAULTS,
        [
            {
                "service": "s3",
                "operation": "HeadObject",
                "error": {"statusCode": 503, "code": "SlowDown"},
            }
        ],
    )
    # Like real S3: no body on HEAD, so botocore reports the status code as the error code.
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="k")) == ("503", 503)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


# --- effects ----------------------------------------------------------------------------------

EFFECTS = "/_localstack/chaos/effects"


def test_latency_effect(emulator: Emulator, ddb: Any) -> None:
    assert http(emulator, "GET", EFFECTS) == (200, {"latency": 0})
    assert http(emulator, "POST", EFFECTS, {"latency": 300}) == (200, {"latency": 300})
    assert http(emulator, "GET", EFFECTS) == (200, {"latency": 300})
    started = time.monotonic()
    ddb.list_tables()
    assert time.monotonic() - started >= 0.3
    assert http(emulator, "POST", EFFECTS, {"latency": 0}) == (200, {"latency": 0})
    for bad in ({"latency": -1}, {"latency": "1"}, {}, [300], {"latency": 1, "x": 2}):
        assert http(emulator, "POST", EFFECTS, bad)[0] == 400
    assert http(emulator, "PUT", EFFECTS, {"latency": 1})[0] == 405


# --- request counting and moto's own API ------------------------------------------------------

REQUESTS = "/_emulator/requests"


def test_request_counting(emulator: Emulator, ddb: Any, s3: Any) -> None:
    table = make_table(ddb)
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    assert http(emulator, "DELETE", REQUESTS) == (200, {})
    for _ in range(3):
        ddb.put_item(TableName=table, Item=KEY)
    ddb.get_item(TableName=table, Key=KEY)
    http(emulator, "POST", FAULTS, [{"operation": "PutItem"}])
    error_of(lambda: ddb.put_item(TableName=table, Item=KEY))  # injected faults count too
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.get_object(Bucket=bucket, Key="k")
    status, counts = http(emulator, "GET", REQUESTS)
    assert status == 200
    assert counts == {
        "dynamodb": {"PutItem": 4, "GetItem": 1},
        "s3": {"CreateBucket": 1, "PutObject": 1, "GetObject": 1},
    }
    assert http(emulator, "DELETE", REQUESTS) == (200, {})
    assert http(emulator, "GET", REQUESTS) == (200, {})


def test_s3_operations_are_named_like_botocore(emulator: Emulator, s3: Any) -> None:
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    http(emulator, "DELETE", REQUESTS)
    s3.create_bucket(Bucket=bucket)
    s3.head_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.get_bucket_versioning(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b", Body=b"1")
    s3.head_object(Bucket=bucket, Key="a/b")
    s3.get_object(Bucket=bucket, Key="a/b")
    s3.copy_object(Bucket=bucket, Key="a/c", CopySource={"Bucket": bucket, "Key": "a/b"})
    s3.put_object_tagging(
        Bucket=bucket, Key="a/b", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
    )
    s3.get_object_tagging(Bucket=bucket, Key="a/b")
    s3.list_objects_v2(Bucket=bucket)
    s3.list_objects(Bucket=bucket)
    s3.list_object_versions(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    s3.list_parts(Bucket=bucket, Key="m", UploadId=upload)
    parts = {"Parts": [{"ETag": etag, "PartNumber": 1}]}
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=upload, MultipartUpload=parts)
    s3.delete_object(Bucket=bucket, Key="a/c")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a/b"}, {"Key": "m"}]})
    s3.list_buckets()
    counted = set(http(emulator, "GET", REQUESTS)[1]["s3"])
    expected = {
        "CreateBucket", "HeadBucket", "PutBucketVersioning", "GetBucketVersioning", "PutObject",
        "HeadObject", "GetObject", "CopyObject", "PutObjectTagging", "GetObjectTagging",
        "ListObjectsV2", "ListObjects", "ListObjectVersions", "CreateMultipartUpload",
        "UploadPart", "ListParts", "CompleteMultipartUpload", "DeleteObject", "DeleteObjects",
        "ListBuckets",
    }  # fmt: skip
    assert counted == expected


def test_control_endpoint_errors(emulator: Emulator) -> None:
    assert http(emulator, "GET", "/_localstack/chaos/nope")[0] == 404
    assert http(emulator, "PUT", FAULTS, [])[0] == 405
    assert http(emulator, "POST", REQUESTS)[0] == 405


def test_moto_reset_still_works(emulator: Emulator, ddb: Any) -> None:
    make_table(ddb)
    assert ddb.list_tables()["TableNames"]
    req = urllib.request.Request(emulator.url + "/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
    assert ddb.list_tables()["TableNames"] == []
