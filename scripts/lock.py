"""The lock files: requirements/*.txt, compiled from pyproject.toml by uv (`make lock`), and
the check that they still agree with it (tests/unit/test_lock.py).

- requirements/lambda.txt: the production runtime (`[project] dependencies`) as the Lambda
  function runs it: CPython LAMBDA_PYTHON on manylinux2014 x86_64, wheels only. This is what
  `make build-ConfigApiFunction` installs.
- requirements/dev.txt: what `make run` and `make test` install: the runtime, the server,
  local and dev extras and the build backend (`[build-system] requires`), for any platform
  and Python 3.11+, the runtime packages constrained to the Lambda's versions, so the tests
  run what is deployed.

Both are pip requirements files: exact versions, sha256 hashes, no index URL (pip installs
them in hash-checking mode with each machine's own index settings).

    python -m scripts.lock [--upgrade]      (from the repository's root)
"""

from __future__ import annotations

import argparse
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from scripts.build_lambda import LAMBDA_LOCK, ROOT, lambda_python

PYPROJECT = ROOT / "pyproject.toml"
DEV_LOCK = Path("requirements/dev.txt")
DEV_EXTRAS = ("server", "local", "dev")
LAMBDA_PLATFORM = "x86_64-manylinux2014"  # uv's name of the build's manylinux2014_x86_64


def lambda_environment(python: str) -> dict[str, str]:
    """Marker values of the Lambda runtime (PEP 508), whatever machine evaluates them."""
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


def _compile(output: Path, sources: list[str], args: list[str], stdin: str, upgrade: bool) -> None:
    from uv import find_uv_bin  # the uv the dev lock installs

    # The header names `make lock` and the options, not a temporary path or stdin's "-".
    described = " ".join(s if s != "-" else "<[build-system] requires>" for s in sources + args)
    command = [
        find_uv_bin(),
        "pip",
        "compile",
        *sources,
        *args,
        "--generate-hashes",
        "--quiet",
        "--custom-compile-command",
        f"make lock  (uv pip compile {described})",
        "--output-file",
        str(output),
        *(["--upgrade"] if upgrade else []),
    ]
    subprocess.run(command, input=stdin, text=True, check=True, cwd=ROOT)


def compile_locks(upgrade: bool = False) -> None:
    pyproject = tomllib.loads(PYPROJECT.read_text())
    python = lambda_python()
    _compile(
        LAMBDA_LOCK,
        ["pyproject.toml"],
        [
            "--python-version",
            python,
            "--python-platform",
            LAMBDA_PLATFORM,
            "--only-binary",
            ":all:",
        ],
        "",
        upgrade,
    )
    extras = [arg for extra in DEV_EXTRAS for arg in ("--extra", extra)]
    _compile(
        DEV_LOCK,
        ["pyproject.toml", "-"],
        [*extras, "--universal", "--python-version", python, "--constraint", str(LAMBDA_LOCK)],
        "".join(f"{r}\n" for r in pyproject["build-system"]["requires"]),
        upgrade,
    )


# --- the check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: tuple[str, ...]

    def applies(self, environment: Mapping[str, str]) -> bool:
        return self.marker is None or self.marker.evaluate(dict(environment))


def read_lock(path: Path) -> list[Pin]:
    """The entries of a requirements file with hashes, as uv and pip-tools write them."""
    pins = []
    for line in (ROOT / path).read_text().replace("\\\n", " ").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spec, *hashes = line.split(" --hash=")
        requirement = Requirement(spec)
        pinned = [s for s in requirement.specifier if s.operator == "=="]
        if len(pinned) != 1 or len(requirement.specifier) != 1:
            raise ValueError(f"{path}: {spec.strip()!r} is not pinned to one version")
        pins.append(
            Pin(
                canonicalize_name(requirement.name),
                Version(pinned[0].version),
                requirement.marker,
                tuple(h.strip() for h in hashes),
            )
        )
    return pins


def roots(pyproject: Mapping[str, Any], extras: Iterable[str], build: bool) -> list[Requirement]:
    """pyproject's requirements with these extras (a self-reference adds its extras)."""
    project = pyproject["project"]
    own = canonicalize_name(project["name"])
    found = [Requirement(r) for r in project["dependencies"]]
    if build:
        found += [Requirement(r) for r in pyproject["build-system"]["requires"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra not in seen:
            seen.add(extra)
            for requirement in map(Requirement, project["optional-dependencies"][extra]):
                if canonicalize_name(requirement.name) == own:
                    pending += sorted(requirement.extras)
                else:
                    found.append(requirement)
    return found


def _applies(requirement: Requirement, env: Mapping[str, str], extras: Iterable[str]) -> bool:
    marker = requirement.marker
    return marker is None or any(marker.evaluate({**env, "extra": e}) for e in ("", *extras))


def _requires(name: str) -> list[Requirement]:
    try:
        return [Requirement(r) for r in metadata.requires(name) or []]
    except metadata.PackageNotFoundError:
        raise LookupError(f"{name} is locked but not installed: run `make`") from None


def problems(
    wanted: list[Requirement], pins: list[Pin], environment: Mapping[str, str] | None = None
) -> list[str]:
    """Where a lock disagrees with what is wanted: a requirement missing or out of range, a
    locked package that nothing needs, an entry without hashes. Markers are evaluated for
    `environment` (default: this interpreter); the dependencies of a locked package come from
    its installed metadata (the venv is installed from the dev lock)."""
    env = dict(environment or {})
    locked = {p.name: p for p in pins if p.applies(env)}
    found = [f"{p.name}=={p.version} has no hash" for p in pins if not p.hashes]
    expanded: set[tuple[str, frozenset[str]]] = set()
    queue = [(r, "pyproject.toml", frozenset[str]()) for r in wanted]
    while queue:
        requirement, wanted_by, parent_extras = queue.pop()
        if not _applies(requirement, env, parent_extras):
            continue
        name = canonicalize_name(requirement.name)
        pin = locked.get(name)
        if pin is None:
            found.append(f"{requirement} (needed by {wanted_by}) is not in the lock")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            found.append(f"{name}=={pin.version} does not satisfy {requirement} ({wanted_by})")
        node = (name, frozenset(requirement.extras))
        if pin is not None and node not in expanded:
            expanded.add(node)
            queue += [(r, name, node[1]) for r in _requires(name)]
    needed = {name for name, _ in expanded}
    found += [
        f"{n}=={p.version} is locked but not needed" for n, p in locked.items() if n not in needed
    ]
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description="Compile requirements/*.txt (make lock).")
    parser.add_argument("--upgrade", action="store_true", help="the newest versions in range")
    compile_locks(upgrade=parser.parse_args().upgrade)


if __name__ == "__main__":
    main()
