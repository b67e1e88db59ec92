"""The emulator's TransactWriteItems (emulator/transactions.py): all or nothing, like DynamoDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from config_api.local.emulator import Emulator
from tests.support.emulator import new_table


def key(sk: str) -> dict[str, Any]:
    return {"PK": {"S": "user"}, "SK": {"S": sk}}


@pytest.fixture(scope="module")
def ddb() -> Iterator[Any]:
    emulator = Emulator(port=0)
    emulator.start()
    yield boto3.client(
        "dynamodb",
        "us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    emulator.stop()


@pytest.fixture
def table_name(ddb: Any) -> str:
    name = new_table(ddb)
    ddb.put_item(TableName=name, Item={**key("counter"), "c": {"N": "1"}, "label": {"S": "x"}})
    ddb.put_item(TableName=name, Item={**key("taken"), "v": {"S": "old"}})
    return name


def get(ddb: Any, table_name: str, sk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=table_name, Key=key(sk)).get("Item")
    return item


def add_one(table_name: str, attribute: str = "c") -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table_name,
            "Key": key("counter"),
            "UpdateExpression": f"ADD {attribute} :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def put_new(table_name: str, sk: str) -> dict[str, Any]:
    item = {**key(sk), "v": {"S": "new"}}
    return {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def test_every_write_applies_together(ddb: Any, table_name: str) -> None:
    check = {"TableName": table_name, "Key": key("counter"), "ConditionExpression": "c = :one"}
    check["ExpressionAttributeValues"] = {":one": {"N": "1"}}
    ddb.transact_write_items(
        TransactItems=[
            {"ConditionCheck": check},
            put_new(table_name, "fresh"),
            {"Delete": {"TableName": table_name, "Key": key("taken")}},
        ]
    )
    assert get(ddb, table_name, "fresh") == {**key("fresh"), "v": {"S": "new"}}
    assert get(ddb, table_name, "taken") is None
    ddb.transact_write_items(TransactItems=[add_one(table_name)])
    assert get(ddb, table_name, "counter")["c"] == {"N": "2"}  # type: ignore[index]


def test_a_failed_condition_cancels_everything_and_names_the_item(
    ddb: Any, table_name: str
) -> None:
    taken = put_new(table_name, "taken")
    taken["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(
            TransactItems=[add_one(table_name), put_new(table_name, "fresh"), taken]
        )
    response = caught.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    codes = [r["Code"] for r in response["CancellationReasons"]]
    assert codes == ["None", "None", "ConditionalCheckFailed"]
    assert response["CancellationReasons"][2]["Item"] == {**key("taken"), "v": {"S": "old"}}
    assert get(ddb, table_name, "fresh") is None
    assert get(ddb, table_name, "counter")["c"] == {"N": "1"}  # type: ignore[index]


def test_a_write_failing_validation_midway_is_rolled_back(ddb: Any, table_name: str) -> None:
    # `label` is a string: ADD fails only when applied, after the put before it was written.
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(
            TransactItems=[put_new(table_name, "fresh"), add_one(table_name, "label")]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert get(ddb, table_name, "fresh") is None
    assert get(ddb, table_name, "counter") == {
        **key("counter"),
        "c": {"N": "1"},
        "label": {"S": "x"},
    }


def test_two_writes_to_one_item_are_refused(ddb: Any, table_name: str) -> None:
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(
            TransactItems=[put_new(table_name, "fresh"), put_new(table_name, "fresh")]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert get(ddb, table_name, "fresh") is None


# -- ClientRequestToken (emulator/tokens.py) -----------------------------------------------


def counter(ddb: Any, table_name: str) -> str:
    return str(get(ddb, table_name, "counter")["c"]["N"])  # type: ignore[index]


def test_a_repeated_token_succeeds_without_applying_again(ddb: Any, table_name: str) -> None:
    token = str(uuid.uuid4())
    for _ in range(3):
        ddb.transact_write_items(TransactItems=[add_one(table_name)], ClientRequestToken=token)
    assert counter(ddb, table_name) == "2"
    # Another token is another transaction.
    ddb.transact_write_items(
        TransactItems=[add_one(table_name)], ClientRequestToken=str(uuid.uuid4())
    )
    assert counter(ddb, table_name) == "3"


def test_a_token_reused_with_other_parameters_is_refused(ddb: Any, table_name: str) -> None:
    token = str(uuid.uuid4())
    ddb.transact_write_items(TransactItems=[add_one(table_name)], ClientRequestToken=token)
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(
            TransactItems=[put_new(table_name, "fresh")], ClientRequestToken=token
        )
    assert caught.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert get(ddb, table_name, "fresh") is None
    assert counter(ddb, table_name) == "2"


def test_a_cancelled_transaction_leaves_its_token_unused(ddb: Any, table_name: str) -> None:
    token, items = str(uuid.uuid4()), [put_new(table_name, "taken"), add_one(table_name)]
    for _ in range(2):  # nothing applied, so the repeat runs (and is cancelled) again
        with pytest.raises(ClientError) as caught:
            ddb.transact_write_items(TransactItems=items, ClientRequestToken=token)
        assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    ddb.delete_item(TableName=table_name, Key=key("taken"))
    ddb.transact_write_items(TransactItems=items, ClientRequestToken=token)
    assert counter(ddb, table_name) == "2"
