"""The CloudWatch metrics of the app, as written (EMF, Lambda) and read back (the rollout gate).

One definition of the names, units and dimensions: `metrics.py` writes them into each
invocation's EMF blob, `cli/rollout_cloudwatch.py` queries exactly these with GetMetricData,
and template.yaml's dashboard shows them (tests/unit/test_template.py checks it against
this module). A rename here moves all three.
"""

from __future__ import annotations

SERVICE = "config-api"  # Powertools' `service` dimension

# Per request (one EMF blob per Lambda invocation).
REQUESTS = "Requests"  # Count: 1 per request
ERRORS = "Errors"  # Count: 1 for a 5xx or 429 (metrics.is_error), else 0
LATENCY = "Latency"  # Milliseconds, from the first byte in to the response
LATENCY_UNIT = "Milliseconds"
REQUEST_DIMENSIONS = ("variant", "route", "method", "status_class")

# The requests the rollout judges — the configuration API, served by one of the two
# variants — are also aggregated per variant alone (an EMF blob may declare several
# dimension sets), so one query per variant reads them whatever the route, method or status.
ROLLOUT_VARIANTS = ("baseline", "resilient")
ROLLOUT_ROUTE_PREFIX = "/api/v2/configurations"
ROLLOUT_DIMENSIONS = ("service", "variant")


def judged_by_rollout(route: str, variant: str) -> bool:
    """Whether a request counts for the rollout verdict (the in-memory stats use it too)."""
    return variant in ROLLOUT_VARIANTS and route.startswith(ROLLOUT_ROUTE_PREFIX)


def rollout_dimensions(variant: str) -> dict[str, str]:
    """The dimensions of a variant's rollout metrics, in ROLLOUT_DIMENSIONS order."""
    return {"service": SERVICE, "variant": variant}
