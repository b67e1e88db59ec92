"""The lock files (requirements/*.txt) agree with pyproject.toml, and the Lambda runs the
versions the tests run. `make lock` fixes a failure here."""

from __future__ import annotations

import copy
import tomllib
from importlib import metadata
from typing import Any

import pytest
from packaging.requirements import Requirement

from scripts.build_lambda import LAMBDA_LOCK, ROOT, lambda_python
from scripts.lock import (
    DEV_EXTRAS,
    DEV_LOCK,
    LAMBDA_PLATFORM,
    PYPROJECT,
    Pin,
    lambda_environment,
    problems,
    read_lock,
    roots,
)

LAMBDA_ENV = lambda_environment(lambda_python())


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text())


@pytest.fixture(scope="module")
def dev_pins() -> list[Pin]:
    return read_lock(DEV_LOCK)


@pytest.fixture(scope="module")
def lambda_pins() -> list[Pin]:
    return read_lock(LAMBDA_LOCK)


def test_dev_lock_is_what_make_run_and_make_test_need(
    pyproject: dict[str, Any], dev_pins: list[Pin]
) -> None:
    assert problems(roots(pyproject, DEV_EXTRAS, build=True), dev_pins) == []


def test_lambda_lock_is_the_runtime_on_lambda_s_python(
    pyproject: dict[str, Any], lambda_pins: list[Pin]
) -> None:
    assert problems(roots(pyproject, (), build=False), lambda_pins, LAMBDA_ENV) == []
    assert not any(pin.marker for pin in lambda_pins)  # resolved for one platform
    header = (ROOT / LAMBDA_LOCK).read_text().splitlines()[1]
    assert f"--python-version {lambda_python()} --python-platform {LAMBDA_PLATFORM}" in header


def test_the_lambda_runs_the_versions_the_tests_run(
    dev_pins: list[Pin], lambda_pins: list[Pin]
) -> None:
    tested = {(p.name, p.version) for p in dev_pins if p.applies(LAMBDA_ENV)}
    assert {(p.name, p.version) for p in lambda_pins} <= tested


def test_the_runtime_has_no_emulator_or_server(lambda_pins: list[Pin]) -> None:
    names = {pin.name for pin in lambda_pins}
    assert names >= {"fastapi", "boto3", "mangum", "pydantic"}
    assert not names & {
        "moto",
        "werkzeug",
        "waitress",
        "uvicorn",
        "flask",
        "docker",
        "cfn-lint",
        "pytest",
    }


def test_locks_name_no_index_or_path() -> None:
    for lock in (DEV_LOCK, LAMBDA_LOCK):
        text = (ROOT / lock).read_text()
        assert "://" not in text and "--index-url" not in text and "--find-links" not in text
        assert "/work" not in text and "/opt" not in text


# The check itself: each kind of disagreement is reported.


def _with(pyproject: dict[str, Any], dependencies: list[str]) -> dict[str, Any]:
    changed = copy.deepcopy(pyproject)
    changed["project"]["dependencies"] = dependencies
    return changed


def _pin_of(pins: list[Pin], name: str) -> Pin:
    (pin,) = [p for p in pins if p.name == name and p.applies(LAMBDA_ENV)]
    return pin


def test_a_range_that_excludes_the_locked_version_is_reported(
    pyproject: dict[str, Any], lambda_pins: list[Pin]
) -> None:
    version = _pin_of(lambda_pins, "fastapi").version
    deps = [d for d in pyproject["project"]["dependencies"] if not d.startswith("fastapi")]
    changed = _with(pyproject, [*deps, f"fastapi>{version}"])
    found = problems(roots(changed, (), build=False), lambda_pins, LAMBDA_ENV)
    assert found == [f"fastapi=={version} does not satisfy fastapi>{version} (pyproject.toml)"]


def test_a_new_dependency_and_a_dropped_one_are_reported(
    pyproject: dict[str, Any], lambda_pins: list[Pin]
) -> None:
    deps = [d for d in pyproject["project"]["dependencies"] if not d.startswith("tenacity")]
    changed = _with(pyproject, [*deps, "httpx>=0.27"])
    found = problems(roots(changed, (), build=False), lambda_pins, LAMBDA_ENV)
    tenacity = _pin_of(lambda_pins, "tenacity")
    assert found == [
        "httpx>=0.27 (needed by pyproject.toml) is not in the lock",
        f"tenacity=={tenacity.version} is locked but not needed",
    ]


def test_a_missing_transitive_dependency_and_hash_are_reported(
    pyproject: dict[str, Any], lambda_pins: list[Pin]
) -> None:
    botocore = _pin_of(lambda_pins, "botocore")
    pins = [
        Pin(p.name, p.version, p.marker, ()) if p is botocore else p
        for p in lambda_pins
        if p.name != "s3transfer"  # needed by boto3 only
    ]
    found = problems(roots(pyproject, (), build=False), pins, LAMBDA_ENV)
    (wanted,) = [
        r for r in map(Requirement, metadata.requires("boto3") or []) if r.name == "s3transfer"
    ]
    assert found == [
        f"botocore=={botocore.version} has no hash",
        f"{wanted} (needed by boto3) is not in the lock",
    ]
