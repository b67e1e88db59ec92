"""Settings from the environment (pydantic-settings). One instance per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import Field, FilePath, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # Each field is read from the environment variable of the same name in upper case
    # (AWS_REGION -> aws_region); the same spelling works as a keyword argument.
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # AWS
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    table_name: str = "config-api"
    ticker_bucket: str = "config-api-tickers"
    ticker_key: str = "tickers/us.json"

    # Domain rules
    max_configurations: int = Field(default=5, ge=1, le=1000)

    # Identity: HS256 with a secret (local) or RS256 via JWKS (production, e.g. Cognito).
    jwt_secret: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300)
    # Bounds one JWKS fetch (urllib's per-socket-operation timeout; PyJWT's default is 30 s,
    # which would hold a request for most of its deadline while the identity provider is down).
    jwt_jwks_timeout_seconds: float = Field(default=2.0, gt=0, le=10)

    # AWS client behaviour. botocore's own retries stay off: the retry policy is the one layer.
    aws_connect_timeout: float = Field(default=1.0, gt=0)
    aws_read_timeout: float = Field(default=2.0, gt=0)
    # /ready's one DynamoDB attempt: connect and read timeout each (a probe answers fast).
    ready_timeout_seconds: float = Field(default=0.5, gt=0, le=5)
    retry_attempts: int = Field(default=5, ge=1, le=10)
    retry_base_seconds: float = Field(default=0.025, gt=0)
    retry_max_backoff_seconds: float = Field(default=4.0, gt=0)
    # The retry budget (retry/budget.py): after this many attempts to a dependency failed in a
    # row, with no answer between, calls get one attempt until it answers again (0: never).
    # 15: random faults at 50% do that with probability 0.5**15 = 3e-5; an outage in 3 calls.
    retry_circuit_failures: int = Field(default=15, ge=0, le=1000)
    # Failures older than this are forgotten: a process quiet for this long retries again.
    retry_circuit_window_seconds: float = Field(default=10.0, gt=0, le=3600)
    # Budget of the cold-start loads (ticker list, deleted users); Lambda's init is 10 s.
    startup_budget_seconds: float = Field(default=6.0, gt=0, le=9)
    request_deadline_seconds: float = Field(default=10.0, gt=0, le=28)

    # Ticker list cache
    ticker_fallback: Literal["bundled", "allow-any", "strict"] = "bundled"
    ticker_refresh_seconds: float = Field(default=300.0, gt=0)

    # How often each process re-reads the set of deleted users (`config-api users delete`):
    # a deleted user's token is refused by a process within about this long.
    deleted_users_refresh_seconds: float = Field(default=60.0, gt=0, le=3600)

    # Idempotency records expire after this long (DynamoDB TTL).
    idempotency_ttl_seconds: int = Field(default=86400, ge=60)

    # HTTP
    cors_allow_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=16_384, ge=1024)
    # Server mode: a connection whose request headers take longer is closed (slowloris).
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    log_level: str = "INFO"

    # Rollout of the `resilient_writes` flag (rollout/). 100: everyone gets the resilient
    # behaviour, the safe default for a new install; the rollout plan starts an existing
    # deployment at 0 and raises it. A file or AppConfig, when set, takes precedence.
    rollout_percent: int = Field(default=100, ge=0, le=100)
    # An existing file (an operator creates it; `rollout set` rewrites it): a missing one is a
    # settings error at start, named, not a traceback from the server's start-up.
    rollout_file: FilePath | None = None
    rollout_reload_seconds: float = Field(default=5.0, ge=0, le=3600)
    rollout_appconfig_app: str | None = None
    rollout_appconfig_env: str | None = None
    rollout_appconfig_profile: str | None = None
    # Server mode: serve /metrics and /ops/* on this port only (bound to OPS_HOST); unset,
    # they are on the API's port, open to whoever reaches it.
    ops_port: int | None = Field(default=None, ge=1, le=65535)
    ops_host: str = "127.0.0.1"
    # Enables PUT /ops/rollout/flag (server mode); unset, the route answers 404.
    admin_token: SecretStr | None = None
    # CloudWatch namespace of the EMF metrics written in Lambda.
    metrics_namespace: str = "ConfigApi"

    # Local stack only: makes the bundled emulator's probabilistic faults repeatable.
    chaos_seed: int | None = None

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
        if "*" in self.cors_allow_origins:
            raise ValueError(
                "CORS_ALLOW_ORIGINS must list origins, not '*': responses allow credentials "
                "(the dashboard's client sends them) and browsers refuse '*' with credentials"
            )
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
