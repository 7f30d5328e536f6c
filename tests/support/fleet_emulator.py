"""A fleet wired to the OCI emulator: each host its own compute instance, the emulator at its loopback.

Mirrors how the single-host tests wire the emulator into the server container
(molecule/shared/vars/emulator.yml, oci_emulator.environment.PASSED_VARS): the same variables, in
`mlflow_server_extra_env`, with the CA mounted at the path they name. On a fleet host:
- the emulator's port is a relay (the fleet must be made with `relay_ports` naming it), so the
  proxy URL `http://127.0.0.1:PORT` is the same string as here and reaches the same emulator;
- the CA is copied to CA_PATH (0644: the server container's user reads it through the mount);
- OCI_METADATA_BASE_URL is the host's own named instance (`/instances/<host name>/opc/v2`), so the
  instance-principal signer on each host acts as a distinct instance and the request log tells the
  hosts apart. Named instances survive the emulator's per-test resets (State.add_named_instance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oci_emulator.environment import PASSED_VARS

if TYPE_CHECKING:
    from oci_emulator import Emulator

    from .fleet import Fleet

CA_PATH = "/etc/oci-emulator/ca.pem"


def host_emulator_env(emulator: Emulator, host_name: str) -> dict[str, str]:
    """The emulator's variables as a process on fleet host `host_name` needs them."""
    env = {name: emulator.env[name] for name in PASSED_VARS}
    env.update(REQUESTS_CA_BUNDLE=CA_PATH, SSL_CERT_FILE=CA_PATH,
               OCI_METADATA_BASE_URL=f"{emulator.url}/instances/{host_name}/opc/v2")
    return env


def fleet_emulator_wiring(fleet: Fleet, emulator: Emulator) -> dict[str, dict]:
    """Seed a named instance per host, put the emulator's CA on every host, and return host vars
    {host name: {oci_emulator_env, instance_id, mlflow_server_extra_env, mlflow_server_extra_volumes}}
    for `fleet.inventory(..., host_vars=...)`. `oci_emulator_env` is for a play's `environment:`."""
    if emulator.port not in fleet.relay_ports:
        raise ValueError(f"fleet {fleet.name!r} has no relay to the emulator's port {emulator.port}: "
                         f"make it with relay_ports=[oci_emulator.port, ...]")
    ca = emulator.credentials.ca_file.read_bytes()
    wiring = {}
    for host in fleet.hosts:
        identity = emulator.state.add_named_instance(host.name)
        host.put(CA_PATH, ca, mode=0o644)
        env = host_emulator_env(emulator, host.name)
        wiring[host.name] = {
            "oci_emulator_env": env,
            "instance_id": identity.instance_id,
            "mlflow_server_extra_env": dict(env),
            "mlflow_server_extra_volumes": [f"{CA_PATH}:{CA_PATH}:ro"],
        }
    return wiring
