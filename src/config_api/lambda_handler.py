"""AWS Lambda entry point: API Gateway HTTP API (payload 2.0) → Mangum → the same FastAPI app.

Everything expensive runs at import, i.e. once per container in Lambda's init phase: the
settings, the boto3 clients, the token verifier, the rollout flag's rules, the ticker
list (S3, else the fallback) and the set of deleted users. Invocations only serve requests
with that one Runtime.
Each invocation's metrics are written as one CloudWatch EMF blob when it ends.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from config_api.api.app import create_app
from config_api.runtime import Runtime
from config_api.settings import get_settings

settings = get_settings()
runtime = Runtime.from_settings(settings, mode="lambda")
runtime.start()
app = create_app(settings, runtime)

_mangum = Mangum(
    app,
    # "off": Mangum runs the ASGI lifespan (startup and shutdown) around *every* invocation;
    # the per-container state is the Runtime built above.
    lifespan="off",
    # Errors are application/problem+json: send them as text, not base64.
    text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"],
)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = _mangum(event, context)
        return response
    finally:
        runtime.metrics.flush()  # EMF to stdout: CloudWatch Logs turns it into metrics
