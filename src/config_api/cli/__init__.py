"""Operator commands (`config-api ...`): the local stack, the API server, tokens, ticker
publishing, reconcile, rollout and user deletion. Never imported by the Lambda."""

from config_api.cli.main import main

__all__ = ["main"]
