"""Run the emulator by hand: `python -m tests.oci_emulator [--port N] [--state-dir DIR] [--quiet]`.

Prints the environment to use it (also written to DIR/env.sh), logs each request to stderr, and
serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

from . import environment
from .emulator import Emulator


def _print_request(entry: dict) -> None:
    principal = entry["principal"]
    who = principal["type"] if principal["id"] is None else f"{principal['type']}:{principal['id']}"
    query = f"?{entry['query']}" if entry["query"] else ""
    error = f" {entry['error']}" if entry["error"] else ""
    print(f"{entry['status']} {entry['method']} {entry['host']} {entry['path']}{query} [{who}]{error}",
          file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.oci_emulator",
                                     description="Run the OCI API emulator on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--state-dir", type=Path,
                        help="where credentials and env files go (default: a new temporary directory)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    args = parser.parse_args(argv)

    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="oci-emulator-"))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with Emulator.start(state_dir, port=args.port, on_request=None if args.quiet else _print_request) as emu:
        print(f"# OCI emulator on {emu.url}, state in {emu.credentials.state_dir}; Ctrl-C stops it.\n"
              f"# Same lines in {emu.credentials.state_dir / 'env.sh'}; `source` it in a shell.")
        print(environment.shell_exports(emu.env), end="")
        print("# Resource principal v2.2 (export these too to use it):")
        print("".join(f"#   {line}" for line in environment.shell_exports(emu.resource_principal_env).splitlines(True)),
              end="")
        print(f"# Code that hard-codes http://169.254.169.254 also needs: export HTTP_PROXY={emu.url}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
