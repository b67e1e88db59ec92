"""The rollout page for operators: /ops/rollout (HTML) and /ops/rollout/data (its JSON).

The data is this process's in-memory per-variant stats (`runtime.rollout_stats`): in server
mode every request the server handled in the window. In Lambda each container only sees its
own share, and a verdict on that would mislead a pipeline, so there (as for /metrics) the
routes are a 404 and CloudWatch EMF is the source. Figures are aggregates without user data,
like /health and /ready, so the routes need no token.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from config_api.api.deps import operator_only
from config_api.api.responses import problems
from config_api.domain.errors import InvalidInput, NotAvailableHere
from config_api.rollout.report import verdict
from config_api.rollout.snapshot import RolloutData, RolloutSnapshot, Verdict

router = APIRouter(
    prefix="/ops/rollout",
    tags=["operations"],
    dependencies=[Depends(operator_only)],
    responses=problems(NotAvailableHere),
)
DEFAULT_WINDOW_SECONDS = 3600
MAX_WINDOW_SECONDS = 7 * 86400


@router.get("", response_class=HTMLResponse, summary="Rollout page: figures, chart, verdict")
def rollout_page() -> HTMLResponse:
    # no-store: the page is tiny and must never outlive a deploy in a browser cache.
    return HTMLResponse(_page(), headers={"Cache-Control": "no-store"})


@router.get(
    "/data",
    summary="Per-variant rollout stats over a window, with the verdict",
    responses=problems(InvalidInput, NotAvailableHere),
)
def rollout_data(
    request: Request,
    window_seconds: int = Query(DEFAULT_WINDOW_SECONDS, ge=1, le=MAX_WINDOW_SECONDS),
    min_requests: int = Query(200, ge=1),
    max_error_rate: float = Query(0.01, gt=0, le=1),
) -> RolloutData:
    """The snapshot of `RolloutStats.snapshot()` plus the verdict `config-api rollout report`
    would give with the same thresholds."""
    snapshot: RolloutSnapshot = request.app.state.runtime.rollout_stats.snapshot(window_seconds)
    decision, reason = verdict(snapshot, min_requests=min_requests, max_error_rate=max_error_rate)
    judged = Verdict(
        decision=decision, reason=reason, min_requests=min_requests, max_error_rate=max_error_rate
    )
    return RolloutData(**dict(snapshot), verdict=judged)


@cache
def _page() -> str:
    return resources.files("config_api.rollout").joinpath("page.html").read_text("utf-8")
