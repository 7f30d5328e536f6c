"""OCI request signatures, verified as OCI does, so a client that works here signs correctly there.

OCI signs requests with draft-cavage HTTP signatures (rsa-sha256). The Authorization header names
the key (`keyId`) and the headers covered; the signing string is those headers, `(request-target)`
being "<method> <path?query>". Three kinds of keyId:

    <tenancy>/<user>/<fingerprint>      a user's API key (registered in State)
    ST$<jwt>                            a security token this emulator issued; its `jwk` claim is
                                        the session key the request was signed with
    <tenancy>/fed-x509/<fingerprint>    an instance certificate; only the federation endpoint
                                        accepts it (that is how an instance gets its token)

Rules enforced: date (or x-date), (request-target) and host are signed (host carries the port when
the client used one; the federation signer leaves host out, as the SDK's does); POST and PATCH also
sign content-length, content-type and x-content-sha256; a signed x-content-sha256 must match the
body (PUT may leave the body unsigned: Object Storage uploads stream it); the date is within
5 minutes; tokens are unexpired and issued here.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
import time
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .principal import Principal
from .routing import Request, not_authenticated
from .tokens import TokenError

if TYPE_CHECKING:
    from .state import State

MAX_CLOCK_SKEW = 300  # seconds, as OCI allows
BODY_HEADERS = ("content-length", "content-type", "x-content-sha256")
_PARAM = re.compile(r'(\w+)="([^"]*)"')
# Security-token types (the `ttype` claim) and the principal each one stands for.
_TOKEN_PRINCIPALS = {"x509": "instance_principal", "res": "resource_principal"}


def signed(request: Request, state: State) -> Principal:
    """Policy of ordinary API routes: an API key or a security token."""
    return _verify(request, state, federation=False)


def signed_by_instance_certificate(request: Request, state: State) -> Principal:
    """Policy of the federation endpoint: an instance certificate (fed-x509 keyId) only."""
    return _verify(request, state, federation=True)


def _verify(request: Request, state: State, *, federation: bool) -> Principal:
    params = _parse_authorization(request.headers.get("authorization", ""))
    key_id = params.get("keyId", "")
    if ("/fed-x509/" in key_id) != federation:
        raise not_authenticated("Instance certificates (fed-x509 keys) only authenticate the federation "
                                "endpoint, and it accepts nothing else.")
    signed_headers = params.get("headers", "date").lower().split()
    _check_coverage(request.method, signed_headers, host_required=not federation)
    public_key, principal = _resolve_key(key_id, state)
    try:
        public_key.verify(base64.b64decode(params.get("signature", "")), _signing_string(request, signed_headers),
                          padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise not_authenticated("The signature does not verify with the key named in keyId "
                                "(wrong key, or a signed header changed in transit).") from None
    _check_date(request, signed_headers)
    if "x-content-sha256" in signed_headers:
        digest = base64.b64encode(hashlib.sha256(request.body).digest()).decode()
        if digest != request.headers.get("x-content-sha256"):
            raise not_authenticated("x-content-sha256 does not match the request body.")
    return principal


def _parse_authorization(value: str) -> dict[str, str]:
    scheme, _, rest = value.partition(" ")
    if scheme.lower() != "signature":
        raise not_authenticated("The required information to complete authentication was not provided "
                                "(no OCI request signature).")
    params = dict(_PARAM.findall(rest))
    if params.get("algorithm", "rsa-sha256") != "rsa-sha256" or params.get("version", "1") != "1":
        raise not_authenticated("Only signature version 1 with rsa-sha256 is supported.")
    if not params.get("keyId") or not params.get("signature"):
        raise not_authenticated("The signature has no keyId or no signature value.")
    return params


def _check_coverage(method: str, signed_headers: list[str], *, host_required: bool) -> None:
    required = ["(request-target)"] + (["host"] if host_required else [])
    if method in ("POST", "PATCH"):
        required += BODY_HEADERS
    missing = [h for h in required if h not in signed_headers]
    if "date" not in signed_headers and "x-date" not in signed_headers:
        missing.insert(0, "date")
    if missing:
        raise not_authenticated(f"The signature must cover: {', '.join(missing)}.")


def _resolve_key(key_id: str, state: State) -> tuple[rsa.RSAPublicKey, Principal]:
    if key_id.startswith("ST$"):
        try:
            claims, session_key = state.credentials.issuer.verify_security_token(key_id[3:])
        except TokenError as exc:
            raise not_authenticated(f"The security token is not valid: {exc}.") from None
        principal_type = _TOKEN_PRINCIPALS.get(claims.get("ttype"), "security_token")
        return session_key, _token_principal(principal_type, claims)
    if "/fed-x509/" in key_id:
        tenancy, _, fingerprint = key_id.partition("/fed-x509/")
        identity = state.instance(fingerprint.upper())
        if identity is None or identity.tenancy != tenancy:
            raise not_authenticated(f"No instance certificate with fingerprint {fingerprint} in tenancy {tenancy}.")
        return identity.cert.public_key(), Principal("instance_principal", identity.instance_id, "x509",
                                                     tenancy=identity.tenancy, compartment=identity.compartment)
    found = state.api_key(key_id)
    if found is None:
        raise not_authenticated(f"No API key {key_id} (tenancy/user/fingerprint) is registered.")
    public_key, user = found
    return public_key, Principal("api_key", user, "api_key")


def _token_principal(principal_type: str, claims: dict) -> Principal:
    """The principal a security token stands for, with the attributes matching rules read: instance
    tokens carry opc-compartment / opc-tenant (auth.federate), RPSTs res_compartment / res_tenant /
    res_type / res_id (credentials.write_resource_principal), user sessions their tenant."""
    if principal_type == "resource_principal":
        return Principal(principal_type, claims.get("res_id") or claims["sub"], "security_token",
                         tenancy=claims.get("res_tenant"), compartment=claims.get("res_compartment"),
                         resource_type=claims.get("res_type"))
    if principal_type == "instance_principal":
        return Principal(principal_type, claims["sub"], "security_token",
                         tenancy=claims.get("opc-tenant") or claims.get("tenant"),
                         compartment=claims.get("opc-compartment"))
    return Principal(principal_type, claims["sub"], "security_token", tenancy=claims.get("tenant"))


def _signing_string(request: Request, signed_headers: list[str]) -> bytes:
    lines = []
    for name in signed_headers:
        if name == "(request-target)":
            lines.append(f"(request-target): {request.method.lower()} {request.target}")
            continue
        value = request.headers.get(name)
        if value is None:
            raise not_authenticated(f"The signed header {name} is not in the request.")
        lines.append(f"{name}: {value}")
    return "\n".join(lines).encode()


def _check_date(request: Request, signed_headers: list[str]) -> None:
    name = "x-date" if "x-date" in signed_headers else "date"
    try:
        sent = email.utils.parsedate_to_datetime(request.headers.get(name, "")).timestamp()
    except (TypeError, ValueError):
        raise not_authenticated(f"The {name} header is not an HTTP date.") from None
    if abs(time.time() - sent) > MAX_CLOCK_SKEW:
        raise not_authenticated(f"The {name} header is more than {MAX_CLOCK_SKEW} s away from the "
                                "emulator's clock (an expired or replayed request).")
