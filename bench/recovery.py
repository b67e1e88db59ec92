"""Recovery after a DynamoDB outage: every DynamoDB call fails for OUTAGE seconds, then the
emulator is healthy again. How long from healthy until creates succeed, and what clients saw
meanwhile (status codes, Retry-After values, how long a failed answer took).

Clients: CLIENTS threads that honour Retry-After (sleep that long after a 429/503) and
otherwise create every PACE seconds, plus one probe that ignores Retry-After and creates every
PACE seconds, which shows when the service itself is back. Two outages: DynamoDB unavailable
(500 InternalServerError) and DynamoDB throttling (400 ProvisionedThroughputExceededException).
Run: `python -m bench.recovery` (starts its own emulator and API).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from bench._shared import BODY, percentile, print_table
from config_api.api.app import create_app
from tests.support.api import BASE
from tests.support.stack import Stack, auth, client, emulator_process, new_user, serve

CLIENTS = 4
PACE = 0.05  # seconds between one client's creates while they succeed
BEFORE, OUTAGE, AFTER = 2.0, 5.0, 4.0
SCENARIOS = [
    ("DynamoDB unavailable", 500, "InternalServerError"),
    ("DynamoDB throttling", 400, "ProvisionedThroughputExceededException"),
]


@dataclass(frozen=True)
class Sample:
    client: str
    started: float
    ended: float
    status: int
    retry_after: str | None


def run_client(
    api: httpx.Client, name: str, honour: bool, stop: threading.Event, out: list[Sample]
) -> None:
    headers = auth(new_user())
    while not stop.is_set():
        started = time.monotonic()
        response = api.post(BASE, json=BODY, headers=headers)
        retry_after = response.headers.get("Retry-After")
        out.append(Sample(name, started, time.monotonic(), response.status_code, retry_after))
        wait = PACE
        if honour and retry_after is not None and response.status_code in (429, 503):
            wait = float(retry_after)
        stop.wait(wait)


def scenario(
    stack: Stack, api: httpx.Client, status: int, code: str
) -> tuple[tuple[float, float], list[Sample]]:
    """Run the clients through BEFORE healthy, OUTAGE failing and AFTER healthy seconds."""
    samples: list[Sample] = []
    stop = threading.Event()
    names = [("probe", False)] + [(f"client-{n}", True) for n in range(CLIENTS)]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        for name, honour in names:
            pool.submit(run_client, api, name, honour, stop, samples)
        time.sleep(BEFORE)
        stack.chaos.faults([{"service": "dynamodb", "error": {"statusCode": status, "code": code}}])
        failing = time.monotonic()
        time.sleep(OUTAGE)
        stack.chaos.faults([])
        healthy = time.monotonic()
        time.sleep(AFTER)
        stop.set()
    return (failing, healthy), samples


def recovered_after(samples: Sequence[Sample], healthy: float) -> float | None:
    """Seconds from healthy until the first 201 answered after it."""
    ends = [s.ended for s in samples if s.status == 201 and s.ended >= healthy]
    return min(ends) - healthy if ends else None


def fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.2f}"


def report(label: str, window: tuple[float, float], samples: list[Sample]) -> list[list[object]]:
    """`during`: requests sent while DynamoDB was failing (one sent in its last moments can
    reach DynamoDB after it recovered, and succeed)."""
    failing, healthy = window
    during = [s for s in samples if failing <= s.started < healthy]
    after = Counter(s.status for s in samples if s.started >= healthy)
    failed = [(s.ended - s.started) * 1000 for s in during if s.status != 201]
    probe = [s for s in samples if s.client == "probe"]
    per_client = [
        recovered_after([s for s in samples if s.client == f"client-{n}"], healthy)
        for n in range(CLIENTS)
    ]
    all_back = None if None in per_client else max(x for x in per_client if x is not None)
    statuses = Counter(s.status for s in during)
    retry_afters = Counter(s.retry_after for s in during if s.retry_after is not None)
    return [
        [label, "healthy -> first 201 (probe, every 50 ms)", fmt(recovered_after(probe, healthy))],
        [label, "healthy -> first 201 (any client)", fmt(recovered_after(samples, healthy))],
        [label, "healthy -> every client had a 201", fmt(all_back)],
        [label, "responses during the outage", fmt_counts(statuses)],
        [label, "Retry-After values (s) during the outage", fmt_counts(retry_afters)],
        [
            label,
            "failed answer time p50 / p99 ms",
            f"{percentile(failed, 50):.0f} / {percentile(failed, 99):.0f}" if failed else "-",
        ],
        [label, "responses after healthy", fmt_counts(after)],
    ]


def fmt_counts(counts: Counter[int] | Counter[str]) -> str:
    return ", ".join(f"{k}: {n}" for k, n in sorted(counts.items(), key=lambda kv: str(kv[0])))


def main() -> int:
    rows: list[list[object]] = []
    # A limit no client reaches in the run; the settings are the defaults otherwise.
    with (
        emulator_process(max_configurations=1000) as stack,
        serve(create_app(stack.settings), stack.settings) as url,
        client(url) as api,
    ):
        for label, status, code in SCENARIOS:
            window, samples = scenario(stack, api, status, code)
            rows.extend(report(f"{label} ({status} {code})", window, samples))
    used = stack.settings  # read, not assumed: the defaults have changed before
    print(
        f"{CLIENTS} clients honouring Retry-After + 1 probe ignoring it; {BEFORE:g} s healthy, "
        f"{OUTAGE:g} s with every DynamoDB call failing, {AFTER:g} s healthy; default retry "
        f"policy ({used.retry_attempts} attempts, full jitter from "
        f"{used.retry_base_seconds * 1000:g} ms; one attempt per call after "
        f"{used.retry_circuit_failures} failed in a row); ROLLOUT_PERCENT={used.rollout_percent}\n"
    )
    print_table(["outage", "measure", "value"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
