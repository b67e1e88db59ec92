"""Child processes: the `config-api` command as a user runs it, with its output in a log file."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

START_SECONDS = 60  # importing moto and provisioning take a few seconds on a loaded machine


def cli_command() -> list[str]:
    """The installed console script next to this interpreter, as `make run` uses it."""
    script = Path(sys.executable).with_name("config-api")
    if script.exists():
        return [str(script)]
    found = shutil.which("config-api")
    return [found] if found else [sys.executable, "-m", "config_api.cli"]


class Process:
    """`config-api ARGS` (or `command` ARGS) in a child process, its output in LOGS/NAME.log
    (quoted on failure)."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        logs: Path,
        command: list[str] | None = None,
    ) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                [*(command or cli_command()), *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, url: str) -> None:
        """Poll `url` until it answers 200; raise (never skip) if the process dies or stalls."""
        deadline = time.monotonic() + START_SECONDS
        last: object = None
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                self._fail(f"exited with code {self.popen.returncode}")
            try:
                resp = httpx.get(url, timeout=2)
                if resp.status_code == 200:
                    return
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.1)
        self._fail(f"not ready at {url} within {START_SECONDS} s (last: {last})")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _fail(self, why: str) -> None:
        self.stop()
        raise RuntimeError(f"{self.name} {why}; its output:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
