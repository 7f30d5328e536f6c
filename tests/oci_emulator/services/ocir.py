"""OCIR's docker token endpoint: `GET https://<registry host>/20180419/docker/token`.

Three ways in, as on OCIR:

* an OCI-signed request (any principal): the token exchange behind
  `docker login -u BEARER_TOKEN -p <token>`;
* Basic `BEARER_TOKEN:<token from this endpoint>`: what the docker client sends to the registry's
  token realm after such a login; the new token keeps the original principal;
* Basic `<namespace>/<user>:<auth token>` for a seeded auth token (`state.add_auth_token`).

It answers for any host (the registry host forms are `<key>.ocir.io`, `<region>.ocir.io`,
`ocir.<region>.oci.<domain>`, or the emulator's loopback address when a local docker-registry uses
it as its token realm). The token is also a docker/distribution registry token: `aud` is the
`service` parameter, `access` the requested `scope`s, and its `x5c` chain ends at the test CA.

While policies are enforced (State.enforce_policies), an instance or resource principal gets in its
token only the actions a policy grants it: `pull` needs REPOSITORY_READ (`read repos`), `push`
REPOSITORY_UPDATE (`use repos`) on a repository placed with `State.add_repository`, REPOSITORY_CREATE
(`manage repos`) on one that is not (OCIR creates it, in the root compartment). A scope's repository
is `<namespace>/<name>`; conditions may use target.repo.name (`<name>`). The registry then refuses
the missing actions itself (401/403 `denied`), as OCIR does.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import TYPE_CHECKING

from .. import realm
from ..iam import authorize
from ..principal import Principal
from ..routing import ApiError, Request, Response, Route, not_authenticated
from ..signature import signed
from ..tokens import TokenError

if TYPE_CHECKING:
    from ..state import State

TOKEN_LIFETIME = 3600
BEARER_TOKEN_USER = "BEARER_TOKEN"


def authenticate(request: Request, state: State) -> Principal:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return signed(request, state)
    try:
        username, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise not_authenticated("Malformed Basic credentials.") from None
    if username == BEARER_TOKEN_USER:
        try:
            claims = state.credentials.issuer.verify_registry_token(password)
        except TokenError as exc:
            raise not_authenticated(f"The BEARER_TOKEN password is not a valid OCIR token: {exc}.") from None
        return Principal.from_claims(claims.get("principal") or {}, "registry_token")
    if state.auth_token_valid(username, password):
        return Principal("auth_token", username, "auth_token")
    raise not_authenticated("Unknown user name or wrong auth token.")


def _access(request: Request, state: State, scopes: list[str]) -> list[dict]:
    """docker scopes "repository:<name>:pull,push" as registry token access entries: every action, less
    those a policy does not grant while policies are enforced."""
    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if not kind or not name:
            raise ApiError(400, "InvalidParameter", f"malformed scope {scope!r}")
        granted = [a for a in actions.split(",") if a and (kind != "repository" or _allowed(request, state, name, a))]
        access.append({"type": kind, "name": name, "actions": granted})
    return access


def _allowed(request: Request, state: State, repository: str, action: str) -> bool:
    """The policy check of one action on `<namespace>/<name>` (iam.authorize)."""
    name = repository.split("/", 1)[1] if repository.startswith(f"{state.namespace}/") else repository
    with state.lock:
        compartment = state.repositories.get(name)
    if action == "pull":
        permission = "REPOSITORY_READ"
    else:
        permission = "REPOSITORY_UPDATE" if compartment is not None else "REPOSITORY_CREATE"
    return authorize(request, state, permission, compartment or realm.TENANCY, repo_name=name)


def docker_token(request: Request, state: State) -> Response:
    principal = request.principal
    token = state.credentials.issuer.registry_token(
        subject=principal.id or principal.type, audience=request.arg("service") or request.hostname,
        access=_access(request, state, request.query.get("scope", [])), principal=principal.claims(),
        lifetime=TOKEN_LIFETIME)
    issued_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Response.json({"token": token, "access_token": token, "expires_in": TOKEN_LIFETIME,
                          "issued_at": issued_at})


def seed_auth_token(state: State, body: dict) -> dict:
    """{"username": "<namespace>/<user>", "token": ...}"""
    if not body.get("username") or not body.get("token"):
        raise ApiError(400, "InvalidParameter", "username and token are required")
    state.add_auth_token(body["username"], body["token"])
    return {"username": body["username"]}


ROUTES = [Route("GET", r"/20180419/docker/token", docker_token, authenticate, hosts=None)]
def seed_repository(state: State, body: dict) -> dict:
    """{"name": "<repository without namespace>", "compartment_id"?} (see State.add_repository)"""
    if not body.get("name"):
        raise ApiError(400, "InvalidParameter", "name is required")
    state.add_repository(body["name"], compartment_id=body.get("compartment_id", realm.COMPARTMENT))
    return {"name": body["name"], "compartment_id": state.repositories[body["name"]]}


SEEDERS = {"auth-token": seed_auth_token, "repository": seed_repository}
