"""The problem+json error responses each route documents, generated from the error map.

A route names the domain errors it can raise; the error map gives their statuses and each
error class's docstring (its first paragraph) says what it means. So the documented
statuses follow the map: they cannot drift from what is answered.
"""

from __future__ import annotations

import inspect
from typing import Any

from config_api.api.error_map import status_for
from config_api.domain import errors

Responses = dict[int | str, dict[str, Any]]
# Any route: an error nobody expected (RequestContextMiddleware answers it).
UNEXPECTED = "Unexpected error; quote the correlation id."

# A route behind a bearer token: the token, or the identity provider's keys (503).
AUTHENTICATED = (errors.Unauthenticated, errors.DependencyUnavailable)
# A JSON body (or a header or query parameter): its size, media type and fields.
BODY = (errors.InvalidInput, errors.BodyTooLarge, errors.UnsupportedMediaType)
# DynamoDB or S3 calls, after the retry policy.
AWS = (
    errors.DependencyThrottled,
    errors.DependencyUnavailable,
    errors.ResourceMissing,
    errors.DeadlineExceeded,
)


def problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def problems(*raised: type[errors.ConfigApiError]) -> Responses:
    """The documented error responses of a route that can raise `raised` (and 500)."""
    described: dict[int, list[str]] = {500: [UNEXPECTED]}
    for kind in raised:
        texts = described.setdefault(status_for(kind), [])
        if (text := _summary(kind)) not in texts:
            texts.append(text)
    return {status: problem(" ".join(texts)) for status, texts in sorted(described.items())}


def _summary(kind: type[errors.ConfigApiError]) -> str:
    doc = inspect.getdoc(kind) or kind.__name__
    return " ".join(doc.split("\n\n")[0].split())


# What every configuration route may answer, and the 404 of one configuration.
COMMON_ERRORS: Responses = problems(*AUTHENTICATED, *BODY, *AWS)
NOT_FOUND: Responses = problems(errors.ConfigurationNotFound)
