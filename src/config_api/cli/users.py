"""`config-api users delete USER_ID`: refuse the user's tokens, then remove all their data.

Operator-only (like reconcile): the Lambda never deletes users, so its role is not granted
BatchWriteItem. Order matters: the user is recorded as deleted first, so every API process
refuses their tokens from its next refresh of the deleted set (users.py) on; then every item
of their partition (configurations, counter, idempotency records) is deleted. A process that
has not refreshed yet can still store an item for them, so after the refresh interval the
partition is swept once more.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tenacity import Retrying, retry_if_result, stop_after_attempt
from tenacity.wait import wait_random_exponential

from config_api.auth.deleted_users import deleted_user_key
from config_api.retry.policy import RetryPolicy
from config_api.store.items import Item, user_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH = 25  # BatchWriteItem's maximum number of requests
UNPROCESSED_ATTEMPTS = 8  # DynamoDB may leave part of a batch undone under load


class ItemsLeft(Exception):
    """Some deletions were still unprocessed after every attempt."""


class UserDeleter:
    def __init__(
        self,
        db: DynamoDBClient,
        table: str,
        policy: RetryPolicy,
        *,
        page_size: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._db, self._table, self._policy = db, table, policy
        self._page_size, self._sleep = page_size, sleep

    def mark(self, user_id: str) -> None:
        """Record the deletion (keeping the first time, if it was already recorded)."""
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self._policy.call(
            "dynamodb",
            "UpdateItem",
            lambda: self._db.update_item(
                TableName=self._table,
                Key=deleted_user_key(user_id),
                UpdateExpression="SET deleted_at = if_not_exists(deleted_at, :now)",
                ExpressionAttributeValues={":now": {"S": now}},
            ),
        )

    def delete(
        self, user_id: str, *, sweep_after: float, say: Callable[[str], None] = print
    ) -> None:
        """Mark, purge, and (`sweep_after` > 0) wait that long and purge again."""
        self.mark(user_id)
        say(f"user {user_id} recorded as deleted: API processes refuse their tokens")
        say(f"{self.purge(user_id)} item(s) deleted")
        if sweep_after > 0:
            say(f"sweeping again in {sweep_after:g} s, once every API process has refreshed")
            sys.stdout.flush()
            self._sleep(sweep_after)
            say(f"{self.purge(user_id)} item(s) stored meanwhile deleted")

    def purge(self, user_id: str) -> int:
        """Delete every item of the user's partition; the number deleted."""
        keys = self._keys(user_id)  # all first: deleting under a paginated query moves it
        for start in range(0, len(keys), BATCH):
            self._delete(keys[start : start + BATCH])
        return len(keys)

    def _keys(self, user_id: str) -> list[Item]:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": user_pk(user_id)}},
            "ProjectionExpression": "PK, SK",
            "ConsistentRead": True,
        }
        if self._page_size is not None:
            args["Limit"] = self._page_size
        keys: list[Item] = []
        while True:
            page = self._policy.call("dynamodb", "Query", lambda: self._db.query(**args))
            keys += [{"PK": item["PK"], "SK": item["SK"]} for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return keys
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _delete(self, keys: list[Item]) -> None:
        pending: list[Any] = [{"DeleteRequest": {"Key": key}} for key in keys]

        def attempt() -> list[Any]:
            nonlocal pending
            resp = self._policy.call(
                "dynamodb",
                "BatchWriteItem",
                lambda: self._db.batch_write_item(RequestItems={self._table: pending}),
            )
            pending = list(resp.get("UnprocessedItems", {}).get(self._table, []))
            return pending

        # A deletion is idempotent, so repeating the unprocessed ones is always safe.
        left = Retrying(
            stop=stop_after_attempt(UNPROCESSED_ATTEMPTS),
            wait=wait_random_exponential(multiplier=0.05, max=2.0),
            retry=retry_if_result(bool),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else [],
            sleep=self._sleep,
        )(attempt)
        if left:
            raise ItemsLeft(f"{len(left)} item(s) were not deleted (throttled)")


def cmd_delete(args: argparse.Namespace) -> int:
    from config_api.settings import Settings
    from config_api.store.clients import dynamodb_client

    user_id: str = args.user_id
    if not args.yes and not _confirmed(user_id):
        print("not deleted", file=sys.stderr)
        return 1
    settings = Settings()
    deleter = UserDeleter(dynamodb_client(settings), settings.table_name, RetryPolicy())
    sweep_after = args.sweep_after
    if sweep_after is None:  # a refresh can start just before the interval ends: twice it
        sweep_after = 2 * settings.deleted_users_refresh_seconds
    try:
        deleter.delete(user_id, sweep_after=sweep_after)
    except ItemsLeft as exc:
        print(f"{exc}; run the command again", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("second sweep skipped; run the command again later", file=sys.stderr)
        return 1
    return 0


def _confirmed(user_id: str) -> bool:
    try:
        answer = input(f"Delete user {user_id} and all their data? Type the user id to confirm: ")
    except (EOFError, OSError):  # no terminal to ask: --yes is required
        print("no confirmation (use --yes when not interactive)", file=sys.stderr)
        return False
    return answer.strip() == user_id


def add_parser(sub: Any) -> None:
    users = sub.add_parser("users", help="user operations")
    usub = users.add_subparsers(dest="users_command", required=True)
    delete = usub.add_parser(
        "delete",
        help="refuse a user's tokens and delete all their data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    delete.add_argument("user_id")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument(
        "--sweep-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wait, then delete what was stored meanwhile (default: twice "
        "DELETED_USERS_REFRESH_SECONDS; 0: no second sweep)",
    )
    delete.set_defaults(func=cmd_delete)
