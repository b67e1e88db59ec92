"""The flag's percentage as the operator reads and changes it, through the configured source.

- ROLLOUT_FILE: read and rewritten atomically (rollout/sources.py's FileSource); every process
  reading the file follows within ROLLOUT_RELOAD_SECONDS.
- AWS AppConfig (ROLLOUT_APPCONFIG_APP/_ENV/_PROFILE, IDs): read as the Lambda reads it (the
  AppConfig Data API, through Powertools), changed by a new hosted configuration version and a
  deployment of it (`--deployment-strategy`, AppConfig.AllAtOnce by default). The functions
  pick it up within ROLLOUT_RELOAD_SECONDS of the deployment.
- ROLLOUT_PERCENT alone cannot be changed from here: it is the function's environment, set by
  the template parameter RolloutPercent (a redeploy).

Reads are strict: the API's sources keep their last good rules when the origin fails, but an
operator deciding a step must see the failure, not a fallback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

from config_api.rollout.flag import percentage_of, rules_for, validated
from config_api.rollout.sources import AppConfigSource, FileSource, source_from_settings
from config_api.settings import Settings
from config_api.store.clients import client_config

if TYPE_CHECKING:
    from mypy_boto3_appconfig import AppConfigClient

DEFAULT_STRATEGY = "AppConfig.AllAtOnce"  # AWS's predefined strategy: all targets at once


class FlagUnchangeable(Exception):
    """The configured source cannot be read or written from here; the message says why."""


@dataclass(frozen=True)
class AppConfigPublisher:
    """New rules as a hosted configuration version of the profile, then deployed."""

    client: AppConfigClient
    application: str
    environment: str
    profile: str

    def publish(self, percentage: int, description: str) -> int:
        """A new hosted configuration version holding the rules; its version number."""
        content = json.dumps(rules_for(percentage), indent=2).encode()
        created = self.client.create_hosted_configuration_version(
            ApplicationId=self.application,
            ConfigurationProfileId=self.profile,
            Content=content,
            ContentType="application/json",
            Description=description[:1024],
        )
        return int(created["VersionNumber"])

    def deploy(self, version: int, strategy: str, description: str) -> int:
        """Start deploying `version` to the environment; the deployment number."""
        started = self.client.start_deployment(
            ApplicationId=self.application,
            EnvironmentId=self.environment,
            DeploymentStrategyId=strategy,
            ConfigurationProfileId=self.profile,
            ConfigurationVersion=str(version),
            Description=description[:1024],
        )
        return int(started["DeploymentNumber"])


def appconfig_client(settings: Settings) -> AppConfigClient:
    config = client_config(settings, attempts=3)  # an operator's one-off call
    return boto3.client("appconfig", endpoint_url=settings.aws_endpoint_url, config=config)


def publisher(settings: Settings) -> AppConfigPublisher | None:
    if settings.rollout_appconfig is None:
        return None
    application, environment, profile = settings.rollout_appconfig
    return AppConfigPublisher(appconfig_client(settings), application, environment, profile)


def appconfig_name(settings: Settings) -> str:
    """The AppConfig source's name, as rollout/sources.py's AppConfigSource gives it."""
    return f"appconfig {'/'.join(settings.rollout_appconfig or ())}"


def current(settings: Settings) -> tuple[int, str]:
    """(the flag's percentage now, the name of the source it comes from)."""
    try:
        source = source_from_settings(settings, writable=True)  # a file is read here
    except Exception as exc:
        raise FlagUnchangeable(f"cannot read the flag: {exc}") from exc
    try:
        if isinstance(source, AppConfigSource):
            document = validated(source.store.get_configuration())
        else:
            document = source.get_configuration()
    except Exception as exc:  # any failure to read is the operator's to see
        raise FlagUnchangeable(f"cannot read the flag from {source.name}: {exc}") from exc
    return percentage_of(document), source.name


def change(
    settings: Settings, percentage: int, *, description: str, strategy: str = DEFAULT_STRATEGY
) -> str:
    """Write the rules for `percentage` to the configured source; says what was done."""
    if (appconfig := publisher(settings)) is not None:
        try:
            version = appconfig.publish(percentage, description)
        except Exception as exc:
            raise FlagUnchangeable(f"AppConfig refused the new version: {exc}") from exc
        try:
            deployment = appconfig.deploy(version, strategy, description)
        except Exception as exc:
            raise FlagUnchangeable(
                f"published version {version}, but AppConfig refused to deploy it: {exc}"
            ) from exc
        return (
            f"AppConfig {appconfig.application}/{appconfig.profile} version {version}, "
            f"deployment {deployment} to {appconfig.environment} ({strategy})"
        )
    try:
        source = source_from_settings(settings, writable=True)
    except Exception as exc:
        raise FlagUnchangeable(f"cannot read the flag: {exc}") from exc
    if not isinstance(source, FileSource):
        raise FlagUnchangeable(
            "the flag comes from ROLLOUT_PERCENT, which only a redeploy changes "
            "(sam deploy --parameter-overrides RolloutPercent=N); configure ROLLOUT_FILE or "
            "ROLLOUT_APPCONFIG_APP/_ENV/_PROFILE to change it with this command"
        )
    try:
        source.write(rules_for(percentage))
    except OSError as exc:
        raise FlagUnchangeable(f"cannot write {source.path}: {exc}") from exc
    return f"wrote {source.path}"
