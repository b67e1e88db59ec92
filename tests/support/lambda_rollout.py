"""A Lambda-mode deployment of the app on the emulator, for the rollout commands' tests.

The real handler module (cold start under the function's environment) serves API Gateway
v2 events; its EMF log lines land in the emulator's CloudWatch as CloudWatch Logs would
extract them (local/emulator/emf.py). The flag comes from a file the Lambda re-reads on
every request, which `config-api rollout set/step` change; each deployment has its own
table (so its own rollout history) and its own metrics namespace.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import boto3
import pytest

from config_api.cli.main import main, seed_stack
from config_api.local.emulator import emf
from config_api.rollout import rules_for
from config_api.rollout.flag import percentage_of
from tests.support.api import BASE
from tests.support.lambda_app import Invocations, cold_start, http_event
from tests.support.rollout_traffic import Served, users_in
from tests.support.stack import TEST_SECRET, settings_for, token

JSON = {"content-type": "application/json"}


@dataclass
class Deployment:
    endpoint: str
    namespace: str
    flag_file: Path
    module: ModuleType

    def percentage(self) -> int:
        return percentage_of(json.loads(self.flag_file.read_text()))

    def drive(self, per_variant: dict[str, int]) -> Served:
        """Each user creates a configuration and lists theirs; the invocations' EMF lands in
        CloudWatch. Users are picked for the variant the flag puts them in right now."""
        invoke = Invocations(self.module.handler)
        served = Served()
        for variant, count in per_variant.items():
            for user in users_in(variant, self.percentage(), count):
                bearer = {"authorization": f"Bearer {token(user)}"}
                body = {"name": "Rollout", "tickers": ["AAPL"]}
                create = http_event("POST", BASE, {**bearer, **JSON}, body)
                for event in (create, http_event("GET", BASE, bearer)):
                    served.statuses[variant].append(invoke(event)["statusCode"])
        cloudwatch = boto3.client("cloudwatch", endpoint_url=self.endpoint)
        emf.put(cloudwatch, invoke.log)
        return served


def rollout(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`config-api rollout ...` in this process (the deployment's environment is set)."""
    capsys.readouterr()
    code = main(["rollout", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@contextmanager
def lambda_deployment(
    endpoint: str, tmp_path: Path, *, percentage: int, **settings: str
) -> Iterator[Deployment]:
    """A fresh table and namespace, the flag file at `percentage`, the handler cold-started;
    the environment stays set for the CLI until the context ends."""
    suffix = uuid.uuid4().hex[:8]
    table, namespace = f"rollout-{suffix}", f"config-api/test/{suffix}"
    seed_stack(settings_for(endpoint, table_name=table))
    flag_file = tmp_path / "rollout.json"
    flag_file.write_text(json.dumps(rules_for(percentage)))
    base = settings_for(endpoint)
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "TABLE_NAME": table,
        "TICKER_BUCKET": base.ticker_bucket,
        "TICKER_KEY": base.ticker_key,
        "JWT_SECRET": TEST_SECRET,
        "METRICS_NAMESPACE": namespace,
        "ROLLOUT_FILE": str(flag_file),
        "ROLLOUT_RELOAD_SECONDS": "0",  # the function follows each change at once
        **{k.upper(): v for k, v in settings.items()},
    }
    with cold_start(env) as module:
        yield Deployment(endpoint, namespace, flag_file, module)
