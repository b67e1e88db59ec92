"""Operational routes: liveness, readiness and (server mode) Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from config_api.api.deps import Operator, runner, runtime_of
from config_api.api.responses import problems
from config_api.domain.errors import DependencyUnavailable, ResourceMissing

router = APIRouter(tags=["operations"])


@router.get("/health", responses=problems())
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses=problems(DependencyUnavailable, ResourceMissing))
async def ready(request: Request) -> dict[str, Any]:
    """DynamoDB table reachable and a ticker list loaded."""
    rt = runtime_of(request)
    return await runner(rt)(rt.readiness)  # a DynamoDB call: off the event loop (server)


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(rt: Operator) -> Response:
    """Prometheus text exposition of this process's metrics (server mode; in Lambda the
    metrics go to CloudWatch as EMF and a container's own counters would mislead)."""
    body, content_type = rt.metrics.prometheus()
    return Response(body, media_type=content_type)
