"""`rollout set` with AWS AppConfig as the flag's source, as far as the emulator serves it.

moto (5.2) has AppConfig's applications, configuration profiles and hosted configuration
versions, but no environments, deployments or AppConfig Data API: the hosted version the
command publishes is checked here; StartDeployment and the strict read through the Data API
are what the README lists as not exercised locally.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from aws_lambda_powertools.utilities.feature_flags import SchemaValidator

from config_api.cli.rollout_flag import AppConfigPublisher
from config_api.rollout.flag import percentage_of, rules_for
from tests.support.lambda_rollout import rollout


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


def test_set_refuses_to_guess_when_appconfig_cannot_be_read(
    seeded: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API keeps ROLLOUT_PERCENT while AppConfig is unreachable; an operator must not:
    # the emulator has no AppConfig Data API, so the read fails and nothing is changed.
    for name, value in {
        "AWS_ENDPOINT_URL": seeded,
        "ROLLOUT_APPCONFIG_APP": "app0001",
        "ROLLOUT_APPCONFIG_ENV": "env0001",
        "ROLLOUT_APPCONFIG_PROFILE": "prof001",
        "AWS_READ_TIMEOUT": "2",
    }.items():
        monkeypatch.setenv(name, value)
    code, out, err = rollout(capsys, "set", "--percent", "10")
    assert (code, out) == (2, "")
    assert "cannot read the flag from appconfig app0001/env0001/prof001" in err
