"""Gradual rollout of the resilient behaviour: the flag, the variants and their stats."""

from config_api.rollout.flag import FLAG, FlagSource, RolloutFlag, bucket, rules_for
from config_api.rollout.stats import BASELINE, RESILIENT, VARIANTS, RolloutStats

__all__ = [
    "BASELINE",
    "FLAG",
    "RESILIENT",
    "VARIANTS",
    "FlagSource",
    "RolloutFlag",
    "RolloutStats",
    "bucket",
    "rules_for",
]
