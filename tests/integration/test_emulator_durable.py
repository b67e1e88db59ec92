"""The emulator with a data directory, in a process of its own, killed with SIGKILL: every
acknowledged write is there after a restart, failed ones never are, damage is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from config_api.local.emulator import FAULTS_PATH, LOST_RESPONSES_PATH
from config_api.local.emulator.journal import Record, encode
from config_api.local.process import READY, command

TABLE, BUCKET = "durable", "durable-bucket"
KEYS = (("PK", "HASH"), ("SK", "RANGE"))
ONCE = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)
BIG = 200_000  # three objects this size pass the journal's size limit: a snapshot is taken


class Child:
    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            command("127.0.0.1", 0, data_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        self.url = line[len(READY) :].split()[0] if line.startswith(READY) else ""

    def client(self, service: str) -> Any:
        make: Any = boto3.client  # its stubs take each service's own name, not any str
        creds = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        return make(service, "us-east-1", endpoint_url=self.url, config=ONCE, **creds)

    def control(self, path: str, rules: list[dict[str, Any]]) -> None:
        body = json.dumps(rules).encode()
        urllib.request.urlopen(urllib.request.Request(self.url + path, body), timeout=5).close()

    def kill(self) -> str:
        self.proc.send_signal(signal.SIGKILL)
        return self._ended()

    def stop(self) -> str:
        return self._ended()  # which closes its stdin: how the emulator is told to stop

    def _ended(self) -> str:
        _, err = self.proc.communicate(timeout=30)  # closes every pipe once it has ended
        return err or ""


def key(sk: str) -> dict[str, Any]:
    return {"PK": {"S": "p"}, "SK": {"S": sk}}


def stored_keys(ddb: Any) -> set[str]:
    pages = ddb.get_paginator("scan").paginate(TableName=TABLE)
    return {item["SK"]["S"] for page in pages for item in page["Items"]}


def add_one(token: str) -> dict[str, Any]:
    update = {"TableName": TABLE, "Key": key("counter"), "UpdateExpression": "ADD c :one"}
    update["ExpressionAttributeValues"] = {":one": {"N": "1"}}
    return {"TransactItems": [{"Update": update}], "ClientRequestToken": token}


def write_until_killed(child: Child, acknowledged: list[str]) -> None:
    ddb = child.client("dynamodb")
    while True:
        sk = f"w-{uuid.uuid4()}"
        try:
            ddb.put_item(TableName=TABLE, Item={**key(sk), "v": {"S": "x" * 100}})
        except (BotoCoreError, ClientError):
            return  # the emulator is gone
        acknowledged.append(sk)


def test_nothing_acknowledged_is_lost_to_sigkill_and_damage_is_refused(tmp_path: Path) -> None:
    child = Child(tmp_path)
    ddb, s3 = child.client("dynamodb"), child.client("s3")
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in KEYS],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in KEYS],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(Bucket=BUCKET)
    bodies = {f"big/{i}": os.urandom(BIG) for i in range(3)}
    for name, body in bodies.items():
        s3.put_object(Bucket=BUCKET, Key=name, Body=body, ContentType="application/x-test")
    with pytest.raises(ClientError):  # a failed condition changes nothing
        ddb.put_item(
            TableName=TABLE, Item=key("conditional"), ConditionExpression="attribute_exists(PK)"
        )
    fault = {"service": "dynamodb", "operation": "PutItem", "error": {"statusCode": 503}}
    child.control(FAULTS_PATH, [fault])
    with pytest.raises(ClientError):  # nor does a fault
        ddb.put_item(TableName=TABLE, Item=key("faulted"))
    child.control(FAULTS_PATH, [])
    child.control(LOST_RESPONSES_PATH, [{**fault, "error": {"statusCode": 500}}])
    with pytest.raises(ClientError):  # applied, its answer lost: it stays applied
        ddb.put_item(TableName=TABLE, Item=key("applied"))
    child.control(LOST_RESPONSES_PATH, [])
    ddb.transact_write_items(**add_one("token-1"))

    acknowledged: list[str] = []
    writers = [
        threading.Thread(target=write_until_killed, args=(child, acknowledged)) for _ in range(4)
    ]
    for writer in writers:
        writer.start()
    time.sleep(0.5)
    child.kill()
    for writer in writers:
        writer.join(timeout=30)
    assert len(acknowledged) > 20
    assert (tmp_path / "snapshot.db").exists()  # taken when the big objects filled the journal
    with (tmp_path / "journal.db").open("ab") as journal:  # as a kill while appending leaves it
        journal.write(encode(Record({"seq": 10**9, "torn": True}, b"x" * 64))[:-10])

    child = Child(tmp_path)
    try:
        ddb, s3 = child.client("dynamodb"), child.client("s3")
        found = stored_keys(ddb)
        assert set(acknowledged) <= found
        assert {"applied", "counter"} <= found
        assert not {"conditional", "faulted"} & found
        for name, body in bodies.items():
            stored = s3.get_object(Bucket=BUCKET, Key=name)
            assert (stored["Body"].read(), stored["ContentType"]) == (body, "application/x-test")
        ddb.transact_write_items(**add_one("token-1"))  # the token outlived the restart
        assert ddb.get_item(TableName=TABLE, Key=key("counter"))["Item"]["c"] == {"N": "1"}
        other = Child(tmp_path)
        assert other.url == ""
        assert "in use by another emulator" in other._ended()
    finally:
        stderr = child.stop()
    assert "torn last record" in stderr
    assert (tmp_path / "journal.db").stat().st_size == 0  # a clean stop leaves a snapshot only

    # Damage is refused, not taken for an empty database.
    snapshot = tmp_path / "snapshot.db"
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    damaged = Child(tmp_path)
    assert damaged.url == ""
    stderr = damaged._ended()
    assert damaged.proc.returncode == 2
    assert "damaged" in stderr and "move the directory aside" in stderr
