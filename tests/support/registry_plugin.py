"""pytest fixtures for a real registry with OCIR-style logins (tests/support/registry.py).

Loaded for the whole tree by tests/conftest.py (`pytest_plugins`, as `support.registry_plugin`:
pytest has tests/ on sys.path). Needs the emulator's plugin too (`oci_emulator` fixture).

    def test_push(ocir_registry, tmp_path, run_module):
        env = ocir_registry.login_env(tmp_path / "home")      # a docker config with a BEARER_TOKEN login
        ref = ocir_registry.repository("app")                # 127.0.0.1:PORT/emulatorns/app
        ...                                                  # push with env=env
        assert ocir_registry.tags(ref) == ["latest"]
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import oci
import pytest
import requests

from .registry import DockerRegistry, RegistryAPI

BEARER_TOKEN_USER = "BEARER_TOKEN"


class OcirRegistry:
    """The session's registry, seen as an OCIR region's registry: host, namespace, logins, API."""

    def __init__(self, registry: DockerRegistry, emulator):
        self.registry = registry
        self.emulator = emulator

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`: the registry host of image references."""
        return self.registry.address

    @property
    def url(self) -> str:
        return self.registry.url

    @property
    def namespace(self) -> str:
        """The emulated tenancy's Object Storage namespace, OCIR's first path component."""
        return self.emulator.state.namespace

    @property
    def service(self) -> str:
        return self.registry.service

    @property
    def realm(self) -> str:
        """The token endpoint the registry sends clients to (the emulator's OCIR token route)."""
        return f"{self.emulator.url}/20180419/docker/token"

    def repository(self, name: str) -> str:
        """`127.0.0.1:PORT/<namespace>/<name>`, as `iad.ocir.io/<namespace>/<name>` on OCIR."""
        return f"{self.address}/{self.namespace}/{name}"

    # -- logins -------------------------------------------------------------------------------------
    def bearer_token(self) -> str:
        """An OCIR token from an OCI-signed GET of the token endpoint, signed with the emulated user's
        API key (what `ocir_login` does for an OCI principal). Valid for an hour, survives resets."""
        credentials = self.emulator.credentials
        signer = oci.signer.Signer(
            tenancy=credentials.api_key.tenancy, user=credentials.api_key.user,
            fingerprint=credentials.api_key.fingerprint,
            private_key_file_location=str(credentials.home / ".oci" / "oci_api_key.pem"))
        session = requests.Session()
        session.trust_env = False  # loopback: no proxy, and the signed Host is 127.0.0.1:PORT
        response = session.get(self.realm, auth=signer, timeout=10)
        response.raise_for_status()
        return response.json()["token"]

    def bearer_login(self) -> tuple[str, str]:
        """(`BEARER_TOKEN`, token): the credentials of `docker login -u BEARER_TOKEN`."""
        return BEARER_TOKEN_USER, self.bearer_token()

    def auth_token_login(self, user: str = "registry-tester", token: str = "test-auth-token") -> tuple[str, str]:
        """(`<namespace>/<user>`, auth token), seeded in the emulator. A reset of the emulator
        (`clean_oci_emulator`) forgets it: call this after the reset."""
        username = f"{self.namespace}/{user}"
        self.emulator.state.add_auth_token(username, token)
        return username, token

    def write_docker_config(self, directory: str | Path, credentials: tuple[str, str] | None) -> Path:
        """`<directory>/config.json` as `docker login` leaves it (0600): an `auths` entry for this
        registry with `credentials`, or no entry at all when None. Returns the file."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        auths = {}
        if credentials is not None:
            auths[self.address] = {"auth": base64.b64encode(":".join(credentials).encode()).decode()}
        path = directory / "config.json"
        path.touch(mode=0o600)
        path.write_text(json.dumps({"auths": auths}, indent=2))
        return path

    def login_env(self, home: str | Path, credentials: tuple[str, str] | None = None) -> dict[str, str]:
        """HOME and DOCKER_CONFIG for a process logged in to this registry (default: a BEARER_TOKEN
        login from `bearer_login()`). Pass as `env=` to `run_module` or `subprocess.run`."""
        return self._docker_env(home, credentials or self.bearer_login())

    def no_login_env(self, home: str | Path) -> dict[str, str]:
        """HOME and DOCKER_CONFIG for a process with no login anywhere (an empty docker config)."""
        return self._docker_env(home, None)

    def _docker_env(self, home: str | Path, credentials: tuple[str, str] | None) -> dict[str, str]:
        home = Path(home)
        docker_dir = home / ".docker"
        self.write_docker_config(docker_dir, credentials)
        return {"HOME": str(home), "DOCKER_CONFIG": str(docker_dir)}

    # -- the registry's API ---------------------------------------------------------------------------
    def api(self, credentials: tuple[str, str] | None = None) -> RegistryAPI:
        """The registry's HTTP API with `credentials` at the realm (default: a fresh BEARER_TOKEN login)."""
        return RegistryAPI(self.registry, credentials or self.bearer_login())

    def _path(self, repository: str) -> str:
        """`emulatorns/app` from `127.0.0.1:PORT/emulatorns/app` or `emulatorns/app`."""
        prefix = self.address + "/"
        return repository[len(prefix):] if repository.startswith(prefix) else repository

    def tags(self, repository: str) -> list[str]:
        """Tags the registry holds for `repository` (full reference or `<namespace>/<name>`)."""
        return self.api().tags(self._path(repository))

    def manifest_digest(self, repository: str, tag: str) -> str | None:
        """`sha256:...` the registry serves for `repository:tag`, or None when the tag is unknown."""
        return self.api().manifest_digest(self._path(repository), tag)

    def delete_tag(self, repository: str, tag: str) -> bool:
        return self.api().delete_tag(self._path(repository), tag)


@pytest.fixture(scope="session")
def ocir_registry(oci_emulator, tmp_path_factory) -> OcirRegistry:
    """One `docker-registry` for the session on a free loopback port, token auth against the
    session's OCI emulator. Tests keep apart by using their own repository names."""
    with DockerRegistry.start(tmp_path_factory.mktemp("ocir-registry"),
                              realm=f"{oci_emulator.url}/20180419/docker/token",
                              rootcertbundle=oci_emulator.credentials.ca_file) as registry:
        yield OcirRegistry(registry, oci_emulator)
