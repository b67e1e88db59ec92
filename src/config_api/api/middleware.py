"""ASGI middleware: correlation id + deadline + access log, and request-shape guards.

Pure ASGI (not BaseHTTPMiddleware) so context variables set here are seen by the route,
by the thread pool it runs in, and by the error handlers.
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config_api.api.error_map import domain_error, unexpected_error
from config_api.api.routing import served
from config_api.domain import errors
from config_api.observability.context import begin_request, new_correlation_id, variant
from config_api.observability.log import logger

JSON_TYPES = ("application/json", "application/merge-patch+json")
UNMATCHED = "unmatched"  # the route label of requests no route matched (or refused before)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, deadline_seconds: float) -> None:
        self.app = app
        self.deadline_seconds = deadline_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cid = new_correlation_id(headers.get("x-correlation-id") or headers.get("x-request-id"))
        begin_request(cid, self.deadline_seconds)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                MutableHeaders(scope=message)["X-Correlation-ID"] = cid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answered here, not by Starlette's ServerErrorMiddleware: that one re-raises
            # after answering, and the server (uvicorn, Mangum) logs the error a second time.
            if responded:  # too late for a problem+json: let the server cut the response
                raise
            response = unexpected_error(Request(scope, receive), exc)
            await response(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            # The route template, never the raw path: ids in label values would be unbounded.
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            served_by = variant()
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "variant": served_by,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            _record(scope, route, status, served_by, seconds)


def _record(scope: Scope, route: str, status: int, served_by: str, seconds: float) -> None:
    """The one place a request is recorded: Prometheus or EMF, and the rollout stats."""
    runtime = getattr(scope["app"].state, "runtime", None)
    if runtime is None:  # the app was never started: nothing to record into
        return
    try:
        runtime.metrics.record_request(
            route=route, method=scope["method"], status=status, variant=served_by, seconds=seconds
        )
    except Exception:  # telemetry must never turn into a failed request
        logger.exception("metrics recording failed")


class RequestShapeMiddleware:
    """413 for oversized bodies, 415 for bodies that are not JSON, before any parsing (but
    after routing: only for requests a route takes)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PUT", "PATCH")
            # Routing decides first: a path or method no route has is the router's 404 or
            # 405, whatever the body.
            or not served(scope)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._reject(scope, receive, send, errors.BodyTooLarge(self._too_large()))
            return
        if media_type not in JSON_TYPES:
            await self._reject(
                scope,
                receive,
                send,
                errors.UnsupportedMediaType("Send the body as application/json"),
            )
            return
        # Buffer the (small) body so a chunked upload is measured before anything parses it.
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._reject(scope, receive, send, errors.BodyTooLarge(self._too_large()))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"The request body is larger than {self.max_body_bytes} bytes"

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        response = domain_error(Request(scope, receive), exc)
        await response(scope, receive, send)
