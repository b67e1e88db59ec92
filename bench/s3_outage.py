"""Extra create latency while S3 is down at cold start: resilient vs baseline vs healthy.

One emulator process. For each outage kind, three API servers (the real app under uvicorn,
in this process), whose creates are interleaved so all three share the same moments and load:
- healthy: ROLLOUT_PERCENT=100, started while S3 is up (the reference; a warm server keeps
  its list, so the outage does not touch it);
- resilient: ROLLOUT_PERCENT=100, TICKER_FALLBACK=bundled (default), started while S3 is down;
- baseline: ROLLOUT_PERCENT=0 (S3-only ticker list, strict), started while S3 is down.
Outage kinds: "503": a chaos rule fails every S3 call with 503 ServiceUnavailable. "stall": S3
answers nothing for longer than AWS_READ_TIMEOUT. The chaos API's latency would delay DynamoDB
too, so a small proxy in front of the emulator holds S3 calls and forwards the rest; that
kind's three servers (its healthy one included) all go through the proxy.

Per server: cold start (until it serves), /ready, the 1st create (a new user), p50/p99 of the
next N creates, status codes, and an unknown ticker (ZZZZZ) from another new user: rejected
with 400 and not stored? Target: ~0 extra latency per request after the first (a typical
implementation, measured side by side, took +1.9 s on every request with S3 down at its cold
start).
Run: `python -m bench.s3_outage` (starts its own emulator and API servers).
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from bench._shared import BODY, percentile, print_table
from config_api.api.app import create_app
from config_api.settings import Settings
from tests.support.api import BASE
from tests.support.stack import Stack, auth, client, emulator_process, new_user, serve

# Creates per server after the first: 500 take longer than the 5 s after which a degraded
# list is retried from S3 (in the background), so a refresh falls inside the measurement.
N = 500
# "~0 extra": resilient p50 within +20% or +10 ms of the healthy server's (whichever is
# larger: a few ms of noise on a p50 of a few ms is not latency the outage added).
RATIO, SLACK_MS = 1.2, 10.0
S3_DOWN = [{"service": "s3", "error": {"statusCode": 503, "code": "ServiceUnavailable"}}]
UNKNOWN = "ZZZZZ"
HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class StallProxy(ThreadingHTTPServer):
    """Forwards every call to the emulator; while `stall` is set, holds each S3 call
    unanswered for `hold` seconds and then drops it (the client's read timeout fires first)."""

    daemon_threads = True

    def __init__(self, upstream: str, hold: float) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.hold, self.stall, self.s3_calls = hold, False, 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pools expect
    # Headers and body go out in two writes: with Nagle on, delayed ACKs add ~40 ms to some.
    disable_nagle_algorithm = True
    server: StallProxy

    def relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "/s3/" in self.headers.get("Authorization", ""):  # SigV4 credential scope
            with self.server.lock:
                self.server.s3_calls += 1
            if self.server.stall:
                time.sleep(self.server.hold)
                self.close_connection = True
                return
        # A connection per call: no stale keep-alive connection to the emulator to handle.
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body, dict(self.headers))
            resp = upstream.getresponse()
            data = resp.read()
        finally:
            upstream.close()
        self.send_response_only(resp.status, resp.reason)
        for name, value in resp.getheaders():
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = relay

    def log_message(self, format: str, *args: object) -> None:  # quiet: no line per call
        pass


@contextmanager
def stall_proxy(stack: Stack) -> Iterator[StallProxy]:
    proxy = StallProxy(stack.url, hold=stack.settings.aws_read_timeout + 1.0)
    thread = threading.Thread(target=proxy.serve_forever, name="s3-stall-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


@dataclass
class Run:
    kind: str
    server: str
    cold_s: float
    s3_at_start: int
    ready: str = ""
    first: str = ""
    ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    unknown: str = ""
    unknown_ok: bool = False

    @property
    def p50(self) -> float:
        return percentile(self.ms, 50)


def start(servers: ExitStack, settings: Settings, s3_calls: Callable[[], int]) -> tuple[str, Run]:
    before, started = s3_calls(), time.perf_counter()
    url = servers.enter_context(serve(create_app(settings), settings))  # once it serves
    cold = time.perf_counter() - started
    return url, Run("", "", cold, s3_calls() - before)


def measure(
    kind: str, settings: Settings, outage: Callable[[bool], None], s3: Callable[[], int]
) -> tuple[list[Run], int]:
    """The three servers of one outage kind; returns their runs and the S3 calls made while
    the creates ran (background refreshes of the list)."""
    outage(False)
    with ExitStack() as servers:
        urls: list[str] = []
        runs: list[Run] = []
        try:
            for name, percent in [("healthy", 100), ("resilient", 100), ("baseline", 0)]:
                url, run = start(
                    servers, settings.model_copy(update={"rollout_percent": percent}), s3
                )
                run.kind, run.server = kind, name
                urls.append(url)
                runs.append(run)
                if name == "healthy":
                    outage(True)  # the next two start, and all three are measured, with S3 down
            apis = [servers.enter_context(client(url)) for url in urls]
            for api, run in zip(apis, runs, strict=True):
                ready = api.get("/ready")
                source = (
                    ready.json().get("tickers", {}).get("source", "") if ready.is_success else ""
                )
                run.ready = f"{ready.status_code} {source}".strip()
            s3_before = s3()
            headers = [auth(new_user()) for _ in runs]
            for i in range(N + 1):  # interleaved: the same moments for the three servers
                for api, run, h in zip(apis, runs, headers, strict=True):
                    started = time.perf_counter()
                    status = api.post(BASE, json=BODY, headers=h).status_code
                    ms = (time.perf_counter() - started) * 1000
                    if i == 0:
                        run.first = f"{ms:.0f} ({status})"
                    else:
                        run.ms.append(ms)
                        run.statuses[status] += 1
            during = s3() - s3_before
            for api, run in zip(apis, runs, strict=True):
                probe = auth(new_user())
                answer = api.post(BASE, json={**BODY, "tickers": [UNKNOWN]}, headers=probe)
                listed = api.get(BASE, headers=probe)
                stored = len(listed.json()["configurations"]) if listed.is_success else "?"
                run.unknown = f"{answer.status_code}, stored {stored}"
                run.unknown_ok = answer.status_code == 400 and stored == 0
        finally:
            outage(False)
    return runs, during


def verdict(run: Run, ref: Run) -> tuple[bool, str]:
    limit = max(ref.p50 * RATIO, ref.p50 + SLACK_MS)
    ok = run.p50 <= limit and run.statuses == Counter({201: N}) and run.unknown_ok
    created = f"{run.statuses[201]}/{N} 201"
    return ok, f"p50 {run.p50:.1f} ms (limit {limit:.1f}), {created}, {UNKNOWN}: {run.unknown}"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> int:
    started = time.monotonic()
    runs: list[Run] = []
    notes = [f"uptime before: {uptime()}"]
    with emulator_process(max_configurations=N + 1) as stack:
        intro = (
            "S3 down at cold start: '503' = every S3 call 503 ServiceUnavailable (chaos API); "
            f"'stall' = no S3 answer within AWS_READ_TIMEOUT={stack.settings.aws_read_timeout:g}"
            f" s (proxy). {N} creates per server after the 1st, one client, interleaved across "
            "the 3 servers of each kind.\n"
        )

        def emulator_s3() -> int:
            return sum(stack.requests().get("s3", {}).values())

        def chaos(down: bool) -> None:
            stack.chaos.faults(S3_DOWN if down else [])

        got, during = measure("503", stack.settings, chaos, emulator_s3)
        runs += got
        notes.append(f"503: S3 calls while the creates ran: {during}")
        with stall_proxy(stack) as proxy:

            def stall(down: bool) -> None:
                proxy.stall = down

            via = stack.settings.model_copy(update={"aws_endpoint_url": proxy.url})
            got, during = measure("stall", via, stall, lambda: proxy.s3_calls)
            runs += got
            notes.append(f"stall: S3 calls while the creates ran: {during}")
    notes.append(f"uptime after:  {uptime()}")
    return report(runs, intro, notes, time.monotonic() - started)


def report(runs: list[Run], intro: str, notes: list[str], elapsed: float) -> int:
    print(intro)
    refs = {r.kind: r for r in runs if r.server == "healthy"}
    rows = []
    for r in runs:
        ref = refs[r.kind]
        extra = f"{r.p50 / ref.p50:.2f}x / {r.p50 - ref.p50:+.1f}"
        if r is ref or not r.statuses[201]:  # failures' latency is no "extra" to compare
            extra = "(reference)" if r is ref else "n/a: no 201"
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(r.statuses.items()))
        rows.append(
            [
                *(r.kind, r.server, f"{r.cold_s:.2f}", r.s3_at_start, r.ready, r.first),
                *(f"{r.p50:.1f}", f"{percentile(r.ms, 99):.1f}", statuses, extra, r.unknown),
            ]
        )
    print_table(
        [
            *("S3", "server", "cold start s", "S3 calls at start", "/ready", "1st create ms"),
            *("p50 ms", "p99 ms", f"next {N} answers", "p50 vs healthy (x / +ms)", f"{UNKNOWN}"),
        ],
        rows,
    )
    print("\n" + "\n".join(notes))
    print(f"\nResilient server vs healthy (rule: p50 <= max({RATIO}x, +{SLACK_MS:g} ms)):")
    passed = True
    for r in runs:
        if r.server == "resilient":
            ok, shown = verdict(r, refs[r.kind])
            passed &= ok
            print(f"  {'PASS' if ok else 'FAIL'}: S3 {r.kind}: {shown}")
    print(f"\n({elapsed:.0f} s)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
