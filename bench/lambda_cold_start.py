"""Lambda cold start and per-invocation CPU: the built artifact against a minimal handler.

Builds the function as `sam build` does (scripts/build_lambda.py), then runs containers in
fresh interpreters of the runtime's Python (bench/_lambda_child.py), interleaved: ours
(config_api.lambda_handler) and the floor (bench/_minimal_handler.py: boto3 + pydantic +
PyJWT doing the same AWS calls), and the floor's work behind FastAPI + Mangum
(bench/_framework_handler.py: what the framework alone adds). All get template.yaml's
environment (parameter defaults), AWS at the bundled emulator, RS256 tokens checked against
a local JWKS endpoint, and API Gateway HTTP API (v2) events: one list (the first invocation),
then create, get, patch, list, delete cycles. Prints medians and ratios, and the AWS calls
each event made.

    python -m bench.lambda_cold_start [--runs 9] [--cycles 4] [--artifact DIR] [--no-bytecode]
                                      [--strict]

--no-bytecode runs a copy without the build's .pyc files (and writes none), as an artifact
built without them runs in Lambda's read-only code directory: what the bytecode saves.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cfnlint.decode import cfn_yaml
from cryptography.hazmat.primitives.asymmetric import rsa

from bench._shared import print_table
from scripts.build_lambda import build, candidates, lambda_interpreter, lambda_python
from tests.support.lambda_app import http_event
from tests.support.stack import local_stack
from tests.support.static_http import static_origin

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).with_name("_lambda_child.py")
OURS, FLOOR = "config_api.lambda_handler", "_minimal_handler"
SHELL = "_framework_handler"  # the minimal handler's work behind FastAPI + Mangum
BASE = "/api/v2/configurations"
AUDIENCE = "config-api-bench"
OPS = ("create", "get", "patch", "list", "delete")
# Issue 13's targets, as ratios to the minimal handler's medians.
COLD_START_TARGET, INVOCATION_TARGET = 1.4, 1.5


@contextmanager
def jwks_server() -> Iterator[tuple[str, Any]]:
    """An issuer's JWKS endpoint on localhost: (issuer URL, private key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "bench", "use": "sig", "alg": "RS256"}]}).encode()
    with static_origin(body, "application/json") as issuer:
        yield issuer, key


def template_environment(overrides: dict[str, str]) -> dict[str, str]:
    """The function's variables from template.yaml with the parameters' defaults."""
    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    params = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
    params |= {"AWS::StackName": "config-api-bench", "AWS::Region": "us-east-1"}
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    ]
    env = {}
    for name, value in function["Properties"]["Environment"]["Variables"].items():
        if name in overrides:
            continue
        if isinstance(value, dict) and "Ref" in value:
            value = params[value["Ref"]]
        elif isinstance(value, dict) and "Fn::Sub" in value:
            value = value["Fn::Sub"]
            for param, default in params.items():
                value = value.replace("${" + param + "}", default)
        env[name] = str(value)
    return env | overrides


def events(token: str, cycles: int) -> list[tuple[str, dict[str, Any]]]:
    bearer = {"authorization": f"Bearer {token}"}
    body = {"name": "Chips", "tickers": ["nvda", "AMD", "intc"], "timeframe_days": 30}
    one = f"{BASE}/{{id}}"
    cycle = [
        ("create", http_event("POST", BASE, {**bearer, "content-type": "application/json"}, body)),
        ("get", http_event("GET", one, bearer)),
        (
            "patch",
            http_event(
                "PATCH",
                one,
                {**bearer, "content-type": "application/json", "if-match": '"1"'},
                {"include_extended_hours": True},
            ),
        ),
        ("list", http_event("GET", BASE, bearer)),
        ("delete", http_event("DELETE", one, bearer)),
    ]
    return [("first", http_event("GET", BASE, bearer)), *cycle * cycles]


@dataclass(frozen=True)
class Function:
    python: str
    artifact: Path
    flags: tuple[str, ...] = ()  # -B: no .pyc written, as in a read-only directory


def container(
    fn: Function, module: str, env: dict[str, str], evs: list[Any], audit: str = ""
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as results:
        subprocess.run(
            [fn.python, "-S", "-E", *fn.flags, str(CHILD), str(fn.artifact), module, results.name]
            + ([audit] if audit else []),
            input=json.dumps(evs),
            text=True,
            stdout=subprocess.DEVNULL,  # Lambda ships stdout (logs, EMF) to CloudWatch
            check=True,
            env=env,
            timeout=300,
        )
        report: dict[str, Any] = json.loads(Path(results.name).read_text())
    statuses = {(i["op"], i["status"]) for i in report["invocations"]}
    expected = {("first", 200), ("create", 201), ("get", 200), ("patch", 200)}
    expected |= {("list", 200), ("delete", 204)}
    assert statuses == expected, f"{module}: {sorted(statuses)}"
    return report


def executable(python: str) -> str:
    """The interpreter's own binary: a launcher on PATH (a pyenv shim is a shell script) would
    add its CPU to every container's init, on both sides, and Lambda starts Python itself."""
    found = subprocess.run(
        [python, "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return found.stdout.strip()


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="containers per handler")
    parser.add_argument("--cycles", type=int, default=4, help="create..delete cycles each")
    parser.add_argument("--artifact", type=Path, help="an artifact built before (else built)")
    parser.add_argument("--no-bytecode", action="store_true", help="without the build's .pyc")
    # Not by default: the targets are out of reach with FastAPI kept (docs/BENCHMARKS.md), and
    # `make bench` stops at the first script that fails.
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    python = executable(lambda_interpreter(lambda_python(), candidates(lambda_python())))
    with tempfile.TemporaryDirectory() as scratch:
        artifact = args.artifact
        if artifact is None:
            artifact = Path(scratch) / "artifact"
            started = time.perf_counter()
            build(artifact)
            print(f"artifact built in {time.perf_counter() - started:.0f} s: {artifact}")
        fn = Function(python, artifact)
        if args.no_bytecode:
            source_only = Path(scratch) / "source-only"
            shutil.copytree(artifact, source_only, ignore=shutil.ignore_patterns("__pycache__"))
            fn = Function(python, source_only, ("-B",))
        if not run(fn, args.runs, args.cycles) and args.strict:
            raise SystemExit(1)


def run(fn: Function, runs: int, cycles: int) -> bool:
    """Run the containers and print the figures; True when every target is met."""
    artifact = fn.artifact
    with local_stack() as stack, jwks_server() as (issuer, key):
        settings = stack.settings
        env = template_environment(
            {
                "TABLE_NAME": settings.table_name,
                "TICKER_BUCKET": settings.ticker_bucket,
                "TICKER_KEY": settings.ticker_key,
                "JWT_ISSUER": issuer,
                "JWT_AUDIENCE": AUDIENCE,
                "JWT_JWKS_URL": f"{issuer}/.well-known/jwks.json",
            }
        )
        # What Lambda itself sets, and credentials the emulator accepts.
        env |= {
            "AWS_ENDPOINT_URL": stack.url,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_LAMBDA_FUNCTION_NAME": "config-api-bench",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{lambda_python()}",
            "LAMBDA_TASK_ROOT": str(artifact),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
        }

        def token() -> str:
            claims: dict[str, Any] = {"sub": f"bench-{uuid.uuid4()}", "iss": issuer}
            claims |= {"aud": AUDIENCE, "exp": int(time.time()) + 3600}
            return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"})

        reports: dict[str, list[dict[str, Any]]] = {OURS: [], FLOOR: [], SHELL: []}
        modules = list(reports)
        for n in range(runs):
            for module in modules[n % 3 :] + modules[: n % 3]:  # each first in turn
                reports[module].append(container(fn, module, env, events(token(), cycles)))
        audits = {m: container(fn, m, env, events(token(), 1), stack.url) for m in (OURS, FLOOR)}
    return summarise(reports, audits, runs, cycles)


Reports = dict[str, list[dict[str, Any]]]


def summarise(reports: Reports, audits: dict[str, dict[str, Any]], runs: int, cycles: int) -> bool:
    """Print the figures; True when every target is met."""

    def median(module: str, pick: Any) -> float:
        return float(statistics.median(v for r in reports[module] for v in pick(r)))

    def per_op(op: str, field: str = "cpu") -> Any:
        return lambda r: [i[field] for i in r["invocations"] if i["op"] == op]

    rows, ratios = [], {}
    measures = [
        ("import + init CPU", lambda r: [r["init_cpu"]]),
        ("import + init wall", lambda r: [r["init_wall"]]),
        ("first invocation CPU", per_op("first")),
        ("first invocation wall", per_op("first", "wall")),
        ("cold start CPU (init + first)", lambda r: [r["init_cpu"] + per_op("first")(r)[0]]),
    ] + [(f"{op} CPU", per_op(op)) for op in OPS]
    for label, pick in measures:
        ours, floor, shell = median(OURS, pick), median(FLOOR, pick), median(SHELL, pick)
        ratios[label] = ours / floor
        rows.append(
            (label, ms(ours), ms(floor), f"{ours / floor:.2f}x", ms(shell), f"{shell / floor:.2f}x")
        )
    print(f"\n{runs} containers each, interleaved; {cycles} cycles of {', '.join(OPS)} each")
    print("medians in ms (CPU: the process's, all threads); 'in FastAPI': the minimal handler's")
    print("work behind FastAPI + Mangum (bench/_framework_handler.py), the framework's share")
    header = ("measure", "config-api", "minimal", "ratio", "in FastAPI", "ratio")
    print_table(header, rows)
    print("\nAWS calls per event (one container each):")
    audit_rows = []
    for ours, floor in zip(audits[OURS]["invocations"], audits[FLOOR]["invocations"], strict=True):
        audit_rows.append((ours["op"], _calls(ours["aws"]), _calls(floor["aws"])))
    print_table(("event", "config-api", "minimal"), audit_rows)
    cold = ratios["cold start CPU (init + first)"]
    worst_op = max(OPS, key=lambda op: ratios[f"{op} CPU"])
    worst = ratios[f"{worst_op} CPU"]
    met = cold <= COLD_START_TARGET and worst <= INVOCATION_TARGET
    print(
        f"\ntargets: cold start {cold:.2f}x (<= {COLD_START_TARGET}x), later invocations up to "
        f"{worst:.2f}x ({worst_op}; <= {INVOCATION_TARGET}x): {'met' if met else 'MISSED'}"
    )
    sys.stdout.flush()
    return met


def _calls(aws: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(aws.items())) or "-"


if __name__ == "__main__":
    main()
