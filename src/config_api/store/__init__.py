"""DynamoDB persistence: keys, conditions and transactions live here and nowhere else."""

from config_api.store.configurations import ConfigStore
from config_api.store.counter import CounterState
from config_api.store.idempotency import IdempotencyClaim, Replay

__all__ = ["ConfigStore", "CounterState", "IdempotencyClaim", "Replay"]
