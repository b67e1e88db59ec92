"""The emulator's partition-only Query (emulator/queries.py) answers exactly as moto's own.

Random items in a few partitions (and many other partitions around them), random queries:
each query runs through the emulator with the fast path, then again with moto's
implementation, page by page, and every page must be the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from config_api.local.emulator import Emulator, queries

# One table per sort key type, and one without a sort key.
TABLES = {"S": "queries-s", "N": "queries-n", None: "queries-hash"}
MAX_PAGES = 30


@pytest.fixture(scope="module")
def ddb() -> Iterator[Any]:
    emulator = Emulator(port=0)
    emulator.start()
    client: Any = boto3.client(
        "dynamodb",
        "us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    for sort_type, name in TABLES.items():
        keys = [("PK", "HASH", "S")] + ([("SK", "RANGE", sort_type)] if sort_type else [])
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t, _ in keys],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": a} for k, _, a in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        # Other partitions, before and after the tested ones in moto's sort order.
        for prefix in ("0", "z"):
            put_all(client, name, [item(f"{prefix}{i}", sort_type, 1, i) for i in range(30)])
    yield client
    emulator.stop()


def item(pk: str, sort_type: str | None, sort: Any, n: int | None, s: str | None = None) -> Any:
    out: dict[str, Any] = {"PK": {"S": pk}}
    if sort_type:
        out["SK"] = {sort_type: str(sort)}
    if n is not None:
        out["n"] = {"N": str(n)}
    if s is not None:
        out["s"] = {"S": s}
    return out


def put_all(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
        client.batch_write_item(RequestItems={table: batch})


SORT_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "S": st.text("ab", min_size=1, max_size=3),
    "N": st.integers(-4, 4),
}
OPTIONAL_N = st.none() | st.integers(-3, 3)
OPTIONAL_S = st.none() | st.text("xy", max_size=2)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str | None, list[Any], dict[str, Any]]:
    sort_type = draw(st.sampled_from([*TABLES]))
    partition = f"p-{uuid.uuid4().hex[:8]}"
    sorts: list[Any] = (
        draw(st.lists(SORT_VALUES[sort_type], max_size=12, unique=True)) if sort_type else [0]
    )
    items = [
        item(partition, sort_type, sort, draw(OPTIONAL_N), draw(OPTIONAL_S))
        for sort in sorts
        if sort_type or draw(st.booleans())
    ]
    values: dict[str, Any] = {":pk": {"S": partition}}
    names: dict[str, str] = {}
    key_condition = "PK = :pk"
    operator = draw(st.sampled_from(["", "=", "<", "<=", ">", ">=", "between", "begins_with"]))
    if sort_type and operator:
        names["#sk"] = "SK"
        low, high = sorted([draw(SORT_VALUES[sort_type]), draw(SORT_VALUES[sort_type])])
        values[":low"], values[":high"] = {sort_type: str(low)}, {sort_type: str(high)}
        if operator == "between":
            key_condition += " AND #sk BETWEEN :low AND :high"
        elif operator == "begins_with" and sort_type == "S":
            key_condition += " AND begins_with(#sk, :low)"
        else:
            key_condition += f" AND #sk {'=' if operator == 'begins_with' else operator} :low"
        if operator != "between":
            del values[":high"]
    request: dict[str, Any] = {
        "TableName": TABLES[sort_type],
        "KeyConditionExpression": key_condition,
        "ScanIndexForward": draw(st.booleans()),
        "ConsistentRead": draw(st.booleans()),
    }
    if limit := draw(st.none() | st.integers(1, 4)):
        request["Limit"] = limit
    query_filter = draw(st.sampled_from(["", "n > :f", "attribute_exists(s)", "s = :x"]))
    if query_filter:
        request["FilterExpression"] = query_filter
        if ":f" in query_filter:
            values[":f"] = {"N": str(draw(st.integers(-3, 3)))}
        if ":x" in query_filter:
            values[":x"] = {"S": draw(st.text("xy", max_size=2))}
    if draw(st.booleans()):
        request["Select"] = "COUNT"
    elif draw(st.booleans()):
        request["ProjectionExpression"] = "PK, n" if draw(st.booleans()) else "s"
    request["ExpressionAttributeValues"] = values
    if names:
        request["ExpressionAttributeNames"] = names
    return sort_type, items, request


def pages(client: Any, request: dict[str, Any]) -> list[Any]:
    """Every page of the query (without response metadata), or the error it raised."""
    out: list[Any] = []
    args = dict(request)
    for _ in range(MAX_PAGES):
        try:
            page = client.query(**args)
        except ClientError as err:
            return [*out, err.response["Error"]]
        page.pop("ResponseMetadata")
        out.append(page)
        if "LastEvaluatedKey" not in page:
            break
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_fast_query_answers_as_moto_does(
    ddb: Any, scenario: tuple[str | None, list[Any], dict[str, Any]]
) -> None:
    sort_type, items, request = scenario
    put_all(ddb, TABLES[sort_type], items)
    fast = pages(ddb, request)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Table, "query", queries.MOTO_QUERY)
        reference = pages(ddb, request)
    assert fast == reference
    narrowing = {"FilterExpression", "Select", "ProjectionExpression"} & request.keys()
    if sort_type and request["KeyConditionExpression"] == "PK = :pk" and not narrowing:
        # The whole partition, page by page: this partition's items, and no other.
        found = [i for page in fast for i in page.get("Items", [])]
        assert sorted(i["SK"][sort_type] for i in found) == sorted(
            i["SK"][sort_type] for i in items
        )


class WholeTableRead(AssertionError):
    pass


def test_a_partition_query_never_reads_the_whole_table(ddb: Any) -> None:
    partition = f"p-{uuid.uuid4().hex[:8]}"
    put_all(ddb, TABLES["S"], [item(partition, "S", f"c{i}", i) for i in range(3)])
    request = {
        "TableName": TABLES["S"],
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": partition}},
    }
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLES["S"])

    def whole_table(self: Table) -> Any:
        raise WholeTableRead(f"{self.name}: every item of the table read")

    with pytest.MonkeyPatch.context() as patch:
        # The emulator runs in this process: its Query meets the patched moto table.
        patch.setattr(Table, "all_items", whole_table)
        found = [i["SK"]["S"] for page in pages(ddb, request) for i in page.get("Items", [])]
        # The patch does catch a full read: moto's own Query makes one.
        with pytest.raises(WholeTableRead):
            queries.MOTO_QUERY(table, DynamoType({"S": partition}), None, [], 0, {}, True, None)
    assert found == ["c0", "c1", "c2"]
