"""Instance metadata service v2 (IMDS): what an OCI compute instance asks 169.254.169.254.

The SDK's instance-principal signer reads the region and the identity certificates here, then
federates them with the auth service. Clients reach it through OCI_METADATA_BASE_URL
(http://127.0.0.1:PORT/opc/v2) or, for code that hard-codes the link-local address, through the
emulator as a plain HTTP proxy. v2 insists on `Authorization: Bearer Oracle`; v1 is not offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import realm
from ..principal import ANONYMOUS, Principal
from ..routing import Request, Response, Route, not_authenticated, not_found

if TYPE_CHECKING:
    from ..state import State

HOSTS = (*realm.METADATA_HOSTS, *realm.LOOPBACK_HOSTS)
INSTANCE_NAME = "oci-emulator-instance"


def bearer_oracle(request: Request, state: State) -> Principal:
    """IMDS v2's only authentication: a fixed header that a server-side request forgery cannot add."""
    if request.headers.get("authorization") != "Bearer Oracle":
        raise not_authenticated("IMDS v2 requires the header 'Authorization: Bearer Oracle'.")
    return ANONYMOUS


def instance_document(state: State) -> dict:
    identity = state.credentials.instance
    return {
        "availabilityDomain": f"EMU:{realm.REGION_KEY}-AD-1",
        "faultDomain": "FAULT-DOMAIN-1",
        "compartmentId": identity.compartment,
        "tenantId": identity.tenancy,
        "displayName": INSTANCE_NAME,
        "hostname": INSTANCE_NAME,
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
    document = instance_document(state)
    field = request.params.get("field")
    if not field:
        return Response.json(document)
    if field not in document:
        raise not_found(f"The instance document has no field {field}.")
    value = document[field]
    return Response.text(value) if isinstance(value, str) else Response.json(value)


def get_identity(request: Request, state: State) -> Response:
    return Response.text(state.credentials.instance.metadata_files()[request.params["name"]])


ROUTES = [
    Route("GET", r"/opc/v2/instance/(?:(?P<field>[A-Za-z]+)/?)?", get_instance, bearer_oracle, HOSTS),
    Route("GET", r"/opc/v2/identity/(?P<name>cert\.pem|key\.pem|intermediate\.pem)", get_identity,
          bearer_oracle, HOSTS),
]
SEEDERS: dict = {}
