"""Settings from the environment (pydantic-settings). One instance per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # AWS
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    table_name: str = Field(default="config-api", validation_alias="TABLE_NAME")
    ticker_bucket: str = Field(default="config-api-tickers", validation_alias="TICKER_BUCKET")
    ticker_key: str = Field(default="tickers/us.json", validation_alias="TICKER_KEY")

    # Domain rules
    max_configurations: int = Field(default=5, ge=1, le=1000, validation_alias="MAX_CONFIGURATIONS")

    # Identity: HS256 with a secret (local) or RS256 via JWKS (production, e.g. Cognito).
    jwt_secret: SecretStr | None = Field(default=None, validation_alias="JWT_SECRET")
    jwt_jwks_url: str | None = Field(default=None, validation_alias="JWT_JWKS_URL")
    jwt_issuer: str | None = Field(default=None, validation_alias="JWT_ISSUER")
    jwt_audience: str | None = Field(default=None, validation_alias="JWT_AUDIENCE")
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300, validation_alias="JWT_LEEWAY_SECONDS")
    # Bounds one JWKS fetch (urllib's per-socket-operation timeout; PyJWT's default is 30 s,
    # which would hold a request for most of its deadline while the identity provider is down).
    jwt_jwks_timeout_seconds: float = Field(
        default=2.0, gt=0, le=10, validation_alias="JWT_JWKS_TIMEOUT_SECONDS"
    )

    # AWS client behaviour. botocore's own retries stay off: the retry policy is the one layer.
    aws_connect_timeout: float = Field(default=1.0, gt=0, validation_alias="AWS_CONNECT_TIMEOUT")
    aws_read_timeout: float = Field(default=2.0, gt=0, validation_alias="AWS_READ_TIMEOUT")
    retry_attempts: int = Field(default=5, ge=1, le=10, validation_alias="RETRY_ATTEMPTS")
    retry_base_seconds: float = Field(default=0.025, gt=0, validation_alias="RETRY_BASE_SECONDS")
    retry_max_backoff_seconds: float = Field(
        default=4.0, gt=0, validation_alias="RETRY_MAX_BACKOFF_SECONDS"
    )
    # Budget of the cold-start loads (ticker list, deleted users); Lambda's init is 10 s.
    startup_budget_seconds: float = Field(
        default=6.0, gt=0, le=9, validation_alias="STARTUP_BUDGET_SECONDS"
    )
    request_deadline_seconds: float = Field(
        default=10.0, gt=0, le=28, validation_alias="REQUEST_DEADLINE_SECONDS"
    )

    # Ticker list cache
    ticker_fallback: Literal["bundled", "allow-any", "strict"] = Field(
        default="bundled", validation_alias="TICKER_FALLBACK"
    )
    ticker_refresh_seconds: float = Field(
        default=300.0, gt=0, validation_alias="TICKER_REFRESH_SECONDS"
    )

    # How often each process re-reads the set of deleted users (`config-api users delete`):
    # a deleted user's token is refused by a process within about this long.
    deleted_users_refresh_seconds: float = Field(
        default=60.0, gt=0, le=3600, validation_alias="DELETED_USERS_REFRESH_SECONDS"
    )

    # Idempotency records expire after this long (DynamoDB TTL).
    idempotency_ttl_seconds: int = Field(
        default=86400, ge=60, validation_alias="IDEMPOTENCY_TTL_SECONDS"
    )

    # HTTP
    cors_allow_origins: list[str] = Field(
        default_factory=list, validation_alias="CORS_ALLOW_ORIGINS"
    )
    max_body_bytes: int = Field(default=16_384, ge=1024, validation_alias="MAX_BODY_BYTES")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    # Rollout of the `resilient_writes` flag (rollout/). 100: everyone gets the resilient
    # behaviour, the safe default for a new install; the rollout plan starts an existing
    # deployment at 0 and raises it. A file or AppConfig, when set, takes precedence.
    rollout_percent: int = Field(default=100, ge=0, le=100, validation_alias="ROLLOUT_PERCENT")
    rollout_file: Path | None = Field(default=None, validation_alias="ROLLOUT_FILE")
    rollout_reload_seconds: float = Field(
        default=5.0, ge=0, le=3600, validation_alias="ROLLOUT_RELOAD_SECONDS"
    )
    rollout_appconfig_app: str | None = Field(
        default=None, validation_alias="ROLLOUT_APPCONFIG_APP"
    )
    rollout_appconfig_env: str | None = Field(
        default=None, validation_alias="ROLLOUT_APPCONFIG_ENV"
    )
    rollout_appconfig_profile: str | None = Field(
        default=None, validation_alias="ROLLOUT_APPCONFIG_PROFILE"
    )
    # Enables PUT /ops/rollout/flag (server mode); unset, the route answers 404.
    admin_token: SecretStr | None = Field(default=None, validation_alias="ADMIN_TOKEN")
    # CloudWatch namespace of the EMF metrics written in Lambda.
    metrics_namespace: str = Field(default="ConfigApi", validation_alias="METRICS_NAMESPACE")

    @model_validator(mode="after")
    def _appconfig_all_or_nothing(self) -> Self:
        parts = (
            self.rollout_appconfig_app,
            self.rollout_appconfig_env,
            self.rollout_appconfig_profile,
        )
        if any(parts) and not all(parts):
            raise ValueError(
                "ROLLOUT_APPCONFIG_APP, ROLLOUT_APPCONFIG_ENV and ROLLOUT_APPCONFIG_PROFILE "
                "go together: set all three or none"
            )
        if self.admin_token is not None and len(self.admin_token.get_secret_value()) < 16:
            raise ValueError("ADMIN_TOKEN must be at least 16 characters")
        return self

    @property
    def rollout_appconfig(self) -> tuple[str, str, str] | None:
        """(application, environment, profile) when the flag's rules come from AppConfig."""
        app, env = self.rollout_appconfig_app, self.rollout_appconfig_env
        profile = self.rollout_appconfig_profile
        return (app, env, profile) if app and env and profile else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
