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
    """

    type: str
    id: str | None = None
    credential: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


ANONYMOUS = Principal("none")
