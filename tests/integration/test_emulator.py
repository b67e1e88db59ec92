"""The bundled emulator over real HTTP: linearizability, chaos API, latency, request counts."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from config_api.local.emulator import Emulator
from tests.support.emulator import TABLE, client, http, new_table, outcome

SEED = 1234
FAULTS, EFFECTS = "/_localstack/chaos/faults", "/_localstack/chaos/effects"
REQUESTS = "/_emulator/requests"
KEY, NEW = {"PK": {"S": "a"}, "SK": {"S": "b"}}, "attribute_not_exists(PK)"


def err(status: int, code: str) -> dict[str, Any]:
    return {"statusCode": status, "code": code}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(port=0, seed=SEED)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def _clean_chaos(emulator: Emulator) -> Iterator[None]:
    yield
    assert http(emulator, "POST", FAULTS, [])[0] == 200
    assert http(emulator, "POST", EFFECTS, {"latency": 0})[0] == 200


@pytest.fixture(scope="module")
def ddb(emulator: Emulator) -> Any:
    return client(emulator.url, "dynamodb")


@pytest.fixture(scope="module")
def s3(emulator: Emulator) -> Any:
    return client(emulator.url, "s3", s3={"addressing_style": "path"})


@pytest.fixture
def table_name(ddb: Any) -> str:
    name = new_table(ddb)
    return name


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="dir/k", Body=b'"v"')  # JSON, so http() can read it
    return name


def run_concurrently(n: int, fn: Callable[[int], str | None]) -> list[str | None]:
    # The emulator shares this process; switching threads often makes moto's races show up
    # reliably (without the lock: 6-9 items stored and 500s), so these tests can catch them.
    barrier, previous = threading.Barrier(n), sys.getswitchinterval()

    def go(i: int) -> str | None:
        barrier.wait()
        return fn(i)

    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(go, range(n)))
    finally:
        sys.setswitchinterval(previous)


@pytest.mark.parametrize("trial", range(3))
def test_transactions_respect_counter_limit(ddb: Any, table_name: str, trial: int) -> None:
    user = {"S": f"USER#{trial}-{uuid.uuid4().hex}"}
    counter = {
        "TableName": table_name,
        "Key": {"PK": user, "SK": {"S": "COUNTER"}},
        "UpdateExpression": "SET c = if_not_exists(c, :zero) + :one",
        "ConditionExpression": "attribute_not_exists(c) OR c < :max",
        "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}, ":max": {"N": "5"}},
    }

    def transact(i: int) -> str | None:
        put = {"TableName": table_name, "Item": {"PK": user, "SK": {"S": f"ITEM#{i:02d}"}}}
        put["ConditionExpression"] = NEW
        items = [{"Update": counter}, {"Put": put}]
        return outcome(lambda: ddb.transact_write_items(TransactItems=items))[0]

    assert Counter(run_concurrently(20, transact)) == {None: 5, "TransactionCanceledException": 15}
    query = {"KeyConditionExpression": "PK = :pk", "ExpressionAttributeValues": {":pk": user}}
    items = ddb.query(TableName=table_name, **query)["Items"]
    assert sum(i["SK"]["S"].startswith("ITEM#") for i in items) == 5
    assert [i["c"]["N"] for i in items if i["SK"]["S"] == "COUNTER"] == ["5"]


def test_concurrent_conditional_puts_have_one_winner(ddb: Any, table_name: str) -> None:
    def put(i: int) -> str | None:
        item = {
            "TableName": table_name,
            "Item": {**KEY, "w": {"N": str(i)}},
            "ConditionExpression": NEW,
        }
        return outcome(lambda: ddb.put_item(**item))[0]

    results = run_concurrently(20, put)
    assert Counter(results) == {None: 1, "ConditionalCheckFailedException": 19}
    assert results[int(ddb.get_item(TableName=table_name, Key=KEY)["Item"]["w"]["N"])] is None


DDB_FAULTS = [("ProvisionedThroughputExceededException", 400), ("ThrottlingException", 400)]
DDB_FAULTS += [("ServiceUnavailable", 503), ("InternalServerError", 500)]


@pytest.mark.parametrize(("code", "status"), DDB_FAULTS)
def test_dynamodb_fault(
    emulator: Emulator, ddb: Any, table_name: str, code: str, status: int
) -> None:
    rule = {"service": "dynamodb", "operation": "PutItem", "error": err(status, code)}
    assert http(emulator, "POST", FAULTS, [rule]) == (200, [{**rule, "probability": 1.0}])
    got_code, got_status, headers = outcome(lambda: ddb.put_item(TableName=table_name, Item=KEY))
    assert (got_code, got_status, headers["x-amzn-errortype"]) == (code, status, code)
    assert headers["content-type"] == "application/x-amz-json-1.0" and headers["x-amzn-requestid"]
    assert "Item" not in ddb.get_item(TableName=table_name, Key=KEY)  # other operations unaffected


INVALID_RULES = """not json
{"service": "s3"}
[{"probability": 1.5, "operation": 3}]
[{"operations": "PutItem"}]
[{"error": {"statusCode": 200, "code": ""}}]""".splitlines()


def test_fault_rule_management(emulator: Emulator) -> None:
    a = {"service": "dynamodb", "operation": "PutItem"}
    b = {"service": "s3", "probability": 0.25, "error": err(503, "SlowDown")}
    a_full = {**a, "probability": 1.0, "error": err(503, "ServiceUnavailable")}
    assert http(emulator, "POST", FAULTS, [a]) == (200, [a_full])
    assert http(emulator, "GET", FAULTS) == (200, [a_full])
    assert http(emulator, "PATCH", FAULTS, [b]) == (200, [a_full, b])
    assert http(emulator, "DELETE", FAULTS, [a]) == (200, [b])  # exact match, after defaults
    assert http(emulator, "DELETE", FAULTS, [{"service": "s3"}]) == (200, [b])
    for body, method in [(body, m) for body in ["", *INVALID_RULES] for m in ("POST", "PATCH")]:
        status, payload = http(emulator, method, FAULTS, body.encode())
        assert (status, bool(payload["message"])) == (400, True), body
    assert http(emulator, "GET", FAULTS) == (200, [b])  # invalid bodies changed nothing
    assert http(emulator, "POST", FAULTS, []) == (200, [])
    for bad in ({"latency": -1}, {"latency": "1"}, {}, [300], {"latency": 1, "x": 2}):
        assert http(emulator, "POST", EFFECTS, bad)[0] == 400
    other = [("PUT", FAULTS), ("POST", REQUESTS), ("GET", "/_localstack/chaos/nope")]
    assert [http(emulator, method, path)[0] for method, path in other] == [405, 405, 404]


def test_first_matching_rule_wins_case_insensitively(emulator: Emulator, ddb: Any) -> None:
    first = {"service": "DynamoDB", "operation": "listtables", "error": err(400, "Throttled")}
    second = {"region": "EU-west-1", "service": "dynamodb", "error": err(500, "InternalError")}
    http(emulator, "POST", FAULTS, [first, second])
    assert outcome(ddb.list_tables)[:2] == ("Throttled", 400)
    ddb.describe_limits()  # us-east-1: the region rule does not apply
    eu = client(emulator.url, "dynamodb", region="eu-west-1")
    assert outcome(eu.describe_limits)[:2] == ("InternalError", 500)


def test_probability_is_seeded_and_repeatable(
    emulator: Emulator, ddb: Any, table_name: str
) -> None:
    rule = {"operation": "GetItem", "probability": 0.5, "error": err(400, "ThrottlingException")}

    def pattern() -> list[bool]:
        http(emulator, "POST", FAULTS, [rule])  # a new rule set restarts the seeded stream
        codes = [
            outcome(lambda: ddb.get_item(TableName=table_name, Key=KEY))[0] for _ in range(200)
        ]
        assert set(codes) == {None, "ThrottlingException"}
        return [code is not None for code in codes]

    first = pattern()
    assert 70 <= sum(first) <= 130
    assert pattern() == first
    rng = random.Random(SEED)
    assert first == [rng.random() < 0.5 for _ in range(200)]


def test_s3_faults(emulator: Emulator, s3: Any, bucket: str) -> None:
    rule = {"service": "s3", "operation": "GetObject", "error": err(503, "SlowDown")}
    http(emulator, "POST", FAULTS, [rule])
    code, status, headers = outcome(lambda: s3.get_object(Bucket=bucket, Key="dir/k"))
    assert (code, status, headers["content-type"]) == ("SlowDown", 503, "application/xml")
    assert s3.head_object(Bucket=bucket, Key="dir/k")["ContentLength"] == 3
    http(emulator, "POST", FAULTS, [{**rule, "operation": "HeadObject"}])
    # Like real S3: no body on HEAD, so botocore reports the status code as the error code.
    assert outcome(lambda: s3.head_object(Bucket=bucket, Key="dir/k"))[:2] == ("503", 503)
    assert s3.get_object(Bucket=bucket, Key="dir/k")["Body"].read() == b'"v"'


def test_latency_effect(emulator: Emulator, ddb: Any) -> None:
    assert http(emulator, "GET", EFFECTS) == (200, {"latency": 0})
    assert http(emulator, "POST", EFFECTS, {"latency": 300}) == (200, {"latency": 300})
    started = time.monotonic()
    ddb.list_tables()
    assert time.monotonic() - started >= 0.3
    assert http(emulator, "POST", EFFECTS, {"latency": 0}) == (200, {"latency": 0})


def test_request_counting(emulator: Emulator, ddb: Any, table_name: str, bucket: str) -> None:
    sent: Counter[str] = Counter()  # botocore's own operation names are the reference
    s3 = client(emulator.url, "s3")
    s3.meta.events.register("before-call", lambda model, **_: sent.update([model.name]))
    assert http(emulator, "DELETE", REQUESTS) == (200, {})
    for _ in range(3):
        ddb.put_item(TableName=table_name, Item=KEY)
    ddb.get_item(TableName=table_name, Key=KEY)
    http(emulator, "POST", FAULTS, [{"operation": "PutItem"}])
    outcome(lambda: ddb.put_item(TableName=table_name, Item=KEY))  # injected faults count too
    obj = {"Bucket": bucket, "Key": "a/b"}
    s3.head_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Body=b"1", **obj)
    s3.head_object(**obj)
    s3.get_object(**obj)
    s3.copy_object(Bucket=bucket, Key="a/c", CopySource=obj)
    s3.put_object_tagging(Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}, **obj)
    s3.list_objects_v2(Bucket=bucket)
    upload = {**obj, "UploadId": s3.create_multipart_upload(**obj)["UploadId"]}
    parts = [{"ETag": s3.upload_part(PartNumber=1, Body=b"p", **upload)["ETag"], "PartNumber": 1}]
    s3.complete_multipart_upload(MultipartUpload={"Parts": parts}, **upload)
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a/b"}]})
    s3.delete_object(Bucket=bucket, Key="a/c")
    s3.list_buckets()
    counts = {"dynamodb": {"PutItem": 4, "GetItem": 1}, "s3": dict(sent)}
    assert http(emulator, "GET", REQUESTS) == (200, counts)
    assert http(emulator, "DELETE", REQUESTS) == (200, {})
    # Virtual-hosted style needs no DNS here: connect to the emulator, name the bucket in Host.
    auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/s3/aws4_request"}
    assert http(emulator, "GET", "/dir/k", Host=f"{bucket}.localhost:1", **auth) == (200, "v")
    assert http(emulator, "GET", REQUESTS) == (200, {"s3": {"GetObject": 1}})


def test_moto_reset_in_a_separate_process() -> None:
    # /moto-api/reset wipes every backend of its process, so not in the shared test process.
    serve = "from config_api.local.emulator import Emulator; e = Emulator(port=0); print(e.url)"
    cmd = [sys.executable, "-u", "-c", f"{serve}; e.serve_forever()"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            url = proc.stdout.readline().strip() if proc.stdout else ""
            ddb = client(url, "dynamodb")
            ddb.create_table(TableName="t", **TABLE)
            assert http(url, "POST", "/moto-api/reset")[0] == 200
            assert ddb.list_tables()["TableNames"] == []
            counts = {"dynamodb": {"CreateTable": 1, "ListTables": 1}}
            assert http(url, "GET", REQUESTS) == (200, counts)
        finally:
            proc.terminate()
