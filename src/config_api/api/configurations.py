"""The configuration routes: thin. Parse the request, call the service, shape the response.

Async, with the service's blocking calls through the caller's `run` (api/deps.py): the
thread pool in server mode, inline in Lambda."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from config_api.api.deps import Authenticated
from config_api.api.if_match import if_match_versions
from config_api.api.responses import AUTHENTICATED, AWS, BODY, NOT_FOUND, problems
from config_api.domain import errors
from config_api.domain.models import (
    Configuration,
    ConfigurationCreate,
    ConfigurationList,
    ConfigurationPatch,
)

BASE = "/api/v2/configurations"

router = APIRouter(prefix=BASE, tags=["configurations"], responses=problems(*AUTHENTICATED, *AWS))


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


CREATED_HEADERS = {
    "Location": _header("The configuration's URL"),
    "ETag": _header("Its version, for If-Match"),
    "Idempotent-Replayed": _header(
        "`true`: the answer of the create first made with this Idempotency-Key"
    ),
    "Configuration-Deleted": _header(
        "`true` on a replay whose configuration was deleted since (nothing is created again)"
    ),
}


def etag(config: Configuration) -> str:
    return f'"{config.version}"'


@router.get("", response_model=ConfigurationList)
async def list_configurations(caller: Authenticated) -> ConfigurationList:
    configurations = await caller.run(caller.service.list_configurations, caller.user)
    return ConfigurationList(configurations=configurations, max_allowed=caller.service.max_allowed)


@router.post(
    "",
    status_code=201,
    response_model=Configuration,
    responses={
        201: {"headers": CREATED_HEADERS},
        **problems(
            *BODY,
            errors.InvalidTickers,
            errors.LimitReached,
            errors.IdempotencyInProgress,
            errors.IdempotencyKeyReused,
        ),
    },
)
async def create_configuration(
    body: ConfigurationCreate,
    response: Response,
    caller: Authenticated,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Configuration:
    created = await caller.run(caller.service.create, caller.user, body, idempotency_key)
    response.headers["Location"] = f"{BASE}/{created.config.config_id}"
    response.headers["ETag"] = etag(created.config)
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if created.deleted:
        response.headers["Configuration-Deleted"] = "true"
    return created.config


@router.get("/{config_id}", response_model=Configuration, responses=NOT_FOUND)
async def get_configuration(
    config_id: str, response: Response, caller: Authenticated
) -> Configuration:
    config = await caller.run(caller.service.get, caller.user, config_id)
    response.headers["ETag"] = etag(config)
    return config


# A write to one configuration: its body, its tickers, its existence and If-Match.
CONDITIONAL_WRITE = problems(
    *BODY, errors.InvalidTickers, errors.ConfigurationNotFound, errors.VersionMismatch
)


@router.put("/{config_id}", response_model=Configuration, responses=CONDITIONAL_WRITE)
async def replace_configuration(
    config_id: str,
    body: ConfigurationCreate,
    response: Response,
    caller: Authenticated,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Configuration:
    """Replace the whole configuration: omitted optional fields take their create defaults."""
    config = await caller.run(
        caller.service.replace, caller.user, config_id, body, if_match_versions(if_match)
    )
    response.headers["ETag"] = etag(config)
    return config


@router.patch("/{config_id}", response_model=Configuration, responses=CONDITIONAL_WRITE)
async def patch_configuration(
    config_id: str,
    body: ConfigurationPatch,
    response: Response,
    caller: Authenticated,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Configuration:
    config = await caller.run(
        caller.service.update, caller.user, config_id, body, if_match_versions(if_match)
    )
    response.headers["ETag"] = etag(config)
    return config


@router.delete("/{config_id}", status_code=204, responses=NOT_FOUND)
async def delete_configuration(config_id: str, caller: Authenticated) -> Response:
    await caller.run(caller.service.delete, caller.user, config_id)
    return Response(status_code=204)
