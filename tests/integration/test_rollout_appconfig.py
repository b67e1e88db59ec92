"""`rollout set` with AWS AppConfig as the flag's source, as far as the emulator serves it.

moto (5.2) has AppConfig's applications, configuration profiles and hosted configuration
versions, but no environments, deployments or AppConfig Data API: the hosted version the
command publishes is checked here, and how `set` reports a failed deployment; a successful
StartDeployment and the read through the Data API are not exercised locally (README).
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from aws_lambda_powertools.utilities.feature_flags import SchemaValidator

from config_api.cli.main import seed_stack
from config_api.cli.rollout_flag import AppConfigPublisher
from config_api.rollout.flag import percentage_of, rules_for
from tests.support.lambda_rollout import rollout
from tests.support.stack import settings_for


def test_a_change_is_published_as_a_hosted_configuration_version(seeded: str) -> None:
    appconfig = boto3.client("appconfig", endpoint_url=seeded)
    app = appconfig.create_application(Name=f"config-api-{uuid.uuid4().hex[:6]}")["Id"]
    profile = appconfig.create_configuration_profile(
        ApplicationId=app, Name="rollout", LocationUri="hosted"
    )["Id"]
    publisher = AppConfigPublisher(appconfig, app, "env0001", profile)
    first = publisher.publish(10, "resilient_writes 10% by alice: start")
    second = publisher.publish(100, "resilient_writes 100% by bob: promote")
    assert second == first + 1
    version = appconfig.get_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=second
    )
    assert version["ContentType"] == "application/json"
    document = json.loads(version["Content"].read())
    SchemaValidator(schema=document).validate()  # what Powertools accepts in the Lambda
    assert document == rules_for(100)
    assert percentage_of(document) == 100


def test_set_publishes_then_deploys_and_records_only_a_deployed_change(
    seeded: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator has no AppConfig Data API (the read fails, as before a first deployment:
    # the previous percentage is unknown) and no deployments (StartDeployment fails): the
    # version is published, the failure named, and nothing recorded as changed.
    appconfig = boto3.client("appconfig", endpoint_url=seeded)
    app = appconfig.create_application(Name=f"config-api-{uuid.uuid4().hex[:6]}")["Id"]
    profile = appconfig.create_configuration_profile(
        ApplicationId=app, Name="rollout", LocationUri="hosted"
    )["Id"]
    table = f"rollout-{uuid.uuid4().hex[:8]}"
    seed_stack(settings_for(seeded, table_name=table))
    for name, value in {
        "AWS_ENDPOINT_URL": seeded,
        "TABLE_NAME": table,
        "ROLLOUT_APPCONFIG_APP": app,
        "ROLLOUT_APPCONFIG_ENV": "env0001",
        "ROLLOUT_APPCONFIG_PROFILE": profile,
    }.items():
        monkeypatch.setenv(name, value)
    code, out, err = rollout(capsys, "set", "--percent", "0")
    assert (code, out) == (2, "")
    assert f"cannot read the flag from appconfig {app}/env0001/{profile}" in err
    assert "the previous percentage is unknown" in err
    assert "published version 1, but AppConfig refused to deploy it" in err
    version = appconfig.get_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, VersionNumber=1
    )
    assert json.loads(version["Content"].read()) == rules_for(0)
    assert rollout(capsys, "history")[1] == ""
