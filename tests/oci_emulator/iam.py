"""Identity as the emulated cloud keeps it (compartments, dynamic groups, policies), and the policy
check the services make for the principals the emulator issues.

Policy enforcement is a switch (`State.enforce_policies`), off at the start and after every
`reset()`: then every signed request is allowed, as the emulator always did. On, a request signed by
an instance principal or a resource principal is allowed only when an ACTIVE policy has a statement
that grants one of the principal's ACTIVE dynamic groups (those whose matching rule the principal
meets) the permission the operation needs, in the resource's compartment or one above it, with its
conditions true (`authorize`). User principals (API keys, session tokens, OCIR auth tokens) are not
checked: they stand for the tenancy's administrators.

Each check goes into the request's log entry (`policy`: a list, empty when nothing was checked) with
the permission, the compartment, the dynamic groups the principal is in, and either the statement
that allowed it or `allowed: false`; the service then answers as OCI does when no policy allows the
call (404 NotAuthorizedOrNotFound, BucketNotFound for buckets and objects).

Lifecycle: a dynamic group or policy made through the API is CREATING for
`State.iam_activation_seconds` (0.5 s by default; None: until further notice, to test a wait that
times out), then ACTIVE; only ACTIVE ones count. Seeded ones are ACTIVE at once. Updates take effect
at once; a delete removes it (GET answers 404).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import realm
from .iam_language import Condition, Statement, StatementContext, parse_statement, principal_variables
from .vault_secrets import timestamp

if TYPE_CHECKING:
    from .routing import Request
    from .state import State

# The principals policies apply to; the others are the tenancy's administrators.
ENFORCED_PRINCIPALS = ("instance_principal", "resource_principal")
DEFAULT_ACTIVATION_SECONDS = 0.5


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_ocid(kind: str) -> str:
    """An OCID of the emulated realm for an IAM resource (tenancy-wide: no region component)."""
    return f"ocid1.{kind}.{realm.REALM_KEY.lower()}..aaaaaaaa{uuid.uuid4().hex[:24]}"


def new_etag() -> str:
    return uuid.uuid4().hex


@dataclass
class Compartment:
    id: str
    name: str
    parent_id: str | None  # None for the tenancy (root compartment)
    description: str = ""
    time_created: dt.datetime = field(default_factory=now)

    def as_json(self) -> dict:
        return {"id": self.id, "compartmentId": self.parent_id, "name": self.name, "description": self.description,
                "timeCreated": timestamp(self.time_created), "lifecycleState": "ACTIVE", "inactiveStatus": None,
                "isAccessible": True, "freeformTags": {}, "definedTags": {}}


@dataclass
class _Lifecycle:
    """CREATING until `active_at` (time.monotonic()), ACTIVE from then; never ACTIVE when it is None."""

    active_at: float | None = 0.0

    @property
    def lifecycle_state(self) -> str:
        return "ACTIVE" if self.active_at is not None and time.monotonic() >= self.active_at else "CREATING"

    @property
    def active(self) -> bool:
        return self.lifecycle_state == "ACTIVE"


@dataclass
class DynamicGroup(_Lifecycle):
    id: str = ""
    name: str = ""
    description: str = ""
    matching_rule: str = ""
    rule: Condition | None = None
    time_created: dt.datetime = field(default_factory=now)
    etag: str = field(default_factory=new_etag)

    def as_json(self) -> dict:
        return {"id": self.id, "compartmentId": realm.TENANCY, "name": self.name, "description": self.description,
                "matchingRule": self.matching_rule, "timeCreated": timestamp(self.time_created),
                "lifecycleState": self.lifecycle_state, "inactiveStatus": None, "freeformTags": {},
                "definedTags": {}}

    def matches(self, principal) -> bool:
        return self.rule is not None and self.rule.holds(principal_variables(principal))


@dataclass
class Policy(_Lifecycle):
    id: str = ""
    compartment_id: str = realm.TENANCY
    name: str = ""
    description: str = ""
    statements: list[str] = field(default_factory=list)
    parsed: list[Statement] = field(default_factory=list)
    version_date: dt.date | None = None
    time_created: dt.datetime = field(default_factory=now)
    etag: str = field(default_factory=new_etag)

    def as_json(self) -> dict:
        version = (timestamp(dt.datetime.combine(self.version_date, dt.time(), dt.UTC))
                   if self.version_date else None)
        return {"id": self.id, "compartmentId": self.compartment_id, "name": self.name,
                "description": self.description, "statements": list(self.statements),
                "timeCreated": timestamp(self.time_created), "lifecycleState": self.lifecycle_state,
                "inactiveStatus": None, "versionDate": version, "freeformTags": {}, "definedTags": {}}


def default_compartments() -> dict[str, Compartment]:
    return {realm.TENANCY: Compartment(realm.TENANCY, realm.TENANCY_NAME, None, "The tenancy (root compartment)"),
            realm.COMPARTMENT: Compartment(realm.COMPARTMENT, realm.COMPARTMENT_NAME, realm.TENANCY,
                                           "The emulator's default compartment")}


class TenancyContext(StatementContext):
    """Statement parsing over the state's compartments and dynamic groups (call with the state locked)."""

    def __init__(self, state: State, policy_compartment: str):
        self.state, self.policy_compartment, self.tenancy = state, policy_compartment, realm.TENANCY

    def child_compartment(self, parent_id: str, name: str) -> str | None:
        return next((c.id for c in self.state.compartments.values()
                     if c.parent_id == parent_id and c.name.lower() == name.lower()), None)

    def is_within(self, compartment_id: str, ancestor_id: str) -> bool:
        return compartment_id in self.state.compartments and ancestor_id in compartment_chain(self.state,
                                                                                               compartment_id)

    def dynamic_group_exists(self, name: str | None = None, group_id: str | None = None) -> bool:
        groups = self.state.dynamic_groups.values()
        if group_id is not None:
            return any(g.id == group_id for g in groups)
        return any(g.name.lower() == (name or "").lower() for g in groups)


def parse_statements(state: State, compartment_id: str, statements) -> list[Statement]:
    """The statements of a policy in `compartment_id`, parsed (RuleError names the statement that fails)."""
    from .iam_language import RuleError

    if not isinstance(statements, list) or not statements or not all(isinstance(s, str) for s in statements):
        raise RuleError("statements must be a non-empty list of strings")
    context = TenancyContext(state, compartment_id)
    parsed = []
    for number, text in enumerate(statements, 1):
        try:
            parsed.append(parse_statement(text, context))
        except RuleError as exc:
            raise RuleError(f"statement {number} ({text!r}): {exc}") from None
    return parsed


def compartment_chain(state: State, compartment_id: str | None) -> list[str]:
    """The compartment and its ancestors, nearest first, ending with the tenancy. An OCID the state does
    not know is taken as a compartment just below the tenancy."""
    chain: list[str] = []
    current = compartment_id
    while current and current not in chain:
        chain.append(current)
        known = state.compartments.get(current)
        current = known.parent_id if known else realm.TENANCY
    if realm.TENANCY not in chain:
        chain.append(realm.TENANCY)
    return chain


def authorize(request: Request, state: State, permission: str, compartment_id: str | None,
              **target: str | None) -> bool:
    """Whether the request's principal may use `permission` on a resource in `compartment_id` (the
    tenancy when None); `target` are the resource's condition variables without the `target.` prefix
    (`bucket_name=`, `secret_id=`, `secret_name=`, `vault_id=`, `repo_name=`). Records the check in the
    request's `policy` log list. Always True for user principals and while enforcement is off."""
    principal = request.principal
    if principal.type not in ENFORCED_PRINCIPALS or not state.policy_enforcement:
        return True
    compartment_id = compartment_id or realm.TENANCY
    values = {"request.permission": permission, "target.compartment.id": compartment_id}
    values |= {f"target.{name.replace('_', '.')}": value for name, value in target.items() if value is not None}
    with state.lock:
        groups = [g for g in state.dynamic_groups.values() if g.active and g.matches(principal)]
        names, ids = {g.name.lower() for g in groups}, {g.id for g in groups}
        chain = compartment_chain(state, compartment_id)
        grant = next(((policy, statement) for policy in state.policies.values() if policy.active
                      for statement in policy.parsed if statement.grants(names, ids, permission, chain, values)),
                     None)
    check = {"permission": permission, "compartment_id": compartment_id,
             "target": {key: value for key, value in values.items() if key.startswith("target.")
                        and key != "target.compartment.id"},
             "dynamic_groups": sorted(g.name for g in groups), "allowed": grant is not None,
             "policy": grant[0].name if grant else None, "statement": grant[1].text if grant else None}
    request.policy.append(check)
    return grant is not None
