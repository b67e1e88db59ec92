"""PUT /ops/rollout/flag: change the rollout percentage without a redeploy (server mode).

Authorised by `Authorization: Bearer <ADMIN_TOKEN>`, a shared operator secret distinct
from user tokens. Without ADMIN_TOKEN (or in Lambda) the route answers 404, as if absent.
The change reaches the next request; the flag logs it (old → new, source).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from config_api.api.deps import Operator
from config_api.domain.errors import NotAvailableHere, Unauthenticated
from config_api.observability.log import logger
from config_api.rollout import FLAG
from config_api.runtime import Runtime

router = APIRouter(prefix="/ops/rollout", tags=["operations"])
_bearer = HTTPBearer(auto_error=False)


class PercentageChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # strict: `true` is not 1

    percentage: int = Field(ge=0, le=100, description="Share of users (by bucket) in the flag")


def admin(
    request: Request,
    rt: Operator,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Runtime:
    """The runtime, for a caller holding the admin token (checked before the body is read)."""
    expected = rt.settings.admin_token
    if expected is None:
        raise NotAvailableHere()
    offered = credentials.credentials if credentials is not None else ""
    # Constant time: the comparison must not reveal how much of a guess was right.
    if not hmac.compare_digest(offered.encode(), expected.get_secret_value().encode()):
        client = request.client.host if request.client else None
        logger.warning("rollout admin call refused", extra={"client": client})
        raise Unauthenticated("The admin token is required")
    return rt


@router.put("/flag", include_in_schema=False)
def set_rollout_percentage(
    change: PercentageChange, rt: Annotated[Runtime, Depends(admin)]
) -> dict[str, Any]:
    previous = rt.flag.set_percentage(change.percentage, source="admin")
    return {
        "flag": FLAG,
        "percentage": rt.flag.percentage(),
        "previous": previous,
        "store": rt.flag.source.name,
    }
