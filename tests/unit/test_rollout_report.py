"""The rollout verdict over a table of snapshots, its significance test, and the text report."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config_api.rollout.report import EXIT_CODES, p_worse, render, verdict
from config_api.rollout.snapshot import RolloutSnapshot, VariantFigures
from tests.support.rollout_snapshots import snapshot


def model(baseline: tuple[int, int] | None, resilient: tuple[int, int] | None) -> RolloutSnapshot:
    return RolloutSnapshot.model_validate(snapshot(baseline, resilient))


# (why, baseline (requests, errors), resilient (requests, errors), decision, reason fragments)
CASES = [
    (
        "healthy resilient, failing baseline",
        (900, 120),
        (1000, 3),
        "PROMOTE",
        ["3/1000 errors (0.30%)", "1.00% threshold", "120/900 errors (13.33%)"],
    ),
    ("the contract's example: 100 is too few", (900, 120), (100, 0), "HOLD", ["100", "200"]),
    ("one short of the minimum", (1800, 0), (199, 0), "HOLD", ["not enough data", "199"]),
    ("exactly the minimum is judged", (1800, 0), (200, 0), "PROMOTE", ["0/200"]),
    ("no traffic at all", (0, 0), (0, 0), "HOLD", ["resilient had no requests"]),
    (
        "1 error in 200 against 0 in 1800 is noise (p = 0.1)",
        (1800, 0),
        (200, 1),
        "PROMOTE",
        ["1/200 errors (0.50%)", "not worse than baseline 0/1800"],
    ),
    (
        "under the threshold but significantly worse than baseline",
        (10000, 0),
        (2000, 18),
        "HOLD",
        ["18/2000 errors (0.90%)", "significantly worse", "0/10000", "p="],
    ),
    (
        "at the threshold is not under it; baseline worse: not the flag's doing",
        (1000, 100),
        (1000, 10),
        "HOLD",
        ["10/1000 errors (1.00%)", "not significantly worse", "dependencies"],
    ),
    (
        "over the threshold and significantly worse than baseline",
        (9000, 90),
        (1000, 50),
        "ROLL BACK",
        ["50/1000 errors (5.00%)", "90/9000 errors (1.00%)", "p="],
    ),
    (
        "both variants failing alike: an outage, not the flag",
        (9000, 950),
        (1000, 100),
        "HOLD",
        ["100/1000 errors (10.00%)", "not significantly worse", "950/9000"],
    ),
    (
        "flag at 100%, healthy: nothing to compare with, the threshold decides",
        (0, 0),
        (500, 0),
        "PROMOTE",
        ["0/500", "no baseline traffic"],
    ),
    (
        "flag at 100%, failing: not attributable without a baseline",
        (0, 0),
        (500, 50),
        "HOLD",
        ["50/500 errors (10.00%)", "no baseline traffic"],
    ),
    ("baseline absent from the snapshot", None, (500, 0), "PROMOTE", ["no baseline traffic"]),
    ("resilient absent from the snapshot", (500, 0), None, "HOLD", ["no requests"]),
]


@pytest.mark.parametrize(
    ("baseline", "resilient", "decision", "fragments"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_verdict(
    baseline: tuple[int, int] | None,
    resilient: tuple[int, int] | None,
    decision: str,
    fragments: list[str],
) -> None:
    got, reason = verdict(model(baseline, resilient))
    assert got == decision, reason
    for fragment in fragments:
        assert fragment in reason


def test_thresholds_are_parameters() -> None:
    data = model((100, 10), (20, 0))
    assert verdict(data)[0] == "HOLD"  # 20 < 200
    assert verdict(data, min_requests=20)[0] == "PROMOTE"
    failing = model((1000, 0), (100, 3))
    assert verdict(failing, min_requests=100)[0] == "ROLL BACK"  # 3% >= 1%, p ~ 0.001
    decision, reason = verdict(failing, min_requests=100, max_error_rate=0.05)
    assert decision == "HOLD"  # under 5%, still significantly worse than 0/1000
    assert "5.00% threshold" in reason


def test_no_minimum_still_needs_one_request() -> None:
    decision, reason = verdict(model((10, 0), (0, 0)), min_requests=0)
    assert decision == "HOLD"
    assert "resilient had no requests" in reason


def test_exit_codes_gate_a_pipeline() -> None:
    assert EXIT_CODES == {"PROMOTE": 0, "HOLD": 3, "ROLL BACK": 4}


def exact_p(errors: int, requests: int, base_errors: int, base_requests: int) -> Fraction:
    """The hypergeometric tail with exact integers: Fisher's one-sided test by definition."""
    total, failed = requests + base_requests, errors + base_errors
    tail = sum(
        comb(failed, k) * comb(total - failed, requests - k)
        for k in range(errors, min(requests, failed) + 1)
    )
    return Fraction(tail, comb(total, requests))


@given(
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
)
def test_p_worse_is_fishers_exact_test(
    resilient: tuple[int, int], baseline: tuple[int, int]
) -> None:
    (requests, errors), (base_requests, base_errors) = resilient, baseline
    expected = float(exact_p(errors, requests, base_errors, base_requests))
    got = p_worse(errors, requests, base_errors, base_requests)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_p_worse_scales_to_real_traffic() -> None:
    # A day at 10%. The expected values were computed once with exact_p (exact integers take
    # seconds at this size); lgamma gets within 1e-8 of them in microseconds.
    better = p_worse(86, 10_000, 900, 90_000)  # 0.86% against 1.00%
    assert better == pytest.approx(0.9210368716003285, rel=1e-8)
    worse = p_worse(150, 10_000, 900, 90_000)  # 1.50% against 1.00%
    assert worse == pytest.approx(6.175966154596843e-06, rel=1e-8)
    assert p_worse(0, 10_000, 0, 90_000) == 1.0


def test_render_shows_every_figure_and_the_verdict() -> None:
    data = model((900, 120), (100, 0))
    resilient = VariantFigures(requests=100, errors=0, p50_ms=14.2, p99_ms=95.0)
    data = data.model_copy(update={"variants": {**data.variants, "resilient": resilient}})
    text = render(data, verdict(data))
    lines = text.splitlines()
    assert lines[0] == (
        "Rollout of resilient_writes at 10% (window 1h, generated 2026-11-28T15:00:00Z)"
    )
    table = {line.split()[0]: line.split()[1:] for line in lines[2:5]}
    assert table["variant"] == ["requests", "errors", "error", "rate", "p50", "ms", "p99", "ms"]
    assert table["baseline"] == ["900", "120", "13.33%", "12.0", "80.1"]
    assert table["resilient"] == ["100", "0", "0.00%", "14.2", "95.0"]
    assert "error rate counts 5xx and 429 responses" in text
    assert "Verdict: HOLD" in text
    assert "Reason:  not enough data" in text


def test_render_a_variant_without_traffic() -> None:
    data = model((0, 0), (300, 0)).model_copy(update={"window_seconds": 1800})
    text = render(data, verdict(data))
    assert "(window 30m," in text
    row = next(line for line in text.splitlines() if line.startswith("baseline"))
    assert row.split() == ["baseline", "0", "0", "-", "-", "-"]
    assert "Verdict: PROMOTE" in text


def test_the_source_is_named_under_the_header() -> None:
    data = model((900, 0), (300, 0)).model_copy(update={"source": "CloudWatch namespace X"})
    assert render(data, verdict(data)).splitlines()[1] == "source: CloudWatch namespace X"


def test_the_error_rate_is_derived_from_the_counts() -> None:
    document = snapshot((900, 120), (300, 3))
    document["variants"]["resilient"]["error_rate"] = 0.5  # ignored: counts decide
    assert RolloutSnapshot.model_validate(document).variants["resilient"].error_rate == 0.01
