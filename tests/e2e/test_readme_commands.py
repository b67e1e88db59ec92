"""The README's command sequences, run as a reader runs them: against `config-api local`
(what `make run` starts), from the project's root, with bash and curl. The ports are the
README's (8000, 4566) moved to free ones."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import Process
from tests.support.stack import LOCAL_ENV, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def block_after(heading: str, containing: str = "") -> str:
    """The first ```sh block after `heading` that contains `containing`."""
    section = README[README.index(heading) :]
    blocks: list[str] = SH_BLOCK.findall(section)
    return next(b for b in blocks if containing in b)


@dataclass(frozen=True)
class Local:
    api_port: int
    emulator_port: int
    admin_token: str

    def run(self, script: str) -> str:
        """`script` as bash runs it in the project's root (stopping at the first failure),
        aimed at this stack; its output."""
        aimed = re.sub(r"(127\.0\.0\.1|localhost):8000", f"127.0.0.1:{self.api_port}", script)
        aimed = re.sub(r"localhost:4566", f"127.0.0.1:{self.emulator_port}", aimed)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", aimed],
            cwd=ROOT,
            env={**os.environ, "ADMIN_TOKEN": self.admin_token},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{aimed}\n{done.stdout}\n{done.stderr}"
        return done.stdout


def admin_token() -> str:
    """What the README's `export ADMIN_TOKEN=...` line sets."""
    export = next(
        line
        for line in block_after("server mode", "export ADMIN_TOKEN").splitlines()
        if line.startswith("export ADMIN_TOKEN=")
    )
    done = subprocess.run(
        ["bash", "-c", f'{export}\necho "$ADMIN_TOKEN"'], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    """`make run` with the README's ADMIN_TOKEN exported, on free ports and a fresh data dir."""
    logs = tmp_path_factory.mktemp("readme")
    stack = Local(free_port(), free_port(), admin_token())
    env = {**os.environ, **LOCAL_ENV, "ADMIN_TOKEN": stack.admin_token}
    for name in ("AWS_ENDPOINT_URL", "JWT_SECRET", "TABLE_NAME", "TICKER_BUCKET"):
        env.pop(name, None)  # the local stack's own defaults, as `make run` has them
    ports = ["--port", str(stack.api_port), "--emulator-port", str(stack.emulator_port)]
    process = Process("local", ["local", *ports, "--data-dir", str(logs / "data")], env, logs)
    try:
        process.wait_ready(f"http://127.0.0.1:{stack.api_port}/ready")
        yield stack
    finally:
        process.stop()


def test_using_the_api(local: Local) -> None:
    out = local.run(block_after("## Using the API"))
    statuses = re.findall(r"HTTP/1\.1 (\d{3}) ", out)  # a body ends without a newline
    # create, get, patch (If-Match "1"), put (If-Match "2"), delete
    assert statuses == ["201", "200", "200", "200", "204"], out
    assert '"max_allowed":5' in out
    assert out.rstrip().endswith("}") and '"status":"ready"' in out.splitlines()[-1]


def test_the_admin_call_changes_the_flag(local: Local) -> None:
    out = local.run(block_after("server mode", "ops/rollout/flag"))
    assert '"percentage":10' in out, out


def test_fault_injection(local: Local) -> None:
    out = local.run(block_after("### Fault injection"))
    assert '"code":"ProvisionedThroughputExceededException"' in out.replace(" ", ""), out
    assert out.rstrip().endswith("[]"), out  # cleared
