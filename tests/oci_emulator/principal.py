"""Who made a request, as recorded in the request log."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Principal:
    """The identity a request proved.

    type        api_key | security_token (a user's session token) | auth_token (an OCIR auth token)
                | instance_principal | resource_principal | none
    id          the user, instance or resource OCID (the "<namespace>/<user>" name for auth tokens)
    credential  how it was proved: api_key | security_token | x509 (instance certificate, federation
                only) | registry_token (OCIR BEARER_TOKEN) | auth_token | None

    What dynamic-group matching rules read (iam_language.principal_variables), from the principal's
    token or certificate; not in the request log, whose `principal` stays {type, id, credential}:

    tenancy        the principal's tenancy OCID
    compartment    the instance's or resource's compartment OCID
    resource_type  a resource principal's resource type (`res_type`: computecontainerinstance, ...)
    """

    type: str
    id: str | None = None
    credential: str | None = None
    tenancy: str | None = None
    compartment: str | None = None
    resource_type: str | None = None

    def as_dict(self) -> dict:
        """{type, id, credential}: how the request log shows the principal."""
        return {"type": self.type, "id": self.id, "credential": self.credential}

    def claims(self) -> dict:
        """Every field, for a token that must carry the principal on (OCIR registry tokens)."""
        return asdict(self)

    @classmethod
    def from_claims(cls, claims: dict, credential: str | None = None) -> Principal:
        """The principal `claims()` recorded, proved this time by `credential` (when given)."""
        return cls(claims.get("type", "none"), claims.get("id"), credential or claims.get("credential"),
                   claims.get("tenancy"), claims.get("compartment"), claims.get("resource_type"))


ANONYMOUS = Principal("none")
