"""OpenAPI descriptions of the problem+json error responses the routes document."""

from __future__ import annotations

from typing import Any


def problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: problem("Invalid input; `errors` names every offending field"),
    401: problem("Missing, invalid or expired bearer token"),
    413: problem("Request body too large"),
    415: problem("Request body is not JSON"),
    429: problem("Throttled by a dependency after retries; see Retry-After"),
    500: problem("Unexpected error; quote the correlation id"),
    503: problem("A dependency is unavailable; see Retry-After"),
    504: problem("The request deadline was exceeded"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such configuration for this user")}
