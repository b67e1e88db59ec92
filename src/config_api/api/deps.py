"""FastAPI dependencies: the process's Runtime, the authenticated user, and the service of
the variant that serves them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config_api.domain.errors import NotAvailableHere, Unauthenticated
from config_api.domain.service import ConfigService
from config_api.observability.context import set_variant
from config_api.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="A JWT whose `sub` is the user id")


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


def operator_only(request: Request, rt: Annotated[Runtime, Depends(runtime)]) -> Runtime:
    """The operator routes (/metrics, /ops/*): server mode only (in Lambda one container's
    figures would mislead), and with OPS_PORT set only on that port. Elsewhere they answer
    as if they did not exist."""
    ops_port = rt.settings.ops_port
    local = request.scope.get("server")  # the listening socket this request came through
    if rt.mode != "server" or (ops_port is not None and (not local or local[1] != ops_port)):
        raise NotAvailableHere()
    return rt


Operator = Annotated[Runtime, Depends(operator_only)]
User = Annotated[str, Depends(current_user)]
Service = Annotated[ConfigService, Depends(service)]
