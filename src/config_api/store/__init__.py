"""DynamoDB persistence: keys, conditions and transactions live here and nowhere else."""

from config_api.store.dynamodb import ConfigStore, IdempotencyClaim, Replay

__all__ = ["ConfigStore", "IdempotencyClaim", "Replay"]
