"""Debian's HAProxy on the outer loopback, standing in for OCI's load balancer in front of a fleet.

    balancer = Balancer.start(workdir, {"testhost1": 127.0.0.1:PORT1, ...})
    balancer.url              # http://127.0.0.1:PORT: what the clients use
    balancer.socket           # the admin socket (runtime API) the role takes hosts out of and back into
    balancer.states()         # {"testhost1": "UP", ...} as HAProxy's health checks see them
    balancer.stop()

It health-checks every server's GET /health like OCI's backend set health checker does, fast enough
for a test (every second, out after 2 failures, back after 2 successes).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from support.registry import free_loopback_port

BACKEND = "mlflow"


def config(port: int, servers: dict[str, str], admin_socket: Path) -> str:
    lines = [
        "global",
        f"    stats socket {admin_socket} mode 600 level admin",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 120s",
        # artifact uploads and downloads stream through: as long as the server takes
        "    timeout server 120s",
        # a request whose connection is refused (a host between two containers) goes to another host
        "    retries 3",
        "    option redispatch 1",
        "frontend clients",
        f"    bind 127.0.0.1:{port}",
        f"    default_backend {BACKEND}",
        f"backend {BACKEND}",
        "    balance roundrobin",
        "    option httpchk GET /health",
        "    http-check expect status 200",
        "    default-server inter 1s fall 2 rise 2",
    ]
    lines += [f"    server {name} {address} check" for name, address in servers.items()]
    return "\n".join(lines) + "\n"


class Balancer:
    def __init__(self, workdir: Path, port: int, process: subprocess.Popen):
        self.workdir, self.port, self.process = workdir, port, process

    @classmethod
    def start(cls, workdir: str | Path, servers: dict[str, str]) -> Balancer:
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        port = free_loopback_port()
        cfg = workdir / "haproxy.cfg"
        cfg.write_text(config(port, servers, workdir / "admin.sock"))
        subprocess.run([haproxy, "-c", "-q", "-f", str(cfg)], check=True)
        log = (workdir / "haproxy.log").open("ab")
        process = subprocess.Popen([haproxy, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
        balancer = cls(workdir, port, process)
        deadline = time.monotonic() + 10
        while not balancer.socket.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start: {(workdir / 'haproxy.log').read_text()[-2000:]}")
            time.sleep(0.05)
        return balancer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket(self) -> Path:
        return self.workdir / "admin.sock"

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(str(self.socket))
            conn.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """Each server's status in the backend: UP, DOWN, MAINT, DRAIN (and transitions such as 'UP 1/2')."""
        rows = [line.split(",") for line in self.command("show stat").splitlines() if line and line[0] != "#"]
        return {row[1]: row[17] for row in rows if row[0] == BACKEND and row[1] not in ("FRONTEND", "BACKEND")}

    def wait_all_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while set(self.states().values()) != {"UP"}:
            if time.monotonic() > deadline:
                raise AssertionError(f"not every server is UP in haproxy: {self.states()}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
