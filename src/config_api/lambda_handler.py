"""AWS Lambda entry point: API Gateway HTTP API (payload 2.0) → Mangum → the same FastAPI app.

Everything expensive runs at import, i.e. once per container in Lambda's init phase: the
settings, the boto3 clients, the token verifier, the rollout flag's rules, the ticker
list (S3, else the fallback) and the set of deleted users. Invocations only serve requests
with that one Runtime.
Each invocation's metrics are written as one CloudWatch EMF blob when it ends.

The cyclic garbage collector is off during init: it would run some 280 times while the
~185,000 objects of the imports, models, routes and ticker list are made, scanning the
survivors again and again (about a quarter of the init's CPU, docs/BENCHMARKS.md). At the
end they go to the permanent generation (gc.freeze): they live as long as the container, so
no later collection scans them. The few cycles that became garbage meanwhile (about 1,000
objects) are frozen with them, a one-off cost well below the full collection that would
find them.
"""

from __future__ import annotations

import gc

gc.disable()

from typing import Any  # noqa: E402  (everything below is imported with the collector off)

from mangum import Mangum  # noqa: E402
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES  # noqa: E402

from config_api.api.app import create_app  # noqa: E402
from config_api.runtime import Runtime  # noqa: E402
from config_api.settings import get_settings  # noqa: E402

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

gc.freeze()
gc.enable()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = _mangum(event, context)
        return response
    finally:
        runtime.metrics.flush()  # EMF to stdout: CloudWatch Logs turns it into metrics
