"""Everything the emulated cloud knows, and the seed methods tests use to change it.

Services read and change the state only through this object, under its lock. `reset()` brings it
back to how the emulator started: the credentials from `Credentials` registered, nothing else, an
empty request log. Services added later (Vault secrets, Object Storage buckets) keep their data
here too, each with a seed method and a line in `reset()`.
"""

from __future__ import annotations

import hmac
import threading

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from . import realm
from .credentials import Credentials, InstanceIdentity
from .pki import api_key_fingerprint
from .requestlog import RequestLog


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

