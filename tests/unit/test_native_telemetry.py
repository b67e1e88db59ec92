"""FastAPI's native OpenTelemetry instrumentation stays off, even where a global provider is
configured (e.g. a Lambda layer's): our own metrics and logs are the service's telemetry
(observability/), and FastAPI's would also export exception messages and stack traces."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.trace import NoOpTracer, TracerProvider

from config_api.api.app import create_app
from config_api.settings import Settings


class RecordingTracer(NoOpTracer):
    def __init__(self, spans: list[str]) -> None:
        self.spans = spans

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.spans.append(name)
        return super().start_span(name, *args, **kwargs)


class RecordingProvider(TracerProvider):
    """A configured provider (not the API's deferred proxy) that records the spans started."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return RecordingTracer(self.spans)


def statuses(app: FastAPI, *paths: str) -> list[int]:
    """GET each path in-process (the ASGI app, no server)."""

    async def get() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [(await client.get(path)).status_code for path in paths]

    return asyncio.run(get())


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingProvider]:
    """The process's global tracer provider, for this test only (the API sets it only once)."""
    recording = RecordingProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: recording)
    yield recording


def test_fastapi_traces_requests_by_default_where_a_provider_is_configured(
    provider: RecordingProvider,
) -> None:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    assert statuses(app, "/health") == [200]
    assert provider.spans  # the probe sees FastAPI's span


def test_our_app_starts_no_fastapi_span(provider: RecordingProvider) -> None:
    app = create_app(Settings(JWT_SECRET="telemetry-test"))
    assert statuses(app, "/health", "/api/v2/configurations") == [200, 401]
    assert provider.spans == []
