"""Helpers shared by the end-to-end tests: the Docker CLI and health polling."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def inspect(container: str) -> dict | None:
    proc = docker("container", "inspect", container, check=False)
    return json.loads(proc.stdout)[0] if proc.returncode == 0 else None


def wait_healthy(url: str, timeout: float = 120) -> float:
    """Poll url/health until it answers 200; return the seconds it took."""
    start = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=3) as resp:
                if resp.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{url}/health did not answer within {timeout} s")
        time.sleep(0.5)


def process_args(container: str) -> str:
    """Command lines of every process in the container, one per line."""
    return docker("top", container, "-o", "pid,args").stdout
