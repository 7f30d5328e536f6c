"""Everything the emulated cloud knows, and the seed methods tests use to change it.

Services read and change the state only through this object, under its lock. `reset()` brings it
back to how the emulator started: the credentials from `Credentials` registered, nothing else, an
empty request log. Each service keeps its data here, with a seed method and a line in `reset()`.

Vault secrets (`add_secret`, `add_secret_version`) live in `secrets`; `deny` emulates an IAM policy
that does not let a principal read a secret (see `denial`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import threading
from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from . import realm
from .credentials import Credentials, InstanceIdentity
from .pki import api_key_fingerprint
from .principal import Principal
from .requestlog import RequestLog
from .vault_secrets import Secret, new_secret_id

SecretContent = bytes | str
# How a denied request is answered: 404 is what OCI answers when a policy does not allow the call
# (indistinguishable from a missing resource); 401 and 403 are the refusals a client can tell apart.
DENIAL_STATUSES = (404, 401, 403)


class State:
    def __init__(self, credentials: Credentials, log: RequestLog):
        self.credentials = credentials
        self.log = log
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.namespace = realm.NAMESPACE
            self.api_keys: dict[str, tuple[rsa.RSAPublicKey, str]] = {}  # keyId -> (public key, user)
            self.instances: dict[str, InstanceIdentity] = {}  # certificate fingerprint -> identity
            self.auth_tokens: dict[str, str] = {}  # OCIR user name -> auth token
            self.secrets: dict[str, Secret] = {}  # secret OCID -> secret (Vault)
            self.denials: dict[str, int] = {}  # principal type / principal OCID / secret or vault OCID -> status
            self.add_api_key(self.credentials.api_key.key.public_key())
            self.add_instance(self.credentials.instance)
            self.log.clear()

    # -- seeds ---------------------------------------------------------------------------------------
    def add_api_key(self, public_key: rsa.RSAPublicKey | bytes | str, *, user: str = realm.USER,
                    tenancy: str = realm.TENANCY) -> str:
        """Register a user's API signing key (an object or its PEM); returns the keyId it signs with."""
        if isinstance(public_key, (bytes, str)):
            public_key = load_pem_public_key(public_key.encode() if isinstance(public_key, str) else public_key)
        key_id = f"{tenancy}/{user}/{api_key_fingerprint(public_key)}"
        with self.lock:
            self.api_keys[key_id] = (public_key, user)
        return key_id

    def add_instance(self, identity: InstanceIdentity) -> None:
        """Let an instance certificate federate (sign POST /v1/x509)."""
        with self.lock:
            self.instances[identity.fingerprint] = identity

    def add_auth_token(self, username: str, token: str) -> None:
        """An OCIR auth token: `docker login -u <username> -p <token>`, username "<namespace>/<user>"."""
        with self.lock:
            self.auth_tokens[username] = token

    def add_secret(self, name: str, content: SecretContent | Iterable[SecretContent], *,
                   vault_id: str = realm.VAULT, compartment_id: str = realm.COMPARTMENT, stage: str = "CURRENT",
                   version_name: str | None = None, metadata: dict | None = None,
                   time_of_expiry: dt.datetime | None = None) -> str:
        """A Vault secret version with `content` (text is stored as UTF-8); returns the secret OCID.

        The first call for a (name, vault) creates the secret; later calls add a version to it
        (`stage` CURRENT rotates CURRENT -> PREVIOUS -> DEPRECATED, PENDING leaves CURRENT alone).
        A list or tuple of contents adds one version each, in order: `["v1", "v2"]` leaves v2
        CURRENT and v1 PREVIOUS. `version_name` names the (last) version added.
        """
        contents = list(content) if isinstance(content, (list, tuple)) else [content]
        if not contents:
            raise ValueError("no content")
        with self.lock:
            secret = self.secret_by_name(name, vault_id)
            if secret is None:
                secret = Secret(new_secret_id(), name, vault_id, compartment_id, metadata)
                self.secrets[secret.id] = secret
            elif metadata is not None:
                secret.metadata = metadata
            for index, value in enumerate(contents):
                last = index == len(contents) - 1
                secret.add_version(_as_bytes(value), stage=stage if last else "CURRENT",
                                   name=version_name if last else None, time_of_expiry=time_of_expiry if last else None)
            return secret.id

    def add_secret_version(self, secret_id: str, content: SecretContent, *, stage: str = "CURRENT",
                           version_name: str | None = None) -> int:
        """A new version of an existing secret (KeyError if unknown); returns its version number."""
        with self.lock:
            return self.secrets[secret_id].add_version(_as_bytes(content), stage=stage, name=version_name).number

    def deny(self, subject: str, *, status: int = 404) -> None:
        """Refuse Vault secret bundle reads as an IAM policy would: `subject` is a principal type
        (`instance_principal`), a principal OCID (user, instance, resource), a secret OCID or a vault
        OCID. `status` 404 answers NotAuthorizedOrNotFound, exactly as OCI does when no policy allows
        the call; 401 (NotAuthenticated) and 403 (NotAuthorized) emulate the refusals a client can
        tell apart from a missing secret."""
        if status not in DENIAL_STATUSES:
            raise ValueError(f"status must be one of {DENIAL_STATUSES}")
        with self.lock:
            self.denials[subject] = status

    # -- lookups used by authentication ----------------------------------------------------------------
    def api_key(self, key_id: str) -> tuple[rsa.RSAPublicKey, str] | None:
        with self.lock:
            return self.api_keys.get(key_id)

    def instance(self, fingerprint: str) -> InstanceIdentity | None:
        with self.lock:
            return self.instances.get(fingerprint)

    def auth_token_valid(self, username: str, token: str) -> bool:
        with self.lock:
            expected = self.auth_tokens.get(username)
        return expected is not None and hmac.compare_digest(expected, token)

    # -- lookups used by services ----------------------------------------------------------------------
    def secret(self, secret_id: str) -> Secret | None:
        with self.lock:
            return self.secrets.get(secret_id)

    def secret_by_name(self, name: str, vault_id: str) -> Secret | None:
        with self.lock:
            return next((s for s in self.secrets.values() if s.name == name and s.vault_id == vault_id), None)

    def denial(self, principal: Principal, secret: Secret | None = None) -> int | None:
        """The status a `deny` imposes on this principal (and secret, when given), or None."""
        subjects = [principal.type, principal.id]
        if secret is not None:
            subjects += [secret.id, secret.vault_id]
        with self.lock:
            return next((self.denials[s] for s in subjects if s and s in self.denials), None)


def _as_bytes(content: SecretContent) -> bytes:
    if isinstance(content, str):
        return content.encode()
    if isinstance(content, (bytes, bytearray)):
        return bytes(content)
    raise TypeError(f"secret content must be bytes or str, not {type(content).__name__}")

