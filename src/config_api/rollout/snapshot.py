"""The rollout snapshot: per-variant figures over a window, whatever measured them.

One model for every source — the server's in-memory stats (`/ops/rollout/data`, `--url`), a
saved file (`--file`) and CloudWatch (`--cloudwatch`) — so the verdict, the text report, the
ops page and `rollout step` judge the same shape. Counts are strict integers (`true` is not
1); the error rate is derived from them, never taken from the input.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, computed_field

from config_api.rollout.flag import FLAG

Decision = Literal["PROMOTE", "HOLD", "ROLL BACK"]


class VariantFigures(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    requests: StrictInt = Field(ge=0)
    errors: StrictInt = Field(ge=0, description="5xx and 429 responses (metrics.is_error)")
    p50_ms: float | None = None
    p99_ms: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error_rate(self) -> float:
        return round(self.errors / self.requests, 4) if self.requests else 0.0


class SeriesPoint(BaseModel):
    """One variant's counts in one bucket of the window (the ops page's chart)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    start: str  # ISO-8601 UTC, the bucket's start
    variant: str
    requests: StrictInt = Field(ge=0)
    errors: StrictInt = Field(ge=0)


class RolloutSnapshot(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    flag: str = FLAG
    percentage: int | None = Field(default=None, description="the flag's percentage, if known")
    generated_at: str | None = None  # ISO-8601 UTC
    window_seconds: int | None = None
    bucket_seconds: int | None = None
    source: str | None = Field(default=None, description="where the figures were measured")
    variants: dict[str, VariantFigures]
    series: list[SeriesPoint] = Field(default_factory=list)

    def counts(self, variant: str) -> tuple[int, int]:
        """(requests, errors) of a variant; a variant absent from the snapshot had no traffic."""
        figures = self.variants.get(variant)
        return (figures.requests, figures.errors) if figures else (0, 0)


class Verdict(BaseModel):
    decision: Decision
    reason: str
    min_requests: int
    max_error_rate: float


class RolloutData(RolloutSnapshot):
    """What `/ops/rollout/data` serves: the snapshot and the verdict on it."""

    verdict: Verdict
