"""Everything the emulated cloud knows, and the seed methods tests use to change it.

Services read and change the state only through this object, under its lock. `reset()` brings it
back to how the emulator started: the credentials from `Credentials` registered, nothing else, an
empty request log. Each service keeps its data here, with a seed method and a line in `reset()`.

The Virtual Network (VCNs, subnets, security lists, VNICs, the 412 hook) is `network`, a
`networks.Network` with its own seed methods; a fresh one after each `reset()`.

Vault secrets (`add_secret`, `add_secret_version`) live in `secrets`; Object Storage buckets
(`add_bucket`, `put_object`, read back with `objects` / `object_bytes`) in `buckets`, multipart
uploads in flight in `uploads`. `deny` emulates an IAM policy that does not let a principal use a
service or a resource (see `denial`). Named instances (`add_named_instance`), each with its own
metadata document and certificate, are the one seed that survives `reset()`.

Identity (iam.py): `compartments` (the tenancy and its default compartment, `add_compartment`),
`dynamic_groups` (`add_dynamic_group`) and `policies` (`add_policy`), which the services check only
while `enforce_policies(True)` is in force (off at the start and after `reset()`); `repositories`
places OCIR repositories in compartments for those checks (`add_repository`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import threading
import time
from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from . import realm
from .credentials import Credentials, InstanceIdentity
from .networks import Network
from .pki import api_key_fingerprint
from .principal import Principal
from .requestlog import RequestLog
from .buckets import Bucket, MultipartUpload, StoredObject
from .iam import (
    DEFAULT_ACTIVATION_SECONDS,
    Compartment,
    DynamicGroup,
    Policy,
    default_compartments,
    new_ocid,
    parse_statements,
)
from .iam_language import parse_matching_rule
from .vault_secrets import Secret, new_secret_id

SecretContent = bytes | str
ObjectContent = bytes | bytearray | memoryview | str
# How a denied request is answered: 404 is what OCI answers when a policy does not allow the call
# (indistinguishable from a missing resource); 401 and 403 are the refusals a client can tell apart.
DENIAL_STATUSES = (404, 401, 403)
# The services that check `deny`, as named in State.deny(service=...) and the request log's `service`.
POLICY_SERVICES = ("vault", "object_storage")


class State:
    def __init__(self, credentials: Credentials, log: RequestLog):
        self.credentials = credentials
        self.log = log
        self.lock = threading.RLock()
        # Named instances (add_named_instance) are machines, not per-test data: they outlive reset(),
        # as test hosts that carry their identity outlive each test that resets the emulator.
        self.named_instances: dict[str, InstanceIdentity] = {}  # name -> identity
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.namespace = realm.NAMESPACE
            self.api_keys: dict[str, tuple[rsa.RSAPublicKey, str]] = {}  # keyId -> (public key, user)
            self.instances: dict[str, InstanceIdentity] = {}  # certificate fingerprint -> identity
            self.auth_tokens: dict[str, str] = {}  # OCIR user name -> auth token
            self.secrets: dict[str, Secret] = {}  # secret OCID -> secret (Vault)
            self.buckets: dict[str, Bucket] = {}  # bucket name -> bucket (one namespace, names unique in it)
            self.network = Network(self.lock)  # VCNs, subnets, security lists, VNICs (networks.py)
            self.uploads: dict[str, MultipartUpload] = {}  # upload id -> multipart upload in flight
            # (service or None for every service, subject) -> status; see deny()
            self.denials: dict[tuple[str | None, str], int] = {}
            # Identity (iam.py): OCID -> compartment / dynamic group / policy; enforcement off (see enforce_policies)
            self.compartments: dict[str, Compartment] = default_compartments()
            self.dynamic_groups: dict[str, DynamicGroup] = {}
            self.policies: dict[str, Policy] = {}
            self.policy_enforcement = False
            self.iam_activation_seconds: float | None = DEFAULT_ACTIVATION_SECONDS
            self.retry_tokens: dict[tuple[str, str], str] = {}  # (kind, opc-retry-token) -> OCID it created
            self.repositories: dict[str, str] = {}  # OCIR repository name (without namespace) -> compartment OCID
            self.add_api_key(self.credentials.api_key.key.public_key())
            self.add_instance(self.credentials.instance)
            for identity in self.named_instances.values():
                self.add_instance(identity)
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

    def add_named_instance(self, name: str, *, compartment_id: str | None = None) -> InstanceIdentity:
        """One more compute instance of the tenancy, served at /instances/<name>/opc/v2/: its own OCID
        (realm.named_instance_id) and leaf certificate from the shared intermediate, the default
        tenancy, the compartment `compartment_id` (default realm.COMPARTMENT), `name` as display name and
        host name. Its certificate federates. Seeding a name again returns the instance it already has
        (ValueError if it names another compartment); reset() keeps named instances."""
        if not re.fullmatch(realm.INSTANCE_NAME_PATTERN, name or ""):
            raise ValueError(f"instance name {name!r} is not a host-name label")
        with self.lock:
            identity = self.named_instances.get(name)
            if identity is not None and compartment_id not in (None, identity.compartment):
                raise ValueError(f"instance {name!r} is already in compartment {identity.compartment}")
            if identity is None:
                identity = InstanceIdentity.create(self.credentials.instance_ca,
                                                   instance_id=realm.named_instance_id(name), name=name,
                                                   compartment=compartment_id or realm.COMPARTMENT)
                self.named_instances[name] = identity
            self.add_instance(identity)
            return identity

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

    def add_bucket(self, name: str, *, compartment_id: str = realm.COMPARTMENT,
                   metadata: dict[str, str] | None = None, created_by: str | None = None) -> Bucket:
        """An Object Storage bucket in the tenancy's namespace; an existing one of that name is kept
        and returned as it is (seeding twice is harmless)."""
        with self.lock:
            if name not in self.buckets:
                self.buckets[name] = Bucket(name, compartment_id, self.namespace, created_by or realm.USER,
                                            dict(metadata or {}))
            return self.buckets[name]

    def put_object(self, bucket: str, name: str, content: ObjectContent, *,
                   content_type: str = "application/octet-stream",
                   metadata: dict[str, str] | None = None) -> StoredObject:
        """Store (or overwrite) object `name` in `bucket` (KeyError if there is no such bucket);
        text is stored as UTF-8. `metadata` are the opc-meta-* names without the prefix."""
        data = content.encode() if isinstance(content, str) else bytes(content)
        meta = {f"opc-meta-{key.lower()}": value for key, value in (metadata or {}).items()}
        return self.store_object(bucket, StoredObject(name, data, content_type, meta))

    def store_object(self, bucket: str, stored: StoredObject) -> StoredObject:
        """Put a made object in place (what PutObject, a multipart commit and put_object end with)."""
        with self.lock:
            self.buckets[bucket].objects[stored.name] = stored
            return stored

    def deny(self, subject: str, *, status: int = 404, service: str | None = None) -> None:
        """Refuse calls as an IAM policy that does not allow them would.

        `subject` is a principal type (`instance_principal`, `api_key`, ...) or a principal OCID
        (user, instance, resource), which refuses that principal's calls, or a resource: a Vault
        secret or vault OCID, an Object Storage bucket name or compartment OCID. `service` limits the
        denial to one service ("vault" or "object_storage"); None means every service that checks
        policies (GetNamespace never does: OCI answers it to anyone authenticated).
        `status` 404 answers NotAuthorizedOrNotFound (BucketNotFound / ObjectNotFound in Object
        Storage), exactly as OCI does when no policy allows the call; 401 (NotAuthenticated) and 403
        (NotAuthorized) emulate the refusals a client can tell apart from a missing resource."""
        if status not in DENIAL_STATUSES:
            raise ValueError(f"status must be one of {DENIAL_STATUSES}")
        if service is not None and service not in POLICY_SERVICES:
            raise ValueError(f"service must be one of {POLICY_SERVICES} (or none for all)")
        with self.lock:
            self.denials[(service, subject)] = status

    # -- identity ----------------------------------------------------------------------------------------
    def enforce_policies(self, enabled: bool = True) -> None:
        """Switch IAM policy enforcement for instance and resource principals (iam.py); reset() turns it off."""
        with self.lock:
            self.policy_enforcement = bool(enabled)

    def add_compartment(self, name: str, *, parent_id: str = realm.TENANCY, description: str = "") -> Compartment:
        """A compartment below `parent_id` (KeyError if unknown); an existing one of that name there is returned."""
        with self.lock:
            if parent_id not in self.compartments:
                raise KeyError(f"no compartment {parent_id}")
            found = next((c for c in self.compartments.values()
                          if c.parent_id == parent_id and c.name.lower() == name.lower()), None)
            if found is None:
                found = Compartment(new_ocid("compartment"), name, parent_id, description)
                self.compartments[found.id] = found
            return found

    def activation_time(self) -> float | None:
        """When a dynamic group or policy created now becomes ACTIVE (time.monotonic()), None for never."""
        delay = self.iam_activation_seconds
        return None if delay is None else time.monotonic() + delay

    def add_dynamic_group(self, name: str, matching_rule: str, *, description: str = "",
                          active: bool = True) -> DynamicGroup:
        """A dynamic group (ACTIVE at once unless `active=False`: then as if just created through the API).
        RuleError for a rule outside the understood subset, ValueError for a name that is taken."""
        rule = parse_matching_rule(matching_rule)
        with self.lock:
            if any(g.name.lower() == name.lower() for g in self.dynamic_groups.values()):
                raise ValueError(f"a dynamic group named {name!r} exists")
            group = DynamicGroup(id=new_ocid("dynamicgroup"), name=name, description=description or name,
                                 matching_rule=matching_rule, rule=rule,
                                 active_at=0.0 if active else self.activation_time())
            self.dynamic_groups[group.id] = group
            return group

    def add_policy(self, name: str, statements: list[str], *, compartment_id: str = realm.TENANCY,
                   description: str = "", version_date: dt.date | None = None, active: bool = True) -> Policy:
        """A policy attached to `compartment_id` (ACTIVE at once unless `active=False`). RuleError for a
        statement outside the understood subset, ValueError for a name taken anywhere in the tenancy."""
        with self.lock:
            if compartment_id not in self.compartments:
                raise KeyError(f"no compartment {compartment_id}")
            parsed = parse_statements(self, compartment_id, statements)
            if any(p.name.lower() == name.lower() for p in self.policies.values()):
                raise ValueError(f"a policy named {name!r} exists")
            policy = Policy(id=new_ocid("policy"), compartment_id=compartment_id, name=name,
                            description=description or name, statements=list(statements), parsed=parsed,
                            version_date=version_date, active_at=0.0 if active else self.activation_time())
            self.policies[policy.id] = policy
            return policy

    def dynamic_group_by_name(self, name: str) -> DynamicGroup | None:
        with self.lock:
            return next((g for g in self.dynamic_groups.values() if g.name == name), None)

    def policy_by_name(self, name: str) -> Policy | None:
        with self.lock:
            return next((p for p in self.policies.values() if p.name == name), None)

    def add_repository(self, name: str, *, compartment_id: str = realm.COMPARTMENT) -> None:
        """Place OCIR repository `name` (without the namespace) in a compartment, for policy checks of
        pulls and pushes; a repository never placed is in the tenancy's root compartment, where OCIR
        creates repositories on a first push."""
        with self.lock:
            self.repositories[name] = compartment_id

    # -- lookups used by authentication ----------------------------------------------------------------
    def api_key(self, key_id: str) -> tuple[rsa.RSAPublicKey, str] | None:
        with self.lock:
            return self.api_keys.get(key_id)

    def instance(self, fingerprint: str) -> InstanceIdentity | None:
        with self.lock:
            return self.instances.get(fingerprint)

    def named_instance(self, name: str) -> InstanceIdentity | None:
        with self.lock:
            return self.named_instances.get(name)

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

    def bucket(self, name: str) -> Bucket | None:
        with self.lock:
            return self.buckets.get(name)

    def objects(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """{object name: size} of the objects in `bucket` whose names start with `prefix`, in name
        order (KeyError if there is no such bucket): what a test asserts an upload left behind."""
        with self.lock:
            found = self.buckets[bucket].objects
            return {name: found[name].size for name in sorted(found) if name.startswith(prefix)}

    def object_bytes(self, bucket: str, name: str) -> bytes:
        """The content of an object (KeyError if the bucket or the object is not there)."""
        with self.lock:
            return self.buckets[bucket].objects[name].data

    def denial(self, principal: Principal, *resources: str | None, service: str = "vault") -> int | None:
        """The status a `deny` imposes on this principal's call to `service` touching `resources`
        (secret and vault OCIDs, bucket names, compartment OCIDs), or None."""
        subjects = [principal.type, principal.id, *resources]
        with self.lock:
            return next((self.denials[(scope, s)] for s in subjects if s for scope in (service, None)
                         if (scope, s) in self.denials), None)


def _as_bytes(content: SecretContent) -> bytes:
    if isinstance(content, str):
        return content.encode()
    if isinstance(content, (bytes, bytearray)):
        return bytes(content)
    raise TypeError(f"secret content must be bytes or str, not {type(content).__name__}")

