"""The bundled emulator in a process of its own, as `config-api local` runs it.

moto and the API then each have an interpreter (and a GIL) to themselves. The child exits
when its parent does, even on SIGKILL: it watches its standard input, a pipe only the
parent holds, and stops (cleanly, taking a snapshot) when that reaches its end.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

READY = "AWS emulator on "


class EmulatorDidNotStart(RuntimeError):
    pass


def command(host: str, port: int, data_dir: Path | None) -> list[str]:
    args = [sys.executable, "-m", "config_api.cli", "emulator", "--host", host, "--port", str(port)]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    return [*args, "--exit-with-parent"]


@contextmanager
def emulator_process(
    host: str, port: int, data_dir: Path | None, *, stderr: int | None = None
) -> Iterator[str]:
    """Start it, wait until it serves (its data loaded), yield its URL; stop it at exit."""
    proc = subprocess.Popen(
        command(host, port, data_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith(READY):
            raise EmulatorDidNotStart(f"the emulator did not start (exit code {proc.wait()})")
        yield line[len(READY) :].split()[0]
    finally:
        if proc.stdin:
            proc.stdin.close()  # the child's signal to stop
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
