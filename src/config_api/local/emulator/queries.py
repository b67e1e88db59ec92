"""Query for the emulator at a cost that follows the partition, not the table.

moto (5.2) answers a Query on a table by sorting every item of the table and keeping those
of the requested partition: listing one user's 5 configurations costs O(table size), 135 ms
at 10,000 items. DynamoDB reads only the partition, so the emulator should as well.

The fast path narrows the candidates and leaves everything else to moto: its own
``Table.query`` runs on a view of the table whose ``all_items`` holds the requested
partition only, so key conditions, filters, Limit and ExclusiveStartKey, ScanIndexForward,
projections and Select keep exactly moto's semantics (tests compare both on random data).
Index queries, whose partitions are not stored apart, still take moto's path.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

MOTO_QUERY = Table.query


class _Partition:
    """The table as ``Table.query`` sees it, holding one partition's items."""

    def __init__(self, table: Table, hash_key: DynamoType) -> None:
        self._table = table
        self._hash_key = hash_key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Item]:
        stored = self._table.items.get(self._hash_key)
        if stored is None:
            return []
        if isinstance(stored, Item):  # a table without a sort key: one item per partition
            return [stored]
        return list(stored.values())


def query(
    self: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    table: Any = self if index_name or hash_key is None else _Partition(self, hash_key)
    return MOTO_QUERY(
        table,
        hash_key,
        range_comparison,
        range_objs,
        limit,
        exclusive_start_key,
        scan_index_forward,
        projection_expressions,
        index_name,
        *args,
        **kwargs,
    )


def install() -> None:
    """Replace moto's implementation (process-wide, like moto's own state)."""
    Table.query = query  # type: ignore[method-assign]
