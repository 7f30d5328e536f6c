"""The emulator as one object: credentials made, server listening on 127.0.0.1, environment ready.

    with Emulator.start(state_dir) as emu:
        subprocess.run(cmd, env=emu.process_env())
        assert emu.requests[-1]["principal"]["type"] == "instance_principal"
"""

from __future__ import annotations

import threading
from pathlib import Path

from . import environment
from . import realm
from .credentials import Credentials, write_file, write_resource_principal
from .requestlog import Listener, RequestLog
from .routing import Router
from .services import all_routes
from .state import State
from .transport import EmulatorServer, TlsContexts


class Emulator:
    def __init__(self, credentials: Credentials, server: EmulatorServer):
        self.credentials = credentials
        self.state = server.state
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="oci-emulator", daemon=True)

    @classmethod
    def start(cls, state_dir: str | Path, *, port: int = 0, on_request: Listener | None = None) -> Emulator:
        """Create fresh credentials under `state_dir`, listen on 127.0.0.1:`port` (0: any free port),
        write `env.sh` / `env.list` there, and serve in a background thread.

        `on_request` is called with every request log entry (the CLI prints them).
        """
        credentials = Credentials.create(Path(state_dir))
        state = State(credentials, RequestLog(on_request))
        server = EmulatorServer(port, Router(all_routes()), state,
                                TlsContexts(credentials.ca, credentials.state_dir / "tls"))
        emulator = cls(credentials, server)
        write_file(credentials.state_dir / "env.sh", environment.shell_exports(emulator.env).encode())
        write_file(credentials.state_dir / "env.list", environment.docker_env_file(emulator.env).encode())
        emulator._thread.start()
        return emulator

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The variables that point a process at the emulator (API key and instance principal)."""
        return environment.client_env(self.url, self.credentials)

    @property
    def resource_principal_env(self) -> dict[str, str]:
        """OCI_RESOURCE_PRINCIPAL_* for the SDK's resource principal v2.2 signer. Kept out of `env`
        because some libraries (oracle-ads) switch to resource principal when they see them."""
        return dict(self.credentials.resource_principal_env)

    def mint_resource_principal(self, directory: str | Path, *, resource_id: str,
                                compartment_id: str = realm.COMPARTMENT) -> dict[str, str]:
        """A resource principal (v2.2 RPST and key, written under `directory`) for another resource, such
        as a container instance: `resource_id`'s type component is its `resource.type`. Returns its
        OCI_RESOURCE_PRINCIPAL_* variables."""
        return write_resource_principal(Path(directory), self.credentials.issuer, resource_id=resource_id,
                                        compartment_id=compartment_id)

    def process_env(self, base=None, *, resource_principal: bool = False) -> dict[str, str]:
        """A complete environment for a subprocess: `base` (default os.environ) stripped of OCI,
        proxy and CA variables, plus `env` (and `resource_principal_env` when asked)."""
        env = self.env | (self.resource_principal_env if resource_principal else {})
        return environment.process_env(env, base)

    @property
    def requests(self) -> list[dict]:
        """The request log so far (copies); see RequestLog for the entry fields."""
        return self.state.log.entries()

    def requests_for(self, service: str) -> list[dict]:
        """The log entries of one service ("object_storage", "vault", "ocir", "auth", "metadata")."""
        return self.state.log.entries(service=service)

    def reset(self) -> None:
        """Back to the start state (seeds undone, credentials still valid), empty request log."""
        self.state.reset()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
