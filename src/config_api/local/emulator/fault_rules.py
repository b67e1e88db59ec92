"""The chaos API's documents, as LocalStack takes them: fault rules (which AWS calls fail,
how often, with which error) and the latency effect, validated by pydantic models; an
invalid document is a ChaosError, which the emulator answers with a 400 naming the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class ChaosError(ValueError):
    """An invalid chaos request body; rendered as HTTP 400."""


@dataclass(frozen=True)
class AwsCall:
    """What the fault rules match on; None when it could not be determined."""

    service: str | None
    region: str | None
    operation: str | None


@dataclass(frozen=True)
class FaultRule:
    region: str | None = None
    service: str | None = None
    operation: str | None = None
    probability: float = 1.0
    status_code: int = 503
    code: str = "ServiceUnavailable"

    def to_json(self) -> dict[str, Any]:
        filters = {"region": self.region, "service": self.service, "operation": self.operation}
        out: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
        out["probability"] = self.probability
        out["error"] = {"statusCode": self.status_code, "code": self.code}
        return out

    def matches(self, call: AwsCall) -> bool:
        pairs = (
            (self.region, call.region),
            (self.service, call.service),
            (self.operation, call.operation),
        )
        return all(want is None or (got or "").lower() == want.lower() for want, got in pairs)


class _Document(BaseModel):
    # Strict: "0.5" is not a probability, nor true a status code. Unknown keys are refused:
    # a typo such as "operations" would otherwise make a rule match everything.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class FaultError(_Document):
    status_code: int = Field(503, ge=400, le=599, alias="statusCode")
    code: str = Field("ServiceUnavailable", min_length=1)


class FaultRuleDocument(_Document):
    """A fault rule as LocalStack's chaos API takes it (every key optional)."""

    region: str | None = None
    service: str | None = None
    operation: str | None = None
    probability: float = Field(1.0, ge=0, le=1)
    error: FaultError = FaultError()

    def rule(self) -> FaultRule:
        return FaultRule(
            self.region,
            self.service,
            self.operation,
            self.probability,
            self.error.status_code,
            self.error.code,
        )


class LatencyEffect(_Document):
    latency: float = Field(ge=0, description="milliseconds added to every AWS request")


_RULES = TypeAdapter(list[FaultRuleDocument])


def _invalid(exc: ValidationError) -> ChaosError:
    """A 400's message naming each problem, e.g. `[0].probability: Input should be ...`."""
    problems = []
    for error in exc.errors(include_url=False):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        problems.append(f"{where.lstrip('.') or 'body'}: {error['msg']}")
    return ChaosError("; ".join(problems))


def parse_rules(body: bytes) -> list[FaultRule]:
    """A JSON array of fault rules; ChaosError (a 400) names what is wrong."""
    try:
        return [document.rule() for document in _RULES.validate_json(body)]
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_latency(body: bytes) -> float:
    """`{"latency": <milliseconds>}`; ChaosError (a 400) names what is wrong."""
    try:
        return LatencyEffect.model_validate_json(body).latency
    except ValidationError as exc:
        raise _invalid(exc) from None
