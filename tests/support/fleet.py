"""Fleets of test hosts that look like fresh OCI compute instances, reached only over loopback.

A host is a container of the test-host image (tests/fleet/testhost/, support.fleet_image) in its own
network namespace on the engine's default bridge: systemd as PID 1, sshd, user opc with passwordless
sudo and key-only login, python3, no Docker. The controller reaches it only through ports published
on 127.0.0.1 (SSH, and `publish` ports such as MLflow's 5000), never a bridge address. The host
reaches services on this machine's loopback (`relay_ports`: the OCI emulator, a registry) at its own
127.0.0.1:PORT: systemd-socket-proxyd inside carries the connection over a bind-mounted UNIX socket to
a socat here that connects to 127.0.0.1:PORT. /var/lib/docker is a volume, so `apt-get install -y
docker.io` on a host gives a working nested dockerd (overlay2 cannot sit on the container's overlayfs).

    fleet = Fleet.up("web", 3, image, state_dir, relay_ports=[emulator.port], publish=[5000])
    fleet.hosts[0].run("systemctl is-system-running --wait", check=False)
    fleet.inventory(tmp / "inventory.yml")      # for ansible-playbook -i
    fleet.destroy()

pytest: the `fleet_factory` fixture (support.fleet_plugin) makes them and removes them at the end.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from .fleet_image import pip_mirror_mounts

CONTAINER_PREFIX = "oci-mlflow-fleet-"
LABEL = "oracle.mlflow.fleet"  # value: "<fleet name>-<run token>", on containers and volumes
SSH_READY_TIMEOUT = 60.0
# Privileged-equivalent without --privileged, which fails on this machine (its capability bounding set
# lacks CAP_SYS_RESOURCE): every other capability, no seccomp filter, unmasked /proc and /sys, every
# device in the device cgroup (a nested runc grants them on), a private cgroup namespace (systemd and
# a nested dockerd see their own subtree as /). testhost-init makes /sys and the cgroups writable.
HOST_FLAGS = ("--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--security-opt", "seccomp=unconfined",
              "--security-opt", "systempaths=unconfined", "--device-cgroup-rule", "a *:* rwm",
              "--cgroupns=private", "--tmpfs", "/run:rw,exec,mode=755", "--tmpfs", "/run/lock:rw,mode=1777",
              "--stop-timeout", "20")


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    """A port nobody listens on now on 127.0.0.1 (docker binds it a moment later; see Fleet._start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestHost:
    """One host of a fleet, driven over SSH as opc (as Ansible drives an instance)."""

    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self, fleet: Fleet, name: str, container: str, ssh_port: int, published: dict[int, int]):
        self.fleet = fleet
        self.name = name  # the host name (and its named instance in the emulator)
        self.container = container
        self.ssh_port = ssh_port
        self.published = published  # inner port -> outer 127.0.0.1 port

    def __repr__(self) -> str:
        return f"TestHost({self.name!r}, ssh=127.0.0.1:{self.ssh_port}, published={self.published})"

    def ssh_command(self, *remote: str, connect_timeout: int = 5) -> list[str]:
        return ["ssh", "-q", "-i", str(self.fleet.ssh_key), "-p", str(self.ssh_port),
                *(f"-o{option}" for option in (*self.fleet.SSH_OPTIONS, f"ConnectTimeout={connect_timeout}")),
                "opc@127.0.0.1", *remote]

    def run(self, cmd: str, check: bool = True, sudo: bool = False, *, input: bytes | str | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
        """`cmd` (a shell command line) on the host over SSH; as root through sudo when `sudo`.
        Text output unless `input` is bytes. CalledProcessError (with stdout/stderr) when `check`."""
        remote = f"sudo -n sh -c {shlex.quote(cmd)}" if sudo else cmd
        result = subprocess.run(self.ssh_command(remote), check=False, input=input, capture_output=True,
                                text=not isinstance(input, bytes), timeout=timeout)
        if check and result.returncode:
            raise subprocess.CalledProcessError(result.returncode, f"{self.name}: {cmd}", result.stdout,
                                                result.stderr)
        return result

    def put(self, path: str, data: bytes, mode: int = 0o644, owner: str = "root:root") -> None:
        """Write `data` to `path` on the host as root (parent directories made), atomically."""
        quoted, temp = shlex.quote(path), shlex.quote(f"{path}.put-tmp")
        # The parent directories as mkdir makes them (0755); the file private until its mode is set.
        self.run(f"mkdir -p \"$(dirname {quoted})\" && (umask 077 && cat > {temp}) && chown {shlex.quote(owner)} {temp}"
                 f" && chmod {mode:o} {temp} && mv -f {temp} {quoted}", sudo=True, input=data)

    def ssh_ready(self) -> bool:
        return self.run("true", check=False, timeout=15).returncode == 0

    def wait_ssh(self, timeout: float = SSH_READY_TIMEOUT) -> float:
        """Poll until opc can log in; the seconds it took."""
        start = time.monotonic()
        while not self.ssh_ready():
            if time.monotonic() - start > timeout:
                logs = docker("logs", "--tail", "30", self.container, check=False)
                raise TimeoutError(f"{self.name}: no SSH after {timeout:.0f} s\n{logs.stdout}{logs.stderr}")
            time.sleep(0.2)
        return time.monotonic() - start

    def stop(self) -> None:
        """A clean poweroff (docker stop sends SIGRTMIN+3 to systemd)."""
        docker("stop", self.container)

    def start(self) -> float:
        """Boot again (same disk, ports and identity); returns the seconds until SSH answered."""
        docker("start", self.container)
        return self.wait_ssh()

    def docker_installed(self) -> None:
        """What a role's first step does on a fresh instance: the distribution's docker.io, running."""
        self.run("DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
                 "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null", sudo=True)
        self.run("for _ in $(seq 120); do docker info >/dev/null 2>&1 && exit 0; sleep 0.5; done; exit 1",
                 sudo=True)


class Relays:
    """The outer side of the loopback relays: one socat per port, `<dir>/<port>.sock` -> 127.0.0.1:port."""

    def __init__(self, directory: Path, ports: Iterable[int]):
        self.directory = directory
        self.ports = tuple(sorted({int(p) for p in ports}))
        self._processes: list[subprocess.Popen] = []

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for port in self.ports:
            sock = self.directory / f"{port}.sock"
            self._processes.append(subprocess.Popen(
                ["socat", f"UNIX-LISTEN:{sock},fork,mode=666", f"TCP:127.0.0.1:{port}"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))  # its own group: stopping it also ends the forked children
        deadline = time.monotonic() + 10
        for port in self.ports:  # the hosts' relay units start at boot only for sockets that exist
            while not (self.directory / f"{port}.sock").is_socket():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"socat relay for 127.0.0.1:{port} did not come up")
                time.sleep(0.02)

    def stop(self) -> None:
        for process in self._processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        self._processes.clear()


class Fleet:
    """`count` fresh hosts named `<name>1..N`, up and SSH-ready; `destroy()` removes them and their volumes."""

    SSH_OPTIONS = ("BatchMode=yes", "StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "LogLevel=ERROR")

    def __init__(self, name: str, image: str, state_dir: Path, relay_ports: Iterable[int], publish: Iterable[int]):
        self.name = name
        self.image = image
        self.state_dir = Path(state_dir)
        self.relay_ports = tuple(int(p) for p in relay_ports)
        self.publish = tuple(int(p) for p in publish)
        self.label = f"{name}-{secrets.token_hex(3)}"  # this run's: never matches another session's hosts
        self.relays = Relays(self.state_dir / "relay", self.relay_ports)
        self.hosts: list[TestHost] = []

    @property
    def ssh_key(self) -> Path:
        return self.state_dir / "id_ed25519"

    @classmethod
    def up(cls, name: str, count: int, image: str, state_dir: Path, *, relay_ports: Iterable[int] = (),
           publish: Iterable[int] = ()) -> Fleet:
        fleet = cls(name, image, state_dir, relay_ports, publish)
        try:
            fleet._up(count)
        except BaseException:
            fleet.destroy()
            raise
        return fleet

    def _up(self, count: int) -> None:
        seed = self.state_dir / "seed"
        seed.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"fleet-{self.name}", "-f",
                        str(self.ssh_key)], check=True)
        (seed / "authorized_keys").write_bytes(self.ssh_key.with_suffix(".pub").read_bytes())
        self.relays.start()
        with ThreadPoolExecutor(max_workers=max(count, 1)) as pool:
            self.hosts = list(pool.map(self._start, range(1, count + 1)))
            list(pool.map(TestHost.wait_ssh, self.hosts))

    def _start(self, index: int, attempts: int = 3) -> TestHost:
        """Create and boot host `index`. Ports are picked free just before; if another process takes
        one in between, docker start fails and the host is made again on other ports."""
        name = f"{self.name}{index}"
        container = f"{CONTAINER_PREFIX}{name}-{self.label.rsplit('-', 1)[1]}"
        volume = f"{container}-docker"
        for attempt in range(attempts):
            ssh_port = free_port()
            published = {inner: free_port() for inner in self.publish}
            ports = [arg for inner, outer in [(22, ssh_port), *published.items()]
                     for arg in ("-p", f"127.0.0.1:{outer}:{inner}")]
            docker("volume", "create", "--label", f"{LABEL}={self.label}", volume)
            docker("create", "--name", container, "--hostname", name, "--label", f"{LABEL}={self.label}",
                   *HOST_FLAGS, *ports,
                   "-v", f"{volume}:/var/lib/docker",
                   "-v", f"{self.relays.directory}:/mnt/testhost-relay",
                   "-v", f"{self.state_dir / 'seed'}:/mnt/testhost-seed:ro",
                   *pip_mirror_mounts(), self.image)
            started = docker("start", container, check=False)
            if started.returncode == 0:
                return TestHost(self, name, container, ssh_port, published)
            docker("rm", "-f", container, check=False)
            if attempt == attempts - 1 or "already" not in started.stderr + started.stdout:
                raise RuntimeError(f"{container} did not start: {started.stderr.strip()}")
        raise AssertionError("unreachable")

    def inventory(self, path: str | Path, group: str = "mlflow_servers",
                  host_vars: Mapping[str, Mapping] | None = None) -> Path:
        """A YAML inventory of the fleet in `group`, as Ansible reaches OCI instances (opc, become,
        this fleet's key); `host_vars` {host name: {var: value}} are added per host. Returns the path."""
        host_vars = host_vars or {}
        hosts = {host.name: {"ansible_host": "127.0.0.1", "ansible_port": host.ssh_port,
                             **dict(host_vars.get(host.name, {}))} for host in self.hosts}
        group_vars = {
            "ansible_user": "opc",
            "ansible_become": True,
            "ansible_ssh_private_key_file": str(self.ssh_key),
            "ansible_ssh_common_args": " ".join(f"-o {option}" for option in self.SSH_OPTIONS[1:]),
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"all": {"children": {group: {"hosts": hosts, "vars": group_vars}}}},
                                       sort_keys=False))
        return path

    def destroy(self) -> None:
        """Remove the hosts (killed: nothing on them needs a clean shutdown), their volumes, the relays."""
        found = docker("ps", "-aq", "--filter", f"label={LABEL}={self.label}", check=False).stdout.split()
        if found:
            docker("rm", "-f", "-v", *found, check=False)
        volumes = docker("volume", "ls", "-q", "--filter", f"label={LABEL}={self.label}", check=False).stdout.split()
        if volumes:
            docker("volume", "rm", "-f", *volumes, check=False)
        self.relays.stop()
        self.hosts = []


# The emulator wiring of a fleet lives in its own module; importable from here as the fleet API.
from .fleet_emulator import fleet_emulator_wiring  # noqa: F401
