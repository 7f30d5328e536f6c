"""Instance metadata service v2 (IMDS): what an OCI compute instance asks 169.254.169.254.

The SDK's instance-principal signer reads the region and the identity certificates here, then
federates them with the auth service. Clients reach it through OCI_METADATA_BASE_URL
(http://127.0.0.1:PORT/opc/v2) or, for code that hard-codes the link-local address, through the
emulator as a plain HTTP proxy. v2 insists on `Authorization: Bearer Oracle`; v1 is not offered.

Named instances (State.add_named_instance, seed kind `instance`) have their own metadata service
under /instances/<name>/opc/v2/: the same routes, that instance's document and certificates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import realm
from ..principal import ANONYMOUS, Principal
from ..routing import ApiError, Request, Response, Route, not_authenticated, not_found

if TYPE_CHECKING:
    from ..credentials import InstanceIdentity
    from ..state import State

HOSTS = (*realm.METADATA_HOSTS, *realm.LOOPBACK_HOSTS)
# Named instances live under /instances/<name>, so one emulator serves a metadata service per test
# host: OCI_METADATA_BASE_URL=http://127.0.0.1:PORT/instances/<name>/opc/v2.
NAMED = rf"/instances/(?P<instance>{realm.INSTANCE_NAME_PATTERN})"


def bearer_oracle(request: Request, state: State) -> Principal:
    """IMDS v2's only authentication: a fixed header that a server-side request forgery cannot add."""
    if request.headers.get("authorization") != "Bearer Oracle":
        raise not_authenticated("IMDS v2 requires the header 'Authorization: Bearer Oracle'.")
    return ANONYMOUS


def identity_of(request: Request, state: State) -> InstanceIdentity:
    """The instance a metadata request asks about: the named one in the path, else the default."""
    name = request.params.get("instance")
    if name is None:
        return state.credentials.instance
    identity = state.named_instance(name)
    if identity is None:
        raise not_found(f"No instance named {name!r}; seed it first (POST /_emulator/seed/instance).")
    return identity


def instance_document(identity: InstanceIdentity) -> dict:
    return {
        "availabilityDomain": f"EMU:{realm.REGION_KEY}-AD-1",
        "faultDomain": "FAULT-DOMAIN-1",
        "compartmentId": identity.compartment,
        "tenantId": identity.tenancy,
        "displayName": identity.name,
        "hostname": identity.name,
        "id": identity.instance_id,
        "image": f"ocid1.image.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.aaaaaaaaemulatorimage",
        "metadata": {},
        "region": realm.REGION,
        "canonicalRegionName": realm.REGION,
        "ociAdName": f"{realm.REGION_KEY.lower()}-ad-1",
        "regionInfo": realm.REGION_METADATA,
        "shape": "VM.Standard.E4.Flex",
        "state": "Running",
        "timeCreated": 1767225600000,
    }


def get_instance(request: Request, state: State) -> Response:
    """`/instance/` is the whole document; `/instance/<field>` one field (plain text for strings)."""
    document = instance_document(identity_of(request, state))
    field = request.params.get("field")
    if not field:
        return Response.json(document)
    if field not in document:
        raise not_found(f"The instance document has no field {field}.")
    value = document[field]
    return Response.text(value) if isinstance(value, str) else Response.json(value)


def get_identity(request: Request, state: State) -> Response:
    return Response.text(identity_of(request, state).metadata_files()[request.params["name"]])


def seed_instance(state: State, body: dict) -> dict:
    """{"name": ..., "compartment_id"?: ...} -> {"name", "instance_id", "compartment_id", "metadata_path"}:
    a named instance (idempotent for a name)."""
    try:
        identity = state.add_named_instance(body.get("name"), compartment_id=body.get("compartment_id"))
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "InvalidParameter", f"name: {exc}") from None
    return {"name": identity.name, "instance_id": identity.instance_id, "compartment_id": identity.compartment,
            "metadata_path": f"/instances/{identity.name}/opc/v2"}


_INSTANCE = r"/opc/v2/instance/(?:(?P<field>[A-Za-z]+)/?)?"
_IDENTITY = r"/opc/v2/identity/(?P<name>cert\.pem|key\.pem|intermediate\.pem)"
ROUTES = [
    Route("GET", _INSTANCE, get_instance, bearer_oracle, HOSTS),
    Route("GET", _IDENTITY, get_identity, bearer_oracle, HOSTS),
    Route("GET", NAMED + _INSTANCE, get_instance, bearer_oracle, HOSTS),
    Route("GET", NAMED + _IDENTITY, get_identity, bearer_oracle, HOSTS),
]
SEEDERS = {"instance": seed_instance}
