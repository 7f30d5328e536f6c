"""The JWTs the emulator hands out and later accepts.

Two kinds, both RS256 and signed with the emulator's token key:

* security tokens (what OCI's auth service issues: instance-principal federation tokens, resource
  principal session tokens, `oci session authenticate` tokens). The client signs requests with its
  own session key and sends `keyId="ST$<token>"`; the token's `jwk` claim carries that session
  public key, which is how the emulator verifies the request signature.
* OCIR registry tokens, shaped for docker/distribution's `auth: token` mode (iss/aud/access claims,
  an `x5c` header chained to the test CA), so a local `docker-registry` can trust them.

The SDK never verifies token signatures; it only reads `exp`/`iat` and a few claims. The emulator
does verify them, so a token it did not issue, or one that expired, is refused.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SECURITY_TOKEN_ISSUER = "authService.oracle.com"
REGISTRY_TOKEN_ISSUER = "ocir-emulator"


class TokenError(Exception):
    """A token that is malformed, expired, or not issued by this emulator."""


def _b64url_uint(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def _b64url_to_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def public_jwk(public_key: rsa.RSAPublicKey) -> dict:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "session",
            "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def public_key_from_jwk(jwk: dict) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(_b64url_to_int(jwk["e"]), _b64url_to_int(jwk["n"])).public_key()


@dataclass
class TokenIssuer:
    """Mints and verifies the emulator's tokens. `cert` (issued by the test CA) is the registry's trust anchor."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    def security_token(self, session_public_key: rsa.RSAPublicKey, *, ttype: str, subject: str,
                       claims: dict | None = None, lifetime: int = 3600) -> str:
        """A security token bound to `session_public_key` (the key the client will sign with)."""
        now = int(time.time())
        payload = {"iss": SECURITY_TOKEN_ISSUER, "aud": "oci", "sub": subject, "ttype": ttype,
                   "iat": now, "nbf": now - 60, "exp": now + lifetime, "jti": str(uuid.uuid4()),
                   "jwk": json.dumps(public_jwk(session_public_key))}
        payload.update(claims or {})
        return jwt.encode(payload, self.key, algorithm="RS256")

    def verify_security_token(self, token: str) -> tuple[dict, rsa.RSAPublicKey]:
        """Claims and session public key of a valid security token; TokenError otherwise."""
        claims = self._decode(token, SECURITY_TOKEN_ISSUER)
        try:
            return claims, public_key_from_jwk(json.loads(claims["jwk"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise TokenError(f"security token has no usable jwk claim ({exc})") from None

    def registry_token(self, *, subject: str, audience: str, access: list[dict], principal: dict,
                       lifetime: int = 3600) -> str:
        """A token docker/distribution accepts (`auth: token`, rootcertbundle = the test CA).

        `principal` records who obtained it, so a later BEARER_TOKEN exchange keeps that identity.
        """
        now = int(time.time())
        der = self.cert.public_bytes(serialization.Encoding.DER)
        payload = {"iss": REGISTRY_TOKEN_ISSUER, "sub": subject, "aud": audience, "iat": now,
                   "nbf": now - 60, "exp": now + lifetime, "jti": uuid.uuid4().hex, "access": access,
                   "principal": principal}
        return jwt.encode(payload, self.key, algorithm="RS256",
                          headers={"x5c": [base64.b64encode(der).decode()]})

    def verify_registry_token(self, token: str) -> dict:
        return self._decode(token, REGISTRY_TOKEN_ISSUER)

    def _decode(self, token: str, issuer: str) -> dict:
        try:
            return jwt.decode(token, self.key.public_key(), algorithms=["RS256"], issuer=issuer,
                              options={"verify_aud": False, "require": ["exp", "iat", "sub"]})
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from None
