"""Vault secrets as the emulated cloud keeps them: each secret a list of versions, each version a
set of rotation stages, with OCI's rules for moving stages when a version is added.

OCI's rotation states (the `stage` of GetSecretBundle):

    CURRENT     the version clients read by default; exactly one once the secret has content
    PENDING     a version added without making it current (at most one)
    LATEST      the most recently created version, whatever its other stage
    PREVIOUS    the version that was CURRENT before the present one
    DEPRECATED  any other version

Adding a CURRENT version: the old CURRENT becomes PREVIOUS, the old PREVIOUS becomes DEPRECATED.
Adding a PENDING version: an older PENDING becomes DEPRECATED; CURRENT stays. LATEST moves to the
new version either way.
"""

from __future__ import annotations

import datetime as dt
import secrets as _random
from dataclasses import dataclass, field

from . import realm

STAGES = ("CURRENT", "PENDING", "LATEST", "PREVIOUS", "DEPRECATED")
ADDABLE_STAGES = ("CURRENT", "PENDING")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # OCIDs' unique part is lower-case base32


def new_secret_id() -> str:
    unique = "amaaaaaa" + "".join(_random.choice(_ALPHABET) for _ in range(52))
    return f"ocid1.vaultsecret.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.{unique}"


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 with milliseconds and Z, the way OCI writes times."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SecretVersion:
    number: int
    content: bytes
    stages: list[str]
    name: str | None = None
    time_created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    time_of_expiry: dt.datetime | None = None

    def matches(self, number: int | None, name: str | None, stage: str | None) -> bool:
        return ((number is None or self.number == number) and (name is None or self.name == name)
                and (stage is None or stage in self.stages))


@dataclass
class Secret:
    id: str
    name: str
    vault_id: str
    compartment_id: str
    metadata: dict | None = None
    versions: list[SecretVersion] = field(default_factory=list)

    def add_version(self, content: bytes, *, stage: str = "CURRENT", name: str | None = None,
                    time_of_expiry: dt.datetime | None = None) -> SecretVersion:
        """Append a version in `stage` (CURRENT or PENDING) and move the others' stages as OCI does."""
        if stage not in ADDABLE_STAGES:
            raise ValueError(f"a new version is CURRENT or PENDING, not {stage!r}")
        if name is not None and any(v.name == name for v in self.versions):
            raise ValueError(f"secret {self.name!r} already has a version named {name!r}")
        moves = {"CURRENT": {"CURRENT": "PREVIOUS", "PREVIOUS": "DEPRECATED"},
                 "PENDING": {"PENDING": "DEPRECATED"}}[stage]
        for version in self.versions:
            stages = [moves.get(s, s) for s in version.stages if s not in ("LATEST", "DEPRECATED")]
            version.stages = [s for s in STAGES if s in stages] or ["DEPRECATED"]
        version = SecretVersion(len(self.versions) + 1, content, [stage, "LATEST"], name,
                                time_of_expiry=time_of_expiry)
        self.versions.append(version)
        return version

    def select(self, number: int | None = None, name: str | None = None, stage: str | None = None
               ) -> SecretVersion | None:
        """The version matching every selector given (CURRENT when none is), or None."""
        if number is None and name is None and stage is None:
            stage = "CURRENT"
        return next((v for v in self.versions if v.matches(number, name, stage)), None)
