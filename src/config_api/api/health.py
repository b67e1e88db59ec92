"""Operational routes: liveness, readiness and (server mode) Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from config_api.api.deps import Operator, runtime
from config_api.api.responses import problems
from config_api.domain.errors import DependencyUnavailable, ResourceMissing
from config_api.runtime import Runtime

router = APIRouter(tags=["operations"])


@router.get("/health", responses=problems())
def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses=problems(DependencyUnavailable, ResourceMissing))
def ready(rt: Annotated[Runtime, Depends(runtime)]) -> dict[str, Any]:
    """DynamoDB table reachable and a ticker list loaded."""
    return rt.readiness()


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(rt: Operator) -> Response:
    """Prometheus text exposition of this process's metrics (server mode; in Lambda the
    metrics go to CloudWatch as EMF and a container's own counters would mislead)."""
    body, content_type = rt.metrics.prometheus()
    return Response(body, media_type=content_type)
