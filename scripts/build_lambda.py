"""Build the Lambda function's code into a directory (`make build-ConfigApiFunction`, which
`sam build` runs with ARTIFACTS_DIR).

    python -m scripts.build_lambda ARTIFACTS_DIR      (from the repository's root)

1. The runtime locked in requirements/lambda.txt, hash-checked, as wheels for the Lambda's
   platform and Python (manylinux2014 x86_64, CPython LAMBDA_PYTHON), whatever machine
   builds it.
2. The config_api package, less its local-only part (the emulator).
3. Bytecode for everything, compiled by the Lambda's Python: /var/task is read-only, so a
   missing or mismatched .pyc is recompiled in memory at every cold start. Unchecked-hash
   .pyc files are used without looking at the sources' timestamps (the artifact is never
   edited in place; the zip would not keep exact mtimes anyway).

The bytecode needs an interpreter of the Lambda's version: LAMBDA_PYTHON_BIN, else
`python3.11` (for LAMBDA_PYTHON 3.11) on PATH, else this interpreter if it matches.
Otherwise the build stops and says what to do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

# Standard library only: `sam build` runs this with the machine's python3, not the venv.
ROOT = Path(__file__).resolve().parent.parent
LAMBDA_LOCK = Path("requirements/lambda.txt")
LAMBDA_PLATFORM = "manylinux2014_x86_64"  # what Lambda's x86_64 runtimes run
PACKAGE = ROOT / "src" / "config_api"
LOCAL_ONLY = "local"  # config_api.local: the emulator, never imported in Lambda


def lambda_python() -> str:
    """The Lambda runtime's Python: `LAMBDA_PYTHON := 3.11` in the Makefile, the one place
    it is set (template.yaml's Runtime and the lock are checked against it)."""
    found = re.search(r"^LAMBDA_PYTHON\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    if found is None:
        raise LookupError("LAMBDA_PYTHON is not set in the Makefile")
    return found.group(1)


class WrongPython(SystemExit):
    pass


def interpreter_version(executable: str) -> str | None:
    """ "3.11" for a Python 3.11 interpreter; None if it cannot be run."""
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()


def lambda_interpreter(version: str, candidates: Iterable[str]) -> str:
    """The first candidate that is Python `version`, or a WrongPython that says what to do."""
    seen = []
    for candidate in candidates:
        found = interpreter_version(candidate)
        if found == version:
            return candidate
        seen.append(f"{candidate} is {found or 'not runnable'}")
    raise WrongPython(
        f"The Lambda runtime is python{version}: its bytecode must be compiled by Python "
        f"{version}, but {'; '.join(seen)}. Install Python {version} (or point "
        f"LAMBDA_PYTHON_BIN at one), or build in SAM's build image: sam build --use-container"
    )


def candidates(version: str) -> list[str]:
    named = os.environ.get("LAMBDA_PYTHON_BIN")
    if named:
        return [named]  # asked for: that one or a clear refusal, no silent fallback
    on_path = shutil.which(f"python{version}")
    return [*([on_path] if on_path else []), sys.executable]


def build(target: Path) -> None:
    version = lambda_python()
    python = lambda_interpreter(version, candidates(version))
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--no-compile",
            "--only-binary=:all:",
            f"--platform={LAMBDA_PLATFORM}",
            "--implementation=cp",
            f"--python-version={version}",
            f"--target={target}",
            "--requirement",
            str(ROOT / LAMBDA_LOCK),
        ],
        check=True,
        env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"},  # sam build may run as root
    )
    # Copied, not built: a pure-Python package, and no build backend to install unlocked.
    shutil.rmtree(target / "config_api", ignore_errors=True)
    shutil.copytree(PACKAGE, target / "config_api", ignore=_not_shipped)
    compile_all = ["-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([python, *compile_all, str(target)], check=True)


def _not_shipped(directory: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
    return skipped | ({LOCAL_ONLY} if Path(directory) == PACKAGE else set())


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m scripts.build_lambda ARTIFACTS_DIR")
    build(Path(sys.argv[1]).resolve())


if __name__ == "__main__":
    main()
