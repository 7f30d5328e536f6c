"""Auth service x509 federation: how an instance turns its certificate into a security token.

The SDK posts the instance's leaf certificate, intermediates and a fresh session public key to
`https://auth.<region>.<domain>/v1/x509`, signed with the leaf certificate's key. The answer is a
security token bound to the session key; every later request is signed `ST$<token>` with it.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from .. import realm
from ..pki import certificate_fingerprint
from ..routing import ApiError, Request, Response, Route, not_authenticated
from ..signature import signed_by_instance_certificate

if TYPE_CHECKING:
    from ..state import State

HOSTS = (realm.service_host("auth"), *realm.LOOPBACK_HOSTS)
TOKEN_LIFETIME = 20 * 60  # what OCI gives instance principals; the SDK refreshes before expiry


def _der(field: str, value) -> bytes:
    """The SDK sends certificates and keys as PEM bodies without armor lines: plain base64 DER."""
    try:
        return base64.b64decode(value, validate=True)
    except (TypeError, ValueError):
        raise ApiError(400, "InvalidParameter", f"{field} is not base64 DER") from None


def federate(request: Request, state: State) -> Response:
    body = request.json()
    try:
        leaf = x509.load_der_x509_certificate(_der("certificate", body.get("certificate")))
        session_key = load_der_public_key(_der("publicKey", body.get("publicKey")))
        intermediates = [x509.load_der_x509_certificate(_der("intermediateCertificates", c))
                         for c in body.get("intermediateCertificates") or []]
    except ValueError as exc:
        raise ApiError(400, "InvalidParameter", f"unreadable certificate or key: {exc}") from None
    identity = state.instance(certificate_fingerprint(leaf))
    if identity is None or identity.instance_id != request.principal.id:
        raise not_authenticated("The certificate in the body is not the one that signed the request.")
    if not any(_issued_by(leaf, candidate) for candidate in intermediates):
        raise not_authenticated("No intermediate certificate in the request issued the leaf certificate.")
    token = state.credentials.issuer.security_token(
        session_key, ttype="x509", subject=identity.instance_id, lifetime=TOKEN_LIFETIME,
        claims={"tenant": identity.tenancy, "ptype": "instance", "opc-instance": identity.instance_id,
                "opc-compartment": identity.compartment, "opc-tenant": identity.tenancy})
    return Response.json({"token": token})


def _issued_by(leaf: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        leaf.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


ROUTES = [Route("POST", r"/v1/x509", federate, signed_by_instance_certificate, HOSTS)]
SEEDERS: dict = {}
