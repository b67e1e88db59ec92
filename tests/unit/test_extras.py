"""`pip install config-api` is the production runtime: the emulator and the server are
extras, and using them without their extra fails with one clear message."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def run_without(module: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter where `module` cannot be imported, as when its
    distribution is not installed."""
    probe = f"import sys; sys.modules[{module!r}] = None\n{code}"
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )


def test_emulator_without_the_local_extra_names_the_extra() -> None:
    result = run_without("moto", "import config_api.local.emulator")
    assert result.returncode == 1
    *_, last = result.stderr.strip().splitlines()
    assert last == (
        "ModuleNotFoundError: The bundled AWS emulator needs the 'local' extra (moto is not "
        "installed): pip install 'config-api[local]'"
    )
    assert result.stderr.count("Traceback") == 1  # one error, not a chain of them


def test_serve_without_the_server_extra_names_the_extra() -> None:
    code = "from config_api.cli import main; main(['serve', '--port', '0'])"
    result = run_without("uvicorn", code)
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "config-api serve needs the 'server' extra: pip install 'config-api[server]'",
    )


def test_the_guard_checks_the_local_extra_s_packages() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted = {Requirement(r).name for r in extra["local"]} - {"config-api"}
    guard = ast.parse((ROOT / "src/config_api/local/__init__.py").read_text())
    imported = {a.name for n in ast.walk(guard) if isinstance(n, ast.Import) for a in n.names}
    assert imported == wanted
