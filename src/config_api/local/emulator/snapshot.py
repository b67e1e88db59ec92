"""The emulator's state as a snapshot file, and back.

Replaying 10,000 requests through moto would take many seconds, so data are saved as data:
DynamoDB items (DynamoDB JSON, as an export writes them) and S3 objects (body, metadata with
the content type, storage class, last modified), loaded straight into moto's tables and
buckets. Everything else is kept as the requests that made it: creating tables and buckets,
their settings, other services (e.g. CloudWatch). Those are replayed first, then the data
loaded, then the ClientRequestTokens still inside their 10 minutes restored.
Not kept across a snapshot: S3 object versions other than the latest, object ACLs and tags,
unfinished multipart uploads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.s3.models import FakeKey, s3_backends

from .journal import DamagedFile, Record, encode, read, sync_directory, write_all
from .tokens import REGISTRY

FORMAT = "config-api-emulator-snapshot"
VERSION = 1
ITEMS_PER_RECORD = 1000

# Requests whose effect a snapshot holds as data: not kept as requests once it is taken.
DATA_OPERATIONS = {
    "dynamodb": frozenset(
        {
            *("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"),
            *("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"),
        }
    ),
    "s3": frozenset(
        {
            *("PutObject", "CopyObject", "DeleteObject", "DeleteObjects", "RestoreObject"),
            *("PutObjectTagging", "DeleteObjectTagging", "PutObjectAcl"),
            *("CreateMultipartUpload", "UploadPart", "UploadPartCopy"),
            *("CompleteMultipartUpload", "AbortMultipartUpload"),
        }
    ),
}


def is_data(service: str | None, operation: str | None) -> bool:
    return operation in DATA_OPERATIONS.get(service or "", frozenset())


def write(path: Path, seq: int, kept: list[Record], now: float) -> None:
    """Atomically: a temporary file, fsynced, renamed over the snapshot, directory fsynced."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        count = 0
        for record in _records(seq, kept, now):
            write_all(fd, encode(record))
            count += 1
        write_all(fd, encode(Record({"kind": "end", "records": count})))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    sync_directory(path.parent)


def _records(seq: int, kept: list[Record], now: float) -> Iterator[Record]:
    yield Record({"kind": "snapshot", "format": FORMAT, "version": VERSION, "seq": seq})
    for record in kept:
        yield Record({**record.header, "kind": "request"}, record.body)
    for account, regions in list(dynamodb_backends.items()):
        for region, backend in list(regions.items()):
            for name, table in list(backend.tables.items()):
                items = [item.attrs for item in table.all_items()]
                for start in range(0, len(items), ITEMS_PER_RECORD):
                    chunk = dynamo_json_dump(items[start : start + ITEMS_PER_RECORD]).encode()
                    where = {"account": account, "region": region, "table": name}
                    yield Record({"kind": "items", **where}, chunk)
    for account, partitions in list(s3_backends.items()):
        for partition, s3 in list(partitions.items()):
            for bucket in list(s3.buckets.values()):
                for key in bucket.keys.values():
                    if isinstance(key, FakeKey):
                        yield _object_record(account, partition, bucket.name, key)
    yield Record({"kind": "tokens", "tokens": REGISTRY.export(now)})


def _object_record(account: str, partition: str, bucket: str, key: FakeKey) -> Record:
    header = {
        "kind": "object",
        **{"account": account, "partition": partition, "bucket": bucket, "key": key.name},
        "metadata": dict(key.metadata),
        "storage": key.storage_class,
        "last_modified": key.last_modified.isoformat(),
    }
    return Record(header, key.value)


Replay = Callable[[Record], None]


def load(path: Path, replay: Replay) -> tuple[int, list[Record]]:
    """Load the snapshot into moto; its sequence number and the requests it keeps."""
    contents = read(path)
    records = contents.records
    if contents.torn_bytes or not records or records[-1].header.get("kind") != "end":
        raise DamagedFile(f"{path.name} is incomplete")
    first = records[0].header
    if first.get("format") != FORMAT or first.get("version") != VERSION:
        raise DamagedFile(f"{path.name} is not a snapshot this emulator can read ({first})")
    if records[-1].header.get("records") != len(records) - 1:
        raise DamagedFile(f"{path.name} holds another number of records than it says")
    kept: list[Record] = []
    for record in records[1:-1]:
        kind = record.header["kind"]
        if kind == "request":
            request = Record({k: v for k, v in record.header.items() if k != "kind"}, record.body)
            replay(request)
            kept.append(request)
        elif kind == "items":
            _load_items(record)
        elif kind == "object":
            _load_object(record)
        elif kind == "tokens":
            REGISTRY.load(record.header["tokens"])
        else:
            raise DamagedFile(f"{path.name}: unknown record kind {kind!r}")
    return int(first["seq"]), kept


def _load_items(record: Record) -> None:
    header = record.header
    table = dynamodb_backends[header["account"]][header["region"]].get_table(header["table"])
    for wire in json.loads(record.body):
        # Items were validated when written: moto's put_item would check each one's size
        # again, attribute by attribute (quadratic), 0.2 ms an item; this stores them as it does.
        attrs = {name: DynamoType(value) for name, value in wire.items()}
        hash_key = attrs[table.hash_key_attr]
        item = Item(hash_key, None, {})
        dict.update(item.attrs, attrs)
        if table.range_key_attr is None:
            table.items[hash_key] = item  # type: ignore[assignment]  # as moto stores it
        else:
            item.range_key = attrs[table.range_key_attr]
            table.items[hash_key][item.range_key] = item


def _load_object(record: Record) -> None:
    header = record.header
    backend: Any = s3_backends[header["account"]][header["partition"]]
    bucket, name, storage = header["bucket"], header["key"], header["storage"]
    key = backend.put_object(bucket, name, record.body, storage=storage, disable_notification=True)
    key.set_metadata(dict(header["metadata"]))
    key.last_modified = datetime.fromisoformat(header["last_modified"])
