"""Print the Lambda function's requirements: pyproject.toml's dependencies, minus local-only ones.

    python scripts/lambda_requirements.py > requirements.txt

Used by `make build-ConfigApiFunction` (run by `sam build`). The emulator and the local
server (moto, werkzeug, waitress, uvicorn) would push the artifact past Lambda's 250 MB unzipped
limit and are never imported by the Lambda code (tests/unit/test_template.py checks both).
Versions stay pinned in pyproject.toml only: this prints its requirement strings as they are.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
LOCAL_ONLY = frozenset({"moto", "werkzeug", "waitress", "uvicorn"})


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement string."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def lambda_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [r for r in dependencies if requirement_name(r) not in LOCAL_ONLY]


if __name__ == "__main__":
    sys.stdout.write("".join(f"{r}\n" for r in lambda_requirements()))
