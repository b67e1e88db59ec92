"""The FastAPI application factory (used by uvicorn and by the Lambda handler alike)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from config_api.api import error_map
from config_api.api.middleware import RequestContextMiddleware, RequestShapeMiddleware
from config_api.api.routes import ops_router, router
from config_api.runtime import Runtime
from config_api.settings import Settings, get_settings


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
        version="2.0.0",
        summary="Watchlist configurations of the stock-sentiment dashboard",
        lifespan=lifespan,
    )
    if runtime is not None:
        app.state.runtime = runtime
    app.include_router(router)
    app.include_router(ops_router)
    error_map.install(app)
    app.add_middleware(RequestShapeMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Correlation-ID",
            ],
            expose_headers=["ETag", "Location", "Retry-After", "X-Correlation-ID"],
        )
    # Added last = outermost: every response, even a rejected one, carries the correlation id.
    app.add_middleware(RequestContextMiddleware, deadline_seconds=settings.request_deadline_seconds)
    return app
