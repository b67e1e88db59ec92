"""`config-api users delete USER_ID`: refuse the user's tokens, then remove all their data.

Operator-only (like reconcile): the Lambda never deletes users, so its role is not granted
BatchWriteItem (the writes are store/admin/users.py's). Order matters: the user is recorded
as deleted first, so every API process refuses their tokens from its next refresh of the
deleted set (auth/deleted_users.py) on; then every item of their partition (configurations,
counter, idempotency records) is deleted. A process that has not refreshed yet can still
store an item for them, so after the refresh interval the partition is swept once more.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from config_api.domain.errors import DependencyError
from config_api.retry.policy import RetryPolicy
from config_api.store.admin.users import UserData


class UserDeleter:
    def __init__(self, data: UserData, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._data, self._sleep = data, sleep

    def delete(
        self, user_id: str, *, sweep_after: float, say: Callable[[str], None] = print
    ) -> None:
        """Mark, purge, and (`sweep_after` > 0) wait that long and purge again."""
        self._data.mark_deleted(user_id)
        say(f"user {user_id} recorded as deleted: API processes refuse their tokens")
        say(f"{self._data.purge(user_id)} item(s) deleted")
        if sweep_after > 0:
            say(f"sweeping again in {sweep_after:g} s, once every API process has refreshed")
            sys.stdout.flush()
            self._sleep(sweep_after)
            say(f"{self._data.purge(user_id)} item(s) stored meanwhile deleted")


def cmd_delete(args: argparse.Namespace) -> int:
    from config_api.settings import Settings
    from config_api.store.clients import dynamodb_client

    user_id: str = args.user_id
    if not args.yes and not _confirmed(user_id):
        print("not deleted", file=sys.stderr)
        return 1
    settings = Settings()
    db, policy = dynamodb_client(settings), RetryPolicy.from_settings(settings)
    deleter = UserDeleter(UserData(db, settings.table_name, policy))
    sweep_after = args.sweep_after
    if sweep_after is None:  # a refresh can start just before the interval ends: twice it
        sweep_after = 2 * settings.deleted_users_refresh_seconds
    try:
        deleter.delete(user_id, sweep_after=sweep_after)
    except DependencyError as exc:  # e.g. a batch still partly unprocessed after the retries
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
