"""FastAPI dependencies: the process's Runtime, and the `Caller` of an authenticated route —
the user, the service of the variant that serves them, and where blocking calls run.

One dependency per route, not one per thing it needs: FastAPI solves every node of a route's
dependency tree on every request (its per-request cache only skips the call), and each node
costs CPU in every Lambda invocation. Separate user, service and runner dependencies, each
depending on the runtime, made 15 nodes per request; `Caller` makes 3 (with the bearer
scheme and the route itself). The Runtime is read from the request, not depended on.

The dependencies are async: they work from memory, so FastAPI need not hop to its thread
pool for each of them. What may block (boto3 calls, a JWKS fetch) goes through `Blocking`:
in server mode to the thread pool, off the event loop that serves every other request; in
Lambda inline, as a container serves one request at a time and nothing else waits on its
loop (a thread hop there costs a worker thread started per invocation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from config_api.domain.errors import NotAvailableHere, Unauthenticated
from config_api.domain.service import ConfigService
from config_api.observability.context import set_variant
from config_api.runtime import Runtime

P = ParamSpec("P")
T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="A JWT whose `sub` is the user id")


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


@dataclass(frozen=True)
class Blocking:
    """Runs a blocking call: in the thread pool (server), or inline (Lambda)."""

    inline: bool

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self.inline:
            return fn(*args, **kwargs)
        return await run_in_threadpool(fn, *args, **kwargs)


_THREAD_POOL, _INLINE = Blocking(inline=False), Blocking(inline=True)


def runner(rt: Runtime) -> Blocking:
    """Where this process runs blocking calls."""
    return _INLINE if rt.mode == "lambda" else _THREAD_POOL


@dataclass(frozen=True)
class Caller:
    """An authenticated request's caller."""

    user: str
    service: ConfigService  # of the variant the rollout flag gives this user (sticky)
    run: Blocking  # where the service's blocking calls run


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("A bearer token is required")
    rt = runtime_of(request)
    run = runner(rt)
    # Verifying is CPU only, unless the JWKS must be fetched.
    verify = run if rt.verifier.fetches_keys else _INLINE
    user = await verify(rt.verifier.user_id, credentials.credentials)
    # From memory (refreshed in the background): no DynamoDB round trip per request.
    if rt.deleted_users.is_deleted(user):
        raise Unauthenticated("The user no longer exists")
    variant, svc = rt.service_for(user)
    set_variant(variant)  # for the request's metrics
    return Caller(user, svc, run)


async def operator_only(request: Request) -> Runtime:
    """The operator routes (/metrics, /ops/*): server mode only (in Lambda one container's
    figures would mislead), and with OPS_PORT set only on that port. Elsewhere they answer
    as if they did not exist."""
    rt = runtime_of(request)
    ops_port = rt.settings.ops_port
    local = request.scope.get("server")  # the listening socket this request came through
    if rt.mode != "server" or (ops_port is not None and (not local or local[1] != ops_port)):
        raise NotAvailableHere()
    return rt


Operator = Annotated[Runtime, Depends(operator_only)]
Authenticated = Annotated[Caller, Depends(caller)]
