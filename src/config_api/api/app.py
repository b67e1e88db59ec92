"""The FastAPI application factory (used by uvicorn and by the Lambda handler alike)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from config_api import __version__
from config_api.api import (
    configurations,
    error_map,
    health,
    rollout_admin,
    rollout_page,
    tickers,
)
from config_api.api.cors import ListedOriginsCORS
from config_api.api.middleware import RequestContextMiddleware, RequestShapeMiddleware
from config_api.api.routing import HeadAsGetMiddleware
from config_api.domain.models import Problem
from config_api.runtime import Runtime
from config_api.settings import Settings, get_settings

# FastAPI's own OpenTelemetry spans, metrics and logs, on by default whenever a global
# provider is configured (or FASTAPI_OTEL_AUTO_CONFIGURE is set): off. The metrics and logs are
# ours (observability/), settings.py is the only reader of the environment, and FastAPI's
# logs would export exception messages and stack traces we keep out of anything shipped.
NO_NATIVE_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not hasattr(app.state, "runtime"):
            app.state.runtime = Runtime.from_settings(settings)
            app.state.runtime.start()
        yield

    app = FastAPI(
        title="config-api",
        version=__version__,
        summary="Watchlist configurations of the stock-sentiment dashboard",
        lifespan=lifespan,
        # A path that is not a route is a 404, not a 307 built from the Host header.
        redirect_slashes=False,
        telemetry=NO_NATIVE_TELEMETRY,
    )
    if runtime is not None:
        app.state.runtime = runtime
    app.openapi = _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented hook
    app.include_router(configurations.router)
    app.include_router(tickers.router)
    app.include_router(health.router)
    app.include_router(rollout_page.router)
    app.include_router(rollout_admin.router)  # PUT /ops/rollout/flag
    error_map.install(app)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RequestShapeMiddleware, max_body_bytes=settings.max_body_bytes)
    # Around the app: every response, even a rejected one, carries the correlation id.
    app.add_middleware(RequestContextMiddleware, deadline_seconds=settings.request_deadline_seconds)
    if settings.cors_allow_origins:
        # Added last = outermost: a browser can read every answer, that one's 500/504 too.
        app.add_middleware(ListedOriginsCORS, origins=settings.cors_allow_origins)
    return app


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema plus the Problem model the error responses refer to, and without
    FastAPI's default 422 "Validation Error": validation failures are 400 problem+json here."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = FastAPI.openapi(app)  # builds and caches app.openapi_schema; edited in place
        problem = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(problem.pop("$defs", {}), Problem=problem)
        for path in schema["paths"].values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if "HTTPValidationError" in str(responses.get("422", "")):
                    del responses["422"]
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        return schema

    return openapi
