"""HTTP routes: thin. Parse the request, call the service, shape the response."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config_api.api.if_match import if_match_versions
from config_api.errors import NotAvailableHere, Unauthenticated
from config_api.models import (
    Configuration,
    ConfigurationCreate,
    ConfigurationList,
    ConfigurationPatch,
    Problem,
)
from config_api.request_context import set_variant
from config_api.runtime import Runtime
from config_api.service import ConfigService

BASE = "/api/v2/configurations"
_bearer = HTTPBearer(auto_error=False, description="A JWT whose `sub` is the user id")


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("Invalid input; `errors` names every offending field"),
    401: _problem("Missing, invalid or expired bearer token"),
    413: _problem("Request body too large"),
    415: _problem("Request body is not JSON"),
    429: _problem("Throttled by a dependency after retries; see Retry-After"),
    500: _problem("Unexpected error; quote the correlation id"),
    503: _problem("A dependency is unavailable; see Retry-After"),
    504: _problem("The request deadline was exceeded"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("No such configuration for this user")}


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def current_user(
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("A bearer token is required")
    user = rt.verifier.user_id(credentials.credentials)
    # From memory (refreshed in the background): no DynamoDB round trip per request.
    if rt.deleted_users.is_deleted(user):
        raise Unauthenticated("The user no longer exists")
    return user


def service(
    rt: Annotated[Runtime, Depends(runtime)], user: Annotated[str, Depends(current_user)]
) -> ConfigService:
    """The service of the variant the rollout flag gives this user (sticky per user)."""
    variant, svc = rt.service_for(user)
    set_variant(variant)  # for the request's metrics
    return svc


User = Annotated[str, Depends(current_user)]
Service = Annotated[ConfigService, Depends(service)]
router = APIRouter(prefix=BASE, tags=["configurations"], responses=COMMON_ERRORS)


def etag(config: Configuration) -> str:
    return f'"{config.version}"'


@router.get("", response_model=ConfigurationList)
def list_configurations(user: User, svc: Service) -> ConfigurationList:
    return ConfigurationList(
        configurations=svc.list_configurations(user), max_allowed=svc.max_allowed
    )


@router.post(
    "",
    status_code=201,
    response_model=Configuration,
    responses={
        409: _problem("Configuration limit reached, or the same Idempotency-Key is in flight"),
        422: _problem("Idempotency-Key reused with a different body"),
    },
)
def create_configuration(
    body: ConfigurationCreate,
    response: Response,
    user: User,
    svc: Service,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Configuration:
    created = svc.create(user, body, idempotency_key)
    response.headers["Location"] = f"{BASE}/{created.config.config_id}"
    response.headers["ETag"] = etag(created.config)
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return created.config


@router.get("/{config_id}", response_model=Configuration, responses=NOT_FOUND)
def get_configuration(
    config_id: str, response: Response, user: User, svc: Service
) -> Configuration:
    config = svc.get(user, config_id)
    response.headers["ETag"] = etag(config)
    return config


@router.patch(
    "/{config_id}",
    response_model=Configuration,
    responses={**NOT_FOUND, 412: _problem("If-Match does not match the current ETag")},
)
def patch_configuration(
    config_id: str,
    body: ConfigurationPatch,
    response: Response,
    user: User,
    svc: Service,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Configuration:
    config = svc.update(user, config_id, body, if_match_versions(if_match))
    response.headers["ETag"] = etag(config)
    return config


@router.delete("/{config_id}", status_code=204, responses=NOT_FOUND)
def delete_configuration(config_id: str, user: User, svc: Service) -> Response:
    svc.delete(user, config_id)
    return Response(status_code=204)


ops_router = APIRouter(tags=["operations"])


@ops_router.get("/health")
def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@ops_router.get("/ready", responses={503: _problem("A dependency is not reachable")})
def ready(rt: Annotated[Runtime, Depends(runtime)]) -> dict[str, Any]:
    """DynamoDB table reachable and a ticker list loaded."""
    return rt.readiness()


@ops_router.get("/metrics", include_in_schema=False)
def prometheus_metrics(rt: Annotated[Runtime, Depends(runtime)]) -> Response:
    """Prometheus text exposition of this process's metrics (server mode; in Lambda the
    metrics go to CloudWatch as EMF and a container's own counters would mislead)."""
    if rt.mode != "server":
        raise NotAvailableHere()
    body, content_type = rt.metrics.prometheus()
    return Response(body, media_type=content_type)


__all__ = ["Problem", "ops_router", "router"]
