"""Identity, API 20160918, as `oci.identity.IdentityClient` uses it: dynamic groups, policies and
compartments (read only), plus the users' API keys, which are a seed.

    POST   /20160918/dynamicGroups               CreateDynamicGroup (compartmentId must be the tenancy)
    GET    /20160918/dynamicGroups?compartmentId= ListDynamicGroups (name, lifecycleState, sortBy, sortOrder,
                                                  limit, page -> opc-next-page)
    GET    /20160918/dynamicGroups/{id}          GetDynamicGroup
    PUT    /20160918/dynamicGroups/{id}          UpdateDynamicGroup (description, matchingRule; if-match)
    DELETE /20160918/dynamicGroups/{id}          DeleteDynamicGroup (if-match)
    POST   /20160918/policies                    CreatePolicy (name unique in the tenancy)
    GET    /20160918/policies?compartmentId=     ListPolicies (as ListDynamicGroups)
    GET    /20160918/policies/{id}               GetPolicy
    PUT    /20160918/policies/{id}               UpdatePolicy (description, statements, versionDate; if-match)
    DELETE /20160918/policies/{id}               DeletePolicy (if-match)
    GET    /20160918/compartments/{id}           GetCompartment (the tenancy too)
    GET    /20160918/compartments?compartmentId= ListCompartments (compartmentIdInSubtree, accessLevel, name)

New dynamic groups and policies are CREATING, then ACTIVE (iam.py). Matching rules and statements
are parsed when they are written: anything outside the understood subset (iam_language.py) is
400 InvalidParameter with the reason. Errors otherwise as OCI spells them: 404 NotAuthorizedOrNotFound,
409 PolicyAlreadyExists / DynamicGroupAlreadyExists (names are unique in the tenancy, whatever their
case and compartment), 412 NoEtagMatch for a stale if-match, 400 InvalidParameter / MissingParameter.
A create with an `opc-retry-token` seen before answers what that create made.

While policies are enforced (State.enforce_policies), instance and resource principals need
DYNAMIC_GROUP_* (inspect/manage dynamic-groups in tenancy), POLICY_* (inspect/manage policies) and
COMPARTMENT_INSPECT (inspect compartments) here too.

Seeds: `api-key`, `compartment` ({name, parent_id?, description?}), `dynamic-group` ({name,
matching_rule, description?}), `policy` ({name, statements, compartment_id?, description?,
version_date?}), `policy-enforcement` ({enabled}) and `identity-lifecycle` ({activation_seconds: number
| null}).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from .. import realm
from ..iam import Compartment, DynamicGroup, Policy, authorize, new_etag, new_ocid, parse_statements
from ..iam_language import RuleError, parse_matching_rule
from ..routing import ApiError, Request, Response, Route, not_found
from ..signature import signed

if TYPE_CHECKING:
    from ..state import State

HOSTS = (realm.service_host("identity", oci_subdomain=True), *realm.LOOPBACK_HOSTS)
API = "/20160918"
MAX_PAGE = 1000
NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
MAX_DESCRIPTION = 400


def _invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message)


def _require(request: Request, state: State, permission: str, compartment_id: str | None) -> None:
    """The policy check (iam.authorize): a denial answers as a missing resource does."""
    if not authorize(request, state, permission, compartment_id):
        raise not_found()


def _compartment(state: State, compartment_id: str | None) -> Compartment:
    if not compartment_id:
        raise ApiError(400, "MissingParameter", "compartmentId is required.")
    found = state.compartments.get(compartment_id)
    if found is None:
        raise not_found(f"Compartment {compartment_id} not found or not authorized.")
    return found


def _check_name(name) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise _invalid("name must be 1 to 100 letters, digits, '.', '_' or '-'.")
    return name


def _check_description(description, required: bool) -> str | None:
    if description is None and not required:
        return None
    if not isinstance(description, str) or not description or len(description) > MAX_DESCRIPTION:
        raise _invalid(f"description is required: 1 to {MAX_DESCRIPTION} characters.")
    return description


def _check_if_match(request: Request, etag: str) -> None:
    sent = request.headers.get("if-match")
    if sent and sent != etag:
        raise ApiError(412, "NoEtagMatch", f"The if-match ETag {sent} does not match the resource's ETag.")


def _version_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        raise _invalid(f"versionDate {value!r} is not a date (YYYY-MM-DD).") from None


def _one(resource, extra_headers: dict | None = None) -> Response:
    return Response.json(resource.as_json(), headers={"etag": resource.etag, **(extra_headers or {})})


def _page(request: Request, items: list, key_name) -> Response:
    """Sorted (sortBy TIMECREATED | NAME, sortOrder ASC | DESC), filtered (name, lifecycleState), paged."""
    sort_by = request.arg("sortBy", "TIMECREATED")
    order = request.arg("sortOrder", "ASC")
    if sort_by not in ("TIMECREATED", "NAME") or order not in ("ASC", "DESC"):
        raise _invalid("sortBy must be TIMECREATED or NAME, sortOrder ASC or DESC.")
    name, lifecycle_state = request.arg("name"), request.arg("lifecycleState")
    items = [i for i in items if (name is None or i.name == name)
             and (lifecycle_state is None or getattr(i, "lifecycle_state", "ACTIVE") == lifecycle_state)]
    items.sort(key=(lambda i: i.name.lower()) if sort_by == "NAME" else (lambda i: i.time_created),
               reverse=order == "DESC")
    try:
        limit = int(request.arg("limit", str(MAX_PAGE)))
        start = int(request.arg("page", "0"))
    except ValueError:
        raise _invalid("limit and page must be integers.") from None
    limit = max(1, min(limit, MAX_PAGE))
    page = items[start:start + limit]
    headers = {"opc-next-page": str(start + limit)} if start + limit < len(items) else {}
    return Response.json([key_name(i) for i in page], headers=headers)


def _retried(request: Request, state: State, kind: str, found: dict):
    """What an earlier create with this request's opc-retry-token made (or None)."""
    token = request.headers.get("opc-retry-token")
    if not token:
        return None
    return found.get(state.retry_tokens.get((kind, token), ""))


def _remember(request: Request, state: State, kind: str, ocid: str) -> None:
    token = request.headers.get("opc-retry-token")
    if token:
        state.retry_tokens[(kind, token)] = ocid


# -- dynamic groups ---------------------------------------------------------------------------------------
def _matching_rule(text) -> tuple[str, object]:
    if not isinstance(text, str) or not text.strip():
        raise _invalid("matchingRule is required.")
    try:
        return text, parse_matching_rule(text)
    except RuleError as exc:
        raise _invalid(f"matchingRule {text!r}: {exc}. The emulator understands a subset of the matching rule "
                       "language (tests/oci_emulator/iam_language.py).") from None


def _dynamic_group(request: Request, state: State) -> DynamicGroup:
    group = state.dynamic_groups.get(request.params["id"])
    if group is None:
        raise not_found()
    return group


def create_dynamic_group(request: Request, state: State) -> Response:
    details = request.json()
    compartment_id = details.get("compartmentId")
    if not compartment_id:
        raise ApiError(400, "MissingParameter", "compartmentId is required.")
    _require(request, state, "DYNAMIC_GROUP_CREATE", realm.TENANCY)
    if compartment_id != realm.TENANCY:
        raise _invalid("Dynamic group can only be created in the tenancy compartment.")
    name = _check_name(details.get("name"))
    description = _check_description(details.get("description"), required=True)
    text, rule = _matching_rule(details.get("matchingRule"))
    with state.lock:
        earlier = _retried(request, state, "dynamicgroup", state.dynamic_groups)
        if earlier is not None:
            return _one(earlier)
        if any(g.name.lower() == name.lower() for g in state.dynamic_groups.values()):
            raise ApiError(409, "DynamicGroupAlreadyExists", f"Dynamic group '{name}' already exists.")
        group = DynamicGroup(id=new_ocid("dynamicgroup"), name=name, description=description, matching_rule=text,
                             rule=rule, active_at=state.activation_time())
        state.dynamic_groups[group.id] = group
        _remember(request, state, "dynamicgroup", group.id)
    return _one(group)


def list_dynamic_groups(request: Request, state: State) -> Response:
    compartment_id = request.arg("compartmentId")
    _compartment(state, compartment_id)
    _require(request, state, "DYNAMIC_GROUP_INSPECT", realm.TENANCY)
    with state.lock:
        groups = list(state.dynamic_groups.values()) if compartment_id == realm.TENANCY else []
        return _page(request, groups, DynamicGroup.as_json)


def get_dynamic_group(request: Request, state: State) -> Response:
    _require(request, state, "DYNAMIC_GROUP_INSPECT", realm.TENANCY)
    with state.lock:
        return _one(_dynamic_group(request, state))


def update_dynamic_group(request: Request, state: State) -> Response:
    details = request.json()
    _require(request, state, "DYNAMIC_GROUP_UPDATE", realm.TENANCY)
    description = _check_description(details.get("description"), required=False)
    rule = _matching_rule(details["matchingRule"]) if details.get("matchingRule") is not None else None
    with state.lock:
        group = _dynamic_group(request, state)
        _check_if_match(request, group.etag)
        if description is not None:
            group.description = description
        if rule is not None:
            group.matching_rule, group.rule = rule
        group.etag = new_etag()
        return _one(group)


def delete_dynamic_group(request: Request, state: State) -> Response:
    _require(request, state, "DYNAMIC_GROUP_DELETE", realm.TENANCY)
    with state.lock:
        group = _dynamic_group(request, state)
        _check_if_match(request, group.etag)
        del state.dynamic_groups[group.id]
    return Response(204)


# -- policies ---------------------------------------------------------------------------------------------
def _statements(state: State, compartment_id: str, statements):
    try:
        return parse_statements(state, compartment_id, statements)
    except RuleError as exc:
        raise _invalid(f"{exc}. The emulator understands a subset of the policy language "
                       "(tests/oci_emulator/iam_language.py).") from None


def _policy(request: Request, state: State) -> Policy:
    policy = state.policies.get(request.params["id"])
    if policy is None:
        raise not_found()
    return policy


def create_policy(request: Request, state: State) -> Response:
    details = request.json()
    compartment_id = details.get("compartmentId")
    with state.lock:
        _compartment(state, compartment_id)
    _require(request, state, "POLICY_CREATE", compartment_id)
    name = _check_name(details.get("name"))
    description = _check_description(details.get("description"), required=True)
    version_date = _version_date(details.get("versionDate"))
    with state.lock:
        earlier = _retried(request, state, "policy", state.policies)
        if earlier is not None:
            return _one(earlier)
        statements = details.get("statements")
        parsed = _statements(state, compartment_id, statements)
        if any(p.name.lower() == name.lower() for p in state.policies.values()):
            raise ApiError(409, "PolicyAlreadyExists", f"Policy '{name}' already exists")
        policy = Policy(id=new_ocid("policy"), compartment_id=compartment_id, name=name, description=description,
                        statements=list(statements), parsed=parsed, version_date=version_date,
                        active_at=state.activation_time())
        state.policies[policy.id] = policy
        _remember(request, state, "policy", policy.id)
    return _one(policy)


def list_policies(request: Request, state: State) -> Response:
    compartment_id = request.arg("compartmentId")
    with state.lock:
        _compartment(state, compartment_id)
    _require(request, state, "POLICY_READ", compartment_id)
    with state.lock:
        return _page(request, [p for p in state.policies.values() if p.compartment_id == compartment_id],
                     Policy.as_json)


def get_policy(request: Request, state: State) -> Response:
    with state.lock:
        policy = _policy(request, state)
    _require(request, state, "POLICY_READ", policy.compartment_id)
    return _one(policy)


def update_policy(request: Request, state: State) -> Response:
    details = request.json()
    with state.lock:
        policy = _policy(request, state)
    _require(request, state, "POLICY_UPDATE", policy.compartment_id)
    description = _check_description(details.get("description"), required=False)
    with state.lock:
        policy = _policy(request, state)
        _check_if_match(request, policy.etag)
        if details.get("statements") is not None:
            parsed = _statements(state, policy.compartment_id, details["statements"])
            policy.statements, policy.parsed = list(details["statements"]), parsed
        if description is not None:
            policy.description = description
        if "versionDate" in details:
            policy.version_date = _version_date(details["versionDate"])
        policy.etag = new_etag()
        return _one(policy)


def delete_policy(request: Request, state: State) -> Response:
    with state.lock:
        policy = _policy(request, state)
    _require(request, state, "POLICY_DELETE", policy.compartment_id)
    with state.lock:
        policy = _policy(request, state)
        _check_if_match(request, policy.etag)
        del state.policies[policy.id]
    return Response(204)


# -- compartments -----------------------------------------------------------------------------------------
def get_compartment(request: Request, state: State) -> Response:
    with state.lock:
        compartment = state.compartments.get(request.params["id"])
    if compartment is None:
        raise not_found()
    _require(request, state, "COMPARTMENT_INSPECT", compartment.id)
    return Response.json(compartment.as_json())


def list_compartments(request: Request, state: State) -> Response:
    compartment_id = request.arg("compartmentId")
    with state.lock:
        _compartment(state, compartment_id)
    subtree = (request.arg("compartmentIdInSubtree") or "false").lower() == "true"
    if subtree and compartment_id != realm.TENANCY:
        raise _invalid("compartmentIdInSubtree=true is only allowed with the tenancy's OCID as compartmentId.")
    if request.arg("accessLevel", "ANY") not in ("ANY", "ACCESSIBLE"):
        raise _invalid("accessLevel must be ANY or ACCESSIBLE.")
    _require(request, state, "COMPARTMENT_INSPECT", compartment_id)
    with state.lock:
        children = [c for c in state.compartments.values() if c.parent_id is not None
                    and (c.parent_id == compartment_id or subtree)]
        return _page(request, children, Compartment.as_json)


# -- seeds ------------------------------------------------------------------------------------------------
def seed_api_key(state: State, body: dict) -> dict:
    """{"public_key_pem": ..., "user"?: ..., "tenancy"?: ...} -> {"key_id": ..., "fingerprint": ...}"""
    if not body.get("public_key_pem"):
        raise ApiError(400, "InvalidParameter", "public_key_pem is required")
    try:
        key_id = state.add_api_key(body["public_key_pem"], user=body.get("user", realm.USER),
                                   tenancy=body.get("tenancy", realm.TENANCY))
    except ValueError as exc:
        raise ApiError(400, "InvalidParameter", f"public_key_pem is not a PEM public key: {exc}") from None
    return {"key_id": key_id, "fingerprint": key_id.rsplit("/", 1)[1]}


def seed_compartment(state: State, body: dict) -> dict:
    """{"name", "parent_id"?, "description"?} -> {"id", "name", "parent_id"}"""
    try:
        found = state.add_compartment(_check_name(body.get("name")), parent_id=body.get("parent_id", realm.TENANCY),
                                      description=body.get("description", ""))
    except KeyError as exc:
        raise ApiError(400, "InvalidParameter", str(exc)) from None
    return {"id": found.id, "name": found.name, "parent_id": found.parent_id}


def seed_dynamic_group(state: State, body: dict) -> dict:
    """{"name", "matching_rule", "description"?} -> {"id", "name"} (ACTIVE at once)"""
    try:
        group = state.add_dynamic_group(_check_name(body.get("name")), body.get("matching_rule"),
                                        description=body.get("description", ""))
    except (RuleError, ValueError) as exc:
        raise ApiError(400, "InvalidParameter", str(exc)) from None
    return {"id": group.id, "name": group.name}


def seed_policy(state: State, body: dict) -> dict:
    """{"name", "statements", "compartment_id"?, "description"?, "version_date"?} -> {"id", "name"} (ACTIVE)"""
    try:
        policy = state.add_policy(_check_name(body.get("name")), body.get("statements"),
                                  compartment_id=body.get("compartment_id", realm.TENANCY),
                                  description=body.get("description", ""),
                                  version_date=_version_date(body.get("version_date")))
    except (RuleError, ValueError, KeyError) as exc:
        raise ApiError(400, "InvalidParameter", str(exc)) from None
    return {"id": policy.id, "name": policy.name}


def seed_policy_enforcement(state: State, body: dict) -> dict:
    """{"enabled": true | false} -> {"enabled"}: the switch of State.enforce_policies."""
    if not isinstance(body.get("enabled"), bool):
        raise ApiError(400, "InvalidParameter", "enabled must be true or false")
    state.enforce_policies(body["enabled"])
    return {"enabled": state.policy_enforcement}


def seed_identity_lifecycle(state: State, body: dict) -> dict:
    """{"activation_seconds": number | null} -> the same: how long new dynamic groups and policies stay
    CREATING (null: until reset)."""
    seconds = body.get("activation_seconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0):
        raise ApiError(400, "InvalidParameter", "activation_seconds must be a number of seconds >= 0, or null")
    with state.lock:
        state.iam_activation_seconds = seconds
    return {"activation_seconds": seconds}


def _route(methods: str, path: str, handler) -> Route:
    return Route(methods, API + path, handler, signed, HOSTS)


_ID = r"/(?P<id>[^/]+)"
ROUTES = [
    _route("POST", r"/dynamicGroups/?", create_dynamic_group),
    _route("GET", r"/dynamicGroups/?", list_dynamic_groups),
    _route("GET", r"/dynamicGroups" + _ID, get_dynamic_group),
    _route("PUT", r"/dynamicGroups" + _ID, update_dynamic_group),
    _route("DELETE", r"/dynamicGroups" + _ID, delete_dynamic_group),
    _route("POST", r"/policies/?", create_policy),
    _route("GET", r"/policies/?", list_policies),
    _route("GET", r"/policies" + _ID, get_policy),
    _route("PUT", r"/policies" + _ID, update_policy),
    _route("DELETE", r"/policies" + _ID, delete_policy),
    _route("GET", r"/compartments/?", list_compartments),
    _route("GET", r"/compartments" + _ID, get_compartment),
]
SEEDERS = {"api-key": seed_api_key, "compartment": seed_compartment, "dynamic-group": seed_dynamic_group,
           "policy": seed_policy, "policy-enforcement": seed_policy_enforcement,
           "identity-lifecycle": seed_identity_lifecycle}
