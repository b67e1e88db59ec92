"""The DELETED_USERS partition, read whole: the ids whose tokens the API refuses (the set in
memory is auth/deleted_users.py; `config-api users delete` writes it: store/admin/users.py)."""

from __future__ import annotations

from config_api.store.items import DELETED_USERS_PK, user_pk
from config_api.store.pages import PartitionReader


class DeletedUserRecords(PartitionReader):
    def user_ids(self) -> frozenset[str]:
        # Eventually consistent: half the read cost, and a second of lag is nothing next to
        # the refresh interval.
        found = self._query_pages(DELETED_USERS_PK, ProjectionExpression="SK")
        prefix = user_pk("")
        return frozenset(item["SK"]["S"].removeprefix(prefix) for p in found for item in p["Items"])
