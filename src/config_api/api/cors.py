"""CORS for the dashboard's browser client: its fetches send `credentials: 'include'` and a
bearer token, read ETag/Location/Retry-After, and send If-Match and Idempotency-Key.

The same lists configure the SAM template's HTTP API (tests/unit/test_template.py checks).
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "X-Correlation-ID",
)
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "X-Correlation-ID",
    "Idempotent-Replayed",
    "Configuration-Deleted",
)
MAX_AGE_SECONDS = 600


class ListedOriginsCORS(CORSMiddleware):
    """Starlette's CORS with credentials, for the listed origins only. A request from any
    other origin goes on as if CORS were off: Starlette would still give it
    Allow-Credentials and Expose-Headers, and answer its preflight with them."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=METHODS,
            allow_headers=REQUEST_HEADERS,
            allow_credentials=True,
            expose_headers=EXPOSED_HEADERS,
            max_age=MAX_AGE_SECONDS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        if origin is None or self.is_allowed_origin(origin):
            await super().__call__(scope, receive, send)
            return

        async def vary_on_origin(message: Message) -> None:
            # The answer depends on the origin: no cache may hand it to a listed one.
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, vary_on_origin)
