"""Vault secret bundles: the Secrets data-plane API (`oci.secrets.SecretsClient`), version 20190301.

    GET  /20190301/secretbundles/{secretId}            GetSecretBundle
    POST /20190301/secretbundles/actions/getByName     GetSecretBundleByName (secretName, vaultId in the query)
    GET  /20190301/secretbundles/{secretId}/versions   ListSecretBundleVersions (limit, page, sortBy, sortOrder)

Version selectors (query): `versionNumber`, `secretVersionName`, `stage` (CURRENT, PENDING, LATEST,
PREVIOUS, DEPRECATED); every selector given must match the same version, none means CURRENT.
Content is answered as `secretBundleContent: {contentType: BASE64, content}`.

Like OCI, an unknown secret, an unknown version and a call no policy allows are all 404
NotAuthorizedOrNotFound. `State.deny` refuses by principal type or OCID, secret or vault OCID,
answered 404 (as OCI does) or, to test a client's handling of them, 401 / 403. While policies are
enforced (State.enforce_policies), instance and resource principals also need SECRET_BUNDLE_READ
(`read secret-bundles`, `read secret-family`...) in the secret's compartment; conditions may use
target.secret.id, target.secret.name and target.vault.id.

Seeds: `secret` ({name, content | content_base64 | contents, vault_id?, compartment_id?, stage?,
version_name?, metadata?} or {secret_id, content...} for a new version of a known secret) and `deny`
({subject, status?}).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import TYPE_CHECKING

from .. import realm
from ..iam import authorize
from ..routing import ApiError, Request, Response, Route, not_authenticated, not_found
from ..signature import signed
from ..vault_secrets import STAGES, Secret, SecretVersion, timestamp

if TYPE_CHECKING:
    from ..state import State

HOSTS = (realm.service_host("secrets.vaults", oci_subdomain=True), *realm.LOOPBACK_HOSTS)
API = "/20190301/secretbundles"
MAX_PAGE = 1000


def _check_denial(request: Request, state: State, secret: Secret | None = None) -> None:
    resources = (secret.id, secret.vault_id) if secret is not None else ()
    status = state.denial(request.principal, *resources, service="vault")
    if status == 401:
        raise not_authenticated("The required information to complete authentication was not provided or was "
                                "incorrect (denied by the emulator).")
    if status == 403:
        raise ApiError(403, "NotAuthorized", "You are not authorized to perform this operation (denied by the emulator).")
    if status is not None:
        raise not_found()
    if secret is not None and not authorize(request, state, "SECRET_BUNDLE_READ", secret.compartment_id,
                                            secret_id=secret.id, secret_name=secret.name, vault_id=secret.vault_id):
        raise not_found()


def _int_arg(request: Request, name: str, minimum: int = 1) -> int | None:
    value = request.arg(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, "InvalidParameter", f"{name} must be an integer, not {value!r}.") from None
    if number < minimum:
        raise ApiError(400, "InvalidParameter", f"{name} must be at least {minimum}.")
    return number


def _select(request: Request, secret: Secret) -> SecretVersion:
    number = _int_arg(request, "versionNumber")
    name = request.arg("secretVersionName")
    stage = request.arg("stage")
    if stage is not None and stage not in STAGES:
        raise ApiError(400, "InvalidParameter", f"stage must be one of {', '.join(STAGES)}.")
    version = secret.select(number, name, stage)
    if version is None:
        wanted = ", ".join(f"{k}={v}" for k, v in (("versionNumber", number), ("secretVersionName", name),
                                                    ("stage", stage or (None if number or name else "CURRENT")))
                           if v is not None)
        raise not_found(f"Secret {secret.id} has no version with {wanted}.")
    return version


def _summary(secret: Secret, version: SecretVersion) -> dict:
    return {
        "secretId": secret.id,
        "timeCreated": timestamp(version.time_created),
        "versionNumber": version.number,
        "versionName": version.name,
        "timeOfDeletion": None,
        "timeOfExpiry": timestamp(version.time_of_expiry) if version.time_of_expiry else None,
        "stages": list(version.stages),
    }


def _bundle(secret: Secret, version: SecretVersion) -> Response:
    body = _summary(secret, version) | {
        "secretBundleContent": {"contentType": "BASE64", "content": base64.b64encode(version.content).decode()},
        "metadata": secret.metadata,
    }
    etag = hashlib.sha256(f"{secret.id}/{version.number}/{','.join(version.stages)}".encode()).hexdigest()
    return Response.json(body, headers={"etag": etag})


def _secret_in_path(request: Request, state: State):
    """The secret the URL's OCID names, after the denial checks a read of it gets."""
    _check_denial(request, state)
    secret = state.secret(request.params["secret_id"])
    if secret is None:
        raise not_found()
    _check_denial(request, state, secret)
    return secret


def get_secret_bundle(request: Request, state: State) -> Response:
    secret = _secret_in_path(request, state)
    with state.lock:
        return _bundle(secret, _select(request, secret))


def get_secret_bundle_by_name(request: Request, state: State) -> Response:
    _check_denial(request, state)
    name, vault_id = request.arg("secretName"), request.arg("vaultId")
    if not name or not vault_id:
        raise ApiError(400, "MissingParameter", "secretName and vaultId are required.")
    secret = state.secret_by_name(name, vault_id)
    if secret is None:
        raise not_found()
    _check_denial(request, state, secret)
    with state.lock:
        return _bundle(secret, _select(request, secret))


def list_secret_bundle_versions(request: Request, state: State) -> Response:
    secret = _secret_in_path(request, state)
    limit = min(_int_arg(request, "limit") or MAX_PAGE, MAX_PAGE)
    start = _int_arg(request, "page", minimum=0) or 0
    if request.arg("sortBy", "VERSION_NUMBER") != "VERSION_NUMBER":
        raise ApiError(400, "InvalidParameter", "sortBy must be VERSION_NUMBER.")
    order = request.arg("sortOrder", "DESC")  # OCI: "The default order for VERSION_NUMBER is descending."
    if order not in ("ASC", "DESC"):
        raise ApiError(400, "InvalidParameter", "sortOrder must be ASC or DESC.")
    with state.lock:
        versions = sorted(secret.versions, key=lambda v: v.number, reverse=order == "DESC")
        page = [_summary(secret, v) for v in versions[start:start + limit]]
    headers = {"opc-next-page": str(start + limit)} if start + limit < len(versions) else {}
    return Response.json(page, headers=headers)


def _seed_content(body: dict) -> bytes | str | list:
    given = [key for key in ("content", "content_base64", "contents") if key in body]
    if len(given) != 1:
        raise ApiError(400, "InvalidParameter", "give exactly one of content, content_base64, contents")
    if given[0] == "content_base64":
        try:
            return base64.b64decode(body["content_base64"], validate=True)
        except (binascii.Error, TypeError):
            raise ApiError(400, "InvalidParameter", "content_base64 is not base64") from None
    value = body[given[0]]
    if given[0] == "contents" and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise ApiError(400, "InvalidParameter", "contents must be a non-empty list of strings")
    if given[0] == "content" and not isinstance(value, str):
        raise ApiError(400, "InvalidParameter", "content must be a string")
    return value


def seed_secret(state: State, body: dict) -> dict:
    """{"name", "content" | "content_base64" | "contents": [...], "vault_id"?, "compartment_id"?, "stage"?,
    "version_name"?, "metadata"?} -> {"secret_id", "vault_id", "version_number"}; with "secret_id"
    instead of "name": one more version of that secret."""
    content = _seed_content(body)
    stage = body.get("stage", "CURRENT")
    try:
        if body.get("secret_id"):
            if isinstance(content, list):
                raise ValueError("a new version takes one content")
            secret_id = body["secret_id"]
            if state.secret(secret_id) is None:
                raise ApiError(404, "NotAuthorizedOrNotFound", f"no secret {secret_id}")
            state.add_secret_version(secret_id, content, stage=stage, version_name=body.get("version_name"))
        else:
            if not body.get("name"):
                raise ValueError("name (or secret_id) is required")
            secret_id = state.add_secret(body["name"], content, vault_id=body.get("vault_id", realm.VAULT),
                                         compartment_id=body.get("compartment_id", realm.COMPARTMENT), stage=stage,
                                         version_name=body.get("version_name"), metadata=body.get("metadata"))
    except ValueError as exc:
        raise ApiError(400, "InvalidParameter", str(exc)) from None
    secret = state.secret(secret_id)
    return {"secret_id": secret.id, "vault_id": secret.vault_id, "version_number": len(secret.versions)}


def seed_deny(state: State, body: dict) -> dict:
    """{"subject": principal type | principal OCID | secret OCID | vault OCID | bucket name | compartment OCID,
    "status"?: 404 | 401 | 403, "service"?: "vault" | "object_storage"} (see State.deny)"""
    if not body.get("subject"):
        raise ApiError(400, "InvalidParameter", "subject is required")
    status, service = body.get("status", 404), body.get("service")
    try:
        state.deny(body["subject"], status=status, service=service)
    except ValueError as exc:
        raise ApiError(400, "InvalidParameter", str(exc)) from None
    return {"subject": body["subject"], "status": status} | ({"service": service} if service else {})


ROUTES = [
    Route("GET", rf"{API}/(?P<secret_id>[^/]+)/versions", list_secret_bundle_versions, signed, HOSTS),
    Route("POST", rf"{API}/actions/getByName", get_secret_bundle_by_name, signed, HOSTS),
    Route("GET", rf"{API}/(?P<secret_id>[^/]+)", get_secret_bundle, signed, HOSTS),
]
SEEDERS = {"secret": seed_secret, "deny": seed_deny}
