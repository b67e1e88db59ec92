"""One Lambda container's life, for bench/lambda_cold_start.py: run in a fresh interpreter
of the runtime's Python (-S: nothing but the standard library and the artifact), it imports
a handler module (the init phase), invokes it with the events on stdin, and writes its
process CPU and wall times to a JSON file.

    python3.11 -S -E bench/_lambda_child.py ARTIFACT MODULE RESULTS [AUDIT_URL] < events.json

CPU is the process's own (all threads, from interpreter start), as Lambda bills it. The
process ends with os._exit: Lambda freezes and discards a container, it never pays the
interpreter's shutdown (~0.3 s of CPU for this many modules).
With AUDIT_URL (the emulator), it records the AWS requests each event caused instead.
"""

import importlib
import json
import os
import sys
import time
import urllib.request


def _aws_requests(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/_emulator/requests", timeout=10) as resp:
        counts = json.loads(resp.read())
    return {f"{s}.{op}": n for s, ops in counts.items() for op, n in ops.items()}


def main() -> None:
    artifact, module_name, results = sys.argv[1:4]
    audit = sys.argv[4] if len(sys.argv) > 4 else None
    events = json.loads(sys.stdin.read())
    sys.path[:0] = [artifact, os.path.dirname(os.path.abspath(__file__))]
    wall0 = time.perf_counter()
    module = importlib.import_module(module_name)  # Lambda's init phase
    report: dict[str, object] = {
        "init_cpu": time.process_time(),
        "init_wall": time.perf_counter() - wall0,
    }
    invocations = []
    current = ""  # the configuration the last create made: get/patch/delete act on it
    for label, template in events:
        event = json.loads(json.dumps(template).replace("{id}", current))
        before = _aws_requests(audit) if audit else {}
        cpu, wall = time.process_time(), time.perf_counter()
        response = module.handler(event, None)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        entry = {"op": label, "cpu": cpu, "wall": wall, "status": response["statusCode"]}
        if label == "create":
            current = json.loads(response["body"])["config_id"]
        if audit:
            after = _aws_requests(audit)
            entry["aws"] = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k)}
        invocations.append(entry)
    report["invocations"] = invocations
    with open(results, "w") as out:
        json.dump(report, out)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
