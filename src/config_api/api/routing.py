"""Routing decides first: which methods the app's routes have for a request's path.

Computed from the app's own routes (whatever routers are included), never from a list kept
by hand: the 405's Allow header, the request-shape checks (a body is judged only once a route
takes the request) and HEAD all ask here.
"""

from __future__ import annotations

from http import HTTPMethod

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# What route matching reads. A fresh scope of these, so that probing never touches (nor is
# swayed by) what the router has already stored in the request's own scope.
_MATCHED_ON = ("type", "path", "root_path", "headers")


def has_route(scope: Scope, method: str) -> bool:
    """Whether a route of the app takes `method` on the scope's path."""
    probe = {key: scope[key] for key in _MATCHED_ON if key in scope} | {"method": method}
    return any(route.matches(probe)[0] is Match.FULL for route in scope["app"].router.routes)


def served(scope: Scope) -> bool:
    """Whether a route takes this request (HEAD: where GET is taken, see HeadAsGetMiddleware)."""
    method = scope["method"]
    return has_route(scope, method) or (method == HTTPMethod.HEAD and has_route(scope, "GET"))


def allowed_methods(scope: Scope) -> list[str]:
    """Every method the path has, for a 405's Allow header."""
    return [m.value for m in HTTPMethod if served({**scope, "method": m.value})]


class HeadAsGetMiddleware:
    """HEAD on a path with a GET route: that GET's status and headers without its body
    (RFC 9110 §9.3.2). The server drops a HEAD body too, but Lambda's adapter does not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != HTTPMethod.HEAD
            or has_route(scope, HTTPMethod.HEAD)  # a route of its own (e.g. /docs)
            or not has_route(scope, HTTPMethod.GET)
        ):
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": HTTPMethod.GET.value}

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:  # the route template labels the request's metrics
                scope["route"] = as_get["route"]
