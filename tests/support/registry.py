"""A real Docker registry for tests: Debian's `docker-registry` (docker/distribution 2.8) on loopback,
with OCIR-style token authentication backed by the OCI emulator.

    registry = DockerRegistry.start(workdir, realm=f"{emu.url}/20180419/docker/token",
                                    rootcertbundle=emu.credentials.ca_file)
    registry.address        # "127.0.0.1:PORT": docker accepts plain HTTP registries on 127.0.0.0/8
    api = RegistryAPI(registry, ("BEARER_TOKEN", ocir_token))
    api.tags("emulatorns/app"); api.manifest_digest("emulatorns/app", "latest")
    registry.stop()

Authentication is `auth: token` only, no htpasswd file: the registry sends clients to the emulator's
OCIR token endpoint (the realm), which accepts the two logins OCIR does, as Basic credentials:
`BEARER_TOKEN:<token from an OCI-signed GET of the same endpoint>` and `<namespace>/<user>:<auth
token>` (seeded with `emulator.state.add_auth_token`). The emulator signs registry tokens with a
certificate issued by its test CA (`ca.pem`, the registry's rootcertbundle), issuer `ocir-emulator`.
So a `docker login` + `docker push` against this registry exercises the same exchange as OCIR.

Needs the `docker-registry` command (scripts/test-packages.sh installs it).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

REGISTRY_COMMAND = "docker-registry"
SERVICE = "lts.ocir.io"  # the registry's name in tokens (`aud`): the emulated region's OCIR host
ISSUER = "ocir-emulator"  # the emulator's registry token issuer (tests/oci_emulator/tokens.py)
MLFLOW_PORT = 5000  # docker-registry's default port, and MLflow's: never use it
PR_SET_PDEATHSIG = 1  # linux/prctl.h

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


class RegistryError(RuntimeError):
    """The registry did not start, or answered a helper request with an error."""


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it; never 5000)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port != MLFLOW_PORT:
            return port


def config_yaml(*, port: int, storage: Path, realm: str, rootcertbundle: Path, service: str = SERVICE,
                issuer: str = ISSUER) -> str:
    """The registry's configuration (YAML; JSON-quoted scalars are valid YAML)."""
    def q(value) -> str:
        return json.dumps(str(value))

    return f"""\
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {q(storage)}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {q(f"127.0.0.1:{port}")}
  secret: {q(os.urandom(16).hex())}
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  token:
    realm: {q(realm)}
    service: {q(service)}
    issuer: {q(issuer)}
    rootcertbundle: {q(rootcertbundle)}
health:
  storagedriver:
    enabled: false
"""


class DockerRegistry:
    """One `docker-registry serve` process with its own config, storage and log under `workdir`."""

    def __init__(self, workdir: Path, port: int, process: subprocess.Popen, service: str):
        self.workdir = workdir
        self.port = port
        self.service = service
        self._process = process

    @classmethod
    def start(cls, workdir: str | Path, *, realm: str, rootcertbundle: str | Path, port: int | None = None,
              service: str = SERVICE, issuer: str = ISSUER, timeout: float = 15.0) -> DockerRegistry:
        """Write `workdir/config.yml`, start the registry on 127.0.0.1:`port` (default: a free port) and
        wait until `/v2/` answers (401 with a token challenge, since every request needs a token)."""
        command = shutil.which(REGISTRY_COMMAND)
        if command is None:
            raise RegistryError(f"`{REGISTRY_COMMAND}` is not installed; run scripts/test-packages.sh")
        if port == MLFLOW_PORT:
            raise RegistryError(f"port {MLFLOW_PORT} is MLflow's: give the test registry another one")
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        port = port or free_loopback_port()
        config = workdir / "config.yml"
        config.write_text(config_yaml(port=port, storage=workdir / "storage", realm=realm,
                                      rootcertbundle=Path(rootcertbundle), service=service, issuer=issuer))
        with open(workdir / "registry.log", "wb") as log:
            # Own session: a Ctrl-C in the test run reaches pytest, which then stops the registry in the
            # fixture teardown. If pytest dies without a teardown, the kernel ends the registry too.
            process = subprocess.Popen([command, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=workdir, start_new_session=True,
                                       preexec_fn=_terminate_with_parent)
        registry = cls(workdir, port, process, service)
        try:
            registry._wait_ready(timeout)
        except BaseException:
            registry.stop()
            raise
        return registry

    @property
    def address(self) -> str:
        """`host:port`, the registry part of image references (`127.0.0.1:PORT/emulatorns/app:tag`)."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "registry.log"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def running(self) -> bool:
        return self._process.poll() is None

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        session = _direct_session()
        while True:
            if not self.running():
                raise RegistryError(f"docker-registry exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                response = session.get(f"{self.url}/v2/", timeout=1)
            except requests.RequestException:
                response = None
            if response is not None:
                if response.status_code == 401 and "Bearer" in response.headers.get("WWW-Authenticate", ""):
                    return
                raise RegistryError(f"{self.url}/v2/ answered {response.status_code} without a token challenge")
            if time.monotonic() > deadline:
                raise RegistryError(f"docker-registry did not answer on {self.url} within {timeout} s:\n"
                                    f"{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the registry (SIGTERM, then SIGKILL after `timeout` seconds). Idempotent."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> DockerRegistry:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _terminate_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it exits (Linux prctl)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the fixture teardown still stops it
        pass


def _direct_session() -> requests.Session:
    """A session that ignores proxy and CA variables: the registry and the realm are on loopback."""
    session = requests.Session()
    session.trust_env = False
    return session


class RegistryAPI:
    """The registry's HTTP API as a docker client uses it: challenge -> realm (Basic `credentials`)
    -> bearer token for the scope -> request. Tokens are cached per scope for the object's life."""

    def __init__(self, registry: DockerRegistry, credentials: tuple[str, str]):
        self.registry = registry
        self.credentials = credentials
        self._session = _direct_session()
        self._tokens: dict[str, str] = {}
        self._realm: str | None = None

    def token(self, scope: str) -> str:
        """A registry token for `scope` (e.g. `repository:emulatorns/app:pull`) from the realm."""
        if scope not in self._tokens:
            response = self._session.get(self._realm_url(), auth=self.credentials, timeout=10,
                                         params={"service": self.registry.service, "scope": scope})
            if response.status_code != 200:
                raise RegistryError(f"token realm refused {scope}: {response.status_code} {response.text}")
            self._tokens[scope] = response.json()["token"]
        return self._tokens[scope]

    def _realm_url(self) -> str:
        if self._realm is None:
            challenge = self._session.get(f"{self.registry.url}/v2/", timeout=10).headers.get("WWW-Authenticate", "")
            match = re.search(r'realm="([^"]+)"', challenge)
            if not match:
                raise RegistryError(f"no token realm in the registry's challenge {challenge!r}")
            self._realm = match.group(1)
        return self._realm

    def request(self, method: str, path: str, scope: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(scope)}", **kwargs.pop("headers", {})}
        return self._session.request(method, f"{self.registry.url}{path}", headers=headers, timeout=10, **kwargs)

    def tags(self, repository: str) -> list[str]:
        """Tags of `repository` (`emulatorns/app`); [] when the repository does not exist."""
        response = self.request("GET", f"/v2/{repository}/tags/list", f"repository:{repository}:pull")
        if response.status_code == 404:
            return []
        _raise_for(response)
        return sorted(response.json().get("tags") or [])

    def manifest_digest(self, repository: str, tag: str) -> str | None:
        """`sha256:...` of the manifest `repository:tag` points to (Docker-Content-Digest), or None."""
        response = self.request("HEAD", f"/v2/{repository}/manifests/{tag}", f"repository:{repository}:pull",
                                headers={"Accept": MANIFEST_TYPES})
        if response.status_code == 404:
            return None
        _raise_for(response)
        return response.headers["Docker-Content-Digest"]

    def delete_tag(self, repository: str, tag: str) -> bool:
        """Delete the manifest `tag` points to (and so every tag on it). False when there is none."""
        digest = self.manifest_digest(repository, tag)
        if digest is None:
            return False
        response = self.request("DELETE", f"/v2/{repository}/manifests/{digest}", f"repository:{repository}:delete")
        _raise_for(response)
        return True


def _raise_for(response: requests.Response) -> None:
    if response.status_code >= 400:
        raise RegistryError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
