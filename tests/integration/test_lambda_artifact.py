"""The Lambda artifact as `sam build` makes it (scripts/build_lambda.py): built from the lock
for Lambda's platform, it answers API Gateway events in a bare interpreter of the runtime's
Python that sees nothing but the artifact, with bytecode the build compiled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.build_lambda import WrongPython, build, candidates, lambda_interpreter, lambda_python
from tests.support.lambda_app import function_env, http_event
from tests.support.stack import LOCAL_ENV, new_user, token

# Runs as Lambda's bootstrap would: the artifact on sys.path, no site-packages (-S), and
# reports which modules the cold start loaded and whether any source had to be compiled.
DRIVER = """
import importlib.machinery, json, sys
sys.path.insert(0, sys.argv[1])
compiled = []
original = importlib.machinery.SourceFileLoader.source_to_code
def source_to_code(self, data, path, **kw):
    compiled.append(path)
    return original(self, data, path, **kw)
importlib.machinery.SourceFileLoader.source_to_code = source_to_code
import config_api.lambda_handler as function
events = json.loads(sys.stdin.read())
responses = [function.handler(event, None) for event in events]
origins = {m: sys.modules[m].__file__ for m in ("fastapi", "boto3", "pydantic_core", "jwt")}
print(json.dumps({"responses": responses, "compiled": compiled, "modules": sorted(sys.modules),
                  "origins": origins}))
"""


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("artifact")
    build(target)
    return target


def test_the_build_refuses_bytecode_from_another_python() -> None:
    with pytest.raises(WrongPython) as refused:
        lambda_interpreter("3.10", [sys.executable])
    mine = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert str(refused.value) == (
        f"The Lambda runtime is python3.10: its bytecode must be compiled by Python 3.10, but "
        f"{sys.executable} is {mine}. Install Python 3.10 (or point LAMBDA_PYTHON_BIN at one), "
        "or build in SAM's build image: sam build --use-container"
    )
    # It takes the first interpreter of the right version, not the first one named.
    assert lambda_interpreter(mine, ["/nonexistent/python", sys.executable]) == sys.executable


def test_build_stops_before_installing_when_the_named_python_is_another_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in interpreter that answers the build's version question with 3.10.
    other_python = tmp_path / "python3.10"
    other_python.write_text("#!/bin/sh\necho 3.10\n")
    other_python.chmod(0o755)
    monkeypatch.setenv("LAMBDA_PYTHON_BIN", str(other_python))
    target = tmp_path / "artifact"
    with pytest.raises(WrongPython) as refused:
        build(target)
    assert f"{other_python} is 3.10" in str(refused.value)
    assert f"bytecode must be compiled by Python {lambda_python()}" in str(refused.value)
    assert list(tmp_path.iterdir()) == [other_python]  # nothing installed, no target made


def test_the_artifact_answers_in_a_bare_interpreter(artifact: Path, seeded: str) -> None:
    assert not (artifact / "config_api" / "local").exists()  # the emulator stays out
    shipped = {p.name.split("-")[0].lower() for p in artifact.glob("*.dist-info")}
    assert {"fastapi", "mangum", "boto3", "pydantic"} <= shipped
    assert not shipped & {"moto", "werkzeug", "waitress", "uvicorn", "prometheus_client"}

    user = new_user()
    bearer = {"authorization": f"Bearer {token(user)}"}
    events = [
        http_event("GET", "/health", {}),
        http_event(
            "POST",
            "/api/v2/configurations",
            {**bearer, "content-type": "application/json"},
            {"name": "Chips", "tickers": ["nvda", "AMD"]},
        ),
        http_event("GET", "/api/v2/configurations", bearer),
    ]
    basics = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env = function_env(seeded, **basics, **LOCAL_ENV)
    python = lambda_interpreter(lambda_python(), candidates(lambda_python()))
    result = subprocess.run(
        [python, "-S", "-E", "-c", DRIVER, str(artifact)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])  # EMF lines come first
    health, created, listed = report["responses"]
    assert health["statusCode"] == 200, health
    assert created["statusCode"] == 201, created
    assert listed["statusCode"] == 200, listed
    assert [t["symbol"] for t in json.loads(listed["body"])["configurations"][0]["tickers"]] == [
        "NVDA",
        "AMD",
    ]
    assert report["compiled"] == []  # every module came from the build's bytecode
    loaded = {m.split(".")[0] for m in report["modules"]}
    assert not loaded & {"moto", "werkzeug", "waitress", "uvicorn", "prometheus_client"}
    # The libraries are the artifact's (-S: this venv's site-packages are not on the path).
    assert all(path.startswith(f"{artifact}/") for path in report["origins"].values())
