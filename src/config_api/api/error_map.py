"""The one error map: exception → problem+json response. The only place that knows statuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from config_api.api.routing import allowed_methods
from config_api.domain import errors
from config_api.domain.models import FieldProblem, Problem
from config_api.observability.context import correlation_id
from config_api.observability.log import logger
from config_api.observability.metrics import is_error

PROBLEM_JSON = "application/problem+json"

# Most specific first: the first matching class decides.
STATUS_OF: list[tuple[type[errors.ConfigApiError], int]] = [
    (errors.InvalidInput, 400),
    (errors.Unauthenticated, 401),
    (errors.ConfigurationNotFound, 404),
    (errors.NotAvailableHere, 404),
    (errors.LimitReached, 409),
    (errors.IdempotencyInProgress, 409),
    (errors.RolloutReadOnly, 409),
    (errors.VersionMismatch, 412),
    (errors.BodyTooLarge, 413),
    (errors.UnsupportedMediaType, 415),
    (errors.IdempotencyKeyReused, 422),
    (errors.DependencyThrottled, 429),
    (errors.DeadlineExceeded, 504),
    (errors.DependencyUnavailable, 503),
]


def status_of(exc: errors.ConfigApiError) -> int:
    return status_for(type(exc))


def status_for(kind: type[errors.ConfigApiError]) -> int:
    """The status every error of this class is answered with (also what the docs say)."""
    return next((status for cls, status in STATUS_OF if issubclass(kind, cls)), 500)


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = Problem(
        type=f"urn:config-api:problem:{code}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        message=detail,
        code=code,
        correlation_id=correlation_id(),
        **extra,
    )
    headers = dict(headers or {})
    if body.correlation_id:
        headers["X-Correlation-ID"] = body.correlation_id
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _field_problems(field_errors: list[errors.FieldError]) -> list[FieldProblem]:
    return [
        FieldProblem(
            field=".".join(str(part) for part in e.loc),
            message=e.message,
            type=e.type,
            **e.extra,
        )
        for e in field_errors
    ]


def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.ConfigApiError)
    status = status_of(exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.InvalidInput):
        extra["errors"] = _field_problems(exc.errors)
    if isinstance(exc, errors.LimitReached):
        extra.update(max_allowed=exc.max_allowed, current_count=exc.current_count)
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if is_error(status):
        # The cause (the failed call and its AWS error) is for the log, never the response.
        cause = getattr(exc, "cause", None)
        logger.warning(
            "request failed",
            extra={"status": status, "code": exc.code, "detail": exc.detail, "cause": cause},
        )
    return problem_response(status, exc.code, exc.detail, headers=headers, **extra)


def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    field_errors = [
        errors.FieldError(
            loc=tuple(e.get("loc", ())),
            message="Unknown field" if e.get("type") == "extra_forbidden" else str(e.get("msg")),
            type=str(e.get("type", "value_error")),
        )
        for e in exc.errors()
    ]
    fields = ", ".join(".".join(str(p) for p in fe.loc) for fe in field_errors)
    return domain_error(_, errors.InvalidInput(f"Invalid request: {fields}", field_errors))


def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTPStatus(exc.status_code).name.lower()
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        # Every method of the path: the router names only those of the first route it tried.
        headers["Allow"] = ", ".join(allowed_methods(request.scope))
    return problem_response(exc.status_code, code, detail, headers=headers)


def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    """Any other exception: called by the outermost middleware (RequestContextMiddleware),
    which answers and does not re-raise, so this is the error's one log record."""
    # Details go to the log only; the client gets the correlation id to quote.
    logger.error("unexpected error", exc_info=exc, extra={"error_type": type(exc).__name__})
    return problem_response(
        500, "internal_error", "An unexpected error occurred; quote the correlation id"
    )


Handler = Callable[[Request, Exception], JSONResponse]


def _on_the_loop(handler: Handler) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """Starlette runs a sync exception handler in its thread pool (in Lambda, a worker thread
    started for the invocation); these only build a response, so they run where they are."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return handler(request, exc)

    return handle


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.ConfigApiError, _on_the_loop(domain_error))
    app.add_exception_handler(RequestValidationError, _on_the_loop(validation_error))
    app.add_exception_handler(StarletteHTTPException, _on_the_loop(http_error))
    # No handler for Exception: Starlette would answer *and* re-raise it to the server, which
    # logs it again; RequestContextMiddleware answers with unexpected_error instead.
