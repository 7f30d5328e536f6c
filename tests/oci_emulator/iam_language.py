"""The subset of OCI IAM's two languages the emulator understands: dynamic-group matching rules and
policy statements. Text outside the subset is a `RuleError` (answered 400 InvalidParameter when a
group or policy is created or updated), never something that silently allows.

Matching rules (one per dynamic group)::

    rule        := clause | ALL {rule, rule...} | ANY {rule, rule...}     (nesting allowed)
    clause      := variable = 'value' | variable != 'value'
    variable    := instance.id | instance.compartment.id                  (instance principals)
                 | resource.id | resource.type | resource.compartment.id (resource principals)

Policy statements::

    statement   := allow subjects to verb resource-type in location [where condition]
    subjects    := dynamic-group name-or-id [, [dynamic-group] name-or-id ...]   name-or-id := name | id <ocid>
    verb        := inspect | read | use | manage                         (each includes the ones before it)
    location    := tenancy | compartment <name>[:<child>...] | compartment id <ocid>
    condition   := variable = 'value' | variable != 'value' | all {condition, ...} | any {condition, ...}

Keywords, verbs, resource types and variable names are case-insensitive; values are quoted with ' or "
(OCIDs and permission names may go unquoted) and compared case-insensitively, as OCI compares
bucket names. A variable that does not apply to a request (target.bucket.name of a secret read)
makes its comparison false, as OCI does.

Resource types (`PERMISSIONS`, `FAMILIES`): all-resources; object-family = objectstorage-namespaces,
buckets, objects; secret-family = secrets, secret-versions, secret-bundles; repos; dynamic-groups;
policies; compartments. Condition variables: request.permission, target.compartment.id,
target.bucket.name, target.secret.id, target.secret.name, target.vault.id, target.repo.name.

Not understood (an error): `group`, `any-user`, `any-group`, `service` and domain-qualified subjects,
permission lists (`to {OBJECT_READ}`), `endorse` / `admit` / `define`, patterns (`'/name*/'`),
tag and time variables, other resource types. User principals (API keys, session tokens) are not
policy-checked at all: they are the tenancy's administrators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERBS = ("inspect", "read", "use", "manage")

# Each permission an emulated operation needs -> (its individual resource type, the least verb that
# grants it), after OCI's "Details for ..." policy reference pages.
PERMISSIONS: dict[str, tuple[str, str]] = {
    # Object Storage
    "OBJECTSTORAGE_NAMESPACE_READ": ("objectstorage-namespaces", "read"),
    "BUCKET_INSPECT": ("buckets", "inspect"),
    "BUCKET_READ": ("buckets", "read"),
    "BUCKET_CREATE": ("buckets", "manage"),
    "BUCKET_DELETE": ("buckets", "manage"),
    "OBJECT_INSPECT": ("objects", "inspect"),
    "OBJECT_READ": ("objects", "read"),
    "OBJECT_OVERWRITE": ("objects", "use"),
    "OBJECT_CREATE": ("objects", "manage"),
    "OBJECT_DELETE": ("objects", "manage"),
    # Vault secrets
    "SECRET_BUNDLE_READ": ("secret-bundles", "read"),
    # Container Registry
    "REPOSITORY_READ": ("repos", "read"),
    "REPOSITORY_UPDATE": ("repos", "use"),
    "REPOSITORY_CREATE": ("repos", "manage"),
    # Identity
    "COMPARTMENT_INSPECT": ("compartments", "inspect"),
    "DYNAMIC_GROUP_INSPECT": ("dynamic-groups", "inspect"),
    "DYNAMIC_GROUP_CREATE": ("dynamic-groups", "manage"),
    "DYNAMIC_GROUP_UPDATE": ("dynamic-groups", "manage"),
    "DYNAMIC_GROUP_DELETE": ("dynamic-groups", "manage"),
    "POLICY_READ": ("policies", "inspect"),  # OCI: listing policies shows their statements
    "POLICY_CREATE": ("policies", "manage"),
    "POLICY_UPDATE": ("policies", "manage"),
    "POLICY_DELETE": ("policies", "manage"),
}
ALL_RESOURCES = "all-resources"
FAMILIES: dict[str, tuple[str, ...]] = {
    "object-family": ("objectstorage-namespaces", "buckets", "objects"),
    "secret-family": ("secrets", "secret-versions", "secret-bundles"),
}
INDIVIDUAL_TYPES = tuple(sorted({t for t, _ in PERMISSIONS.values()} | {t for f in FAMILIES.values() for t in f}))
RESOURCE_TYPES = (ALL_RESOURCES, *sorted(FAMILIES), *INDIVIDUAL_TYPES)

# Condition variables of policy statements: the general ones, and those of the resource types they
# belong to (set by the service for each request; see iam.authorize).
STATEMENT_VARIABLES = ("request.permission", "target.compartment.id", "target.bucket.name", "target.secret.id",
                       "target.secret.name", "target.vault.id", "target.repo.name")
MATCHING_RULE_VARIABLES = ("instance.id", "instance.compartment.id", "resource.id", "resource.type",
                           "resource.compartment.id")

SUPPORTED_STATEMENTS = ("allow dynamic-group <name> | id <ocid> [, ...] to inspect|read|use|manage <resource-type> "
                        "in tenancy | compartment <name>[:<child>] | compartment id <ocid> "
                        "[where <variable> =|!= '<value>' | all {...} | any {...}]")
SUPPORTED_RULES = ("<variable> =|!= '<value>' | ALL {...} | ANY {...} with variables "
                   + ", ".join(MATCHING_RULE_VARIABLES))


class RuleError(ValueError):
    """Text outside the understood subset, or that names what is not there; the message says which."""


# -- tokens -----------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""\s*(?:(?P<string>'[^']*'|"[^"]*")|(?P<op>!=|=|\{|\}|,|/)|(?P<word>[A-Za-z0-9_.:*-]+))""")


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | word
    text: str  # the value: without quotes for strings

    @property
    def keyword(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise RuleError(f"unexpected {text[position:].lstrip()[:1]!r} at character {position + 1}")
        kind = found.lastgroup
        value = found.group(kind)
        tokens.append(Token(kind, value[1:-1] if kind == "string" else value))
        position = found.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[Token]):
        self.tokens, self.index = tokens, 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise RuleError(f"it ends where {what} should come")
        self.index += 1
        return token

    def keyword(self, *words: str) -> str:
        token = self.next(" or ".join(repr(w) for w in words))
        if token.keyword not in words:
            raise RuleError(f"expected {' or '.join(repr(w) for w in words)}, found {token.text!r}")
        return token.keyword

    def at(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.keyword in words

    def op(self, *ops: str) -> str:
        token = self.next(" or ".join(repr(o) for o in ops))
        if token.kind != "op" or token.text not in ops:
            raise RuleError(f"expected {' or '.join(repr(o) for o in ops)}, found {token.text!r}")
        return token.text

    def at_op(self, op: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text == op

    def end(self) -> None:
        token = self.peek()
        if token is not None:
            raise RuleError(f"unexpected {token.text!r} after the end of the statement")


# -- conditions (shared by both languages) ----------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    variable: str
    negated: bool
    value: str

    def holds(self, values: dict[str, str | None]) -> bool:
        actual = values.get(self.variable)
        if actual is None:  # the variable does not apply to this request / principal
            return False
        return (actual.lower() == self.value.lower()) != self.negated


@dataclass(frozen=True)
class Combination:
    every: bool  # ALL (True) or ANY (False)
    parts: tuple[Comparison | Combination, ...]

    def holds(self, values: dict[str, str | None]) -> bool:
        results = (part.holds(values) for part in self.parts)
        return all(results) if self.every else any(results)


Condition = Comparison | Combination


def _condition(reader: _Reader, variables: tuple[str, ...]) -> Condition:
    token = reader.next("a condition")
    if token.keyword in ("all", "any") and reader.at_op("{"):
        reader.op("{")
        parts = [_condition(reader, variables)]
        while reader.at_op(","):
            reader.op(",")
            parts.append(_condition(reader, variables))
        reader.op("}")
        return Combination(token.keyword == "all", tuple(parts))
    if token.kind != "word":
        raise RuleError(f"expected a variable, found {token.text!r}")
    if token.keyword not in variables:
        raise RuleError(f"unknown variable {token.text!r} (the emulator understands {', '.join(variables)})")
    negated = reader.op("=", "!=") == "!="
    value = reader.next("a value")
    if value.kind == "op":
        raise RuleError(f"expected a value after {token.text!r}, found {value.text!r}")
    if value.kind == "string" and len(value.text) > 1 and value.text.startswith("/") and value.text.endswith("/"):
        raise RuleError(f"patterns ({value.text!r}) are not understood by the emulator; compare whole values")
    return Comparison(token.keyword, negated, value.text)


# -- matching rules ---------------------------------------------------------------------------------------
def parse_matching_rule(text: str) -> Condition:
    """The rule as a condition over MATCHING_RULE_VARIABLES; RuleError for anything else."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("the matching rule is empty")
    reader = _Reader(tokenize(text))
    rule = _condition(reader, MATCHING_RULE_VARIABLES)
    reader.end()
    return rule


def principal_variables(principal) -> dict[str, str | None]:
    """What matching rules compare, for a principal (an api_key user has none of them)."""
    if principal.type == "instance_principal":
        return {"instance.id": principal.id, "instance.compartment.id": principal.compartment}
    if principal.type == "resource_principal":
        return {"resource.id": principal.id, "resource.type": principal.resource_type,
                "resource.compartment.id": principal.compartment}
    return {}


# -- policy statements ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    text: str
    subjects: tuple[tuple[str, str], ...]  # ("name", lower-cased dynamic group name) | ("id", OCID)
    verb: str
    resource_type: str
    compartment_id: str | None  # None: in tenancy
    condition: Condition | None

    def covers(self, permission: str) -> bool:
        """Whether the verb and resource type include `permission`."""
        resource_type, least = PERMISSIONS[permission]
        type_ok = self.resource_type in (ALL_RESOURCES, resource_type) or resource_type in FAMILIES.get(
            self.resource_type, ())
        return type_ok and VERBS.index(self.verb) >= VERBS.index(least)

    def names(self, group_names: set[str], group_ids: set[str]) -> bool:
        return any((kind == "name" and value in group_names) or (kind == "id" and value in group_ids)
                   for kind, value in self.subjects)

    def grants(self, group_names: set[str], group_ids: set[str], permission: str, compartment_chain: list[str],
               values: dict[str, str | None]) -> bool:
        """Whether this statement lets one of the groups use `permission` on a resource whose compartment
        and ancestors are `compartment_chain` (nearest first), with `values` for its conditions."""
        return (self.names(group_names, group_ids) and self.covers(permission)
                and (self.compartment_id is None or self.compartment_id in compartment_chain)
                and (self.condition is None or self.condition.holds(values)))


class StatementContext:
    """What parsing needs to know of the tenancy (iam.py implements it over the emulator's state):
    the policy's compartment, compartments by path and OCID, and which dynamic groups exist."""

    policy_compartment: str
    tenancy: str

    def child_compartment(self, parent_id: str, name: str) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError

    def is_within(self, compartment_id: str, ancestor_id: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def dynamic_group_exists(self, name: str | None = None, group_id: str | None = None) -> bool:  # pragma: no cover
        raise NotImplementedError


def _subjects(reader: _Reader, context: StatementContext) -> tuple[tuple[str, str], ...]:
    token = reader.next("the subject")
    if token.keyword != "dynamic-group":
        raise RuleError(f"the subject must be 'dynamic-group <name>' or 'dynamic-group id <ocid>': the emulator "
                        f"does not understand {token.text!r} subjects")
    subjects = []
    while True:
        if reader.at("dynamic-group") and subjects:
            reader.next("dynamic-group")
        name = reader.next("a dynamic group name")
        if name.kind == "string":
            raise RuleError(f"quoted and domain-qualified group names ({name.text!r}) are not understood by the "
                            "emulator: write the dynamic group's name as it is")
        if name.keyword in ("group", "any-user", "any-group", "service"):
            raise RuleError(f"the emulator does not understand {name.text!r} subjects (dynamic groups only)")
        if name.kind != "word" or name.keyword in ("to", "dynamic-group"):
            raise RuleError(f"expected a dynamic group name, found {name.text!r}")
        if name.keyword == "id":
            ocid = reader.next("a dynamic group OCID")
            if ocid.kind == "op" or not ocid.text.startswith("ocid1.dynamicgroup."):
                raise RuleError(f"{ocid.text!r} is not a dynamic group OCID")
            if not context.dynamic_group_exists(group_id=ocid.text):
                raise RuleError(f"there is no dynamic group {ocid.text}")
            subjects.append(("id", ocid.text))
        else:
            if not context.dynamic_group_exists(name=name.text):
                raise RuleError(f"there is no dynamic group named {name.text!r}")
            subjects.append(("name", name.text.lower()))
        if not reader.at_op(","):
            return tuple(subjects)
        reader.op(",")


def _location(reader: _Reader, context: StatementContext) -> str | None:
    where = reader.keyword("tenancy", "compartment")
    if where == "tenancy":
        if context.policy_compartment != context.tenancy:
            raise RuleError("'in tenancy' is only allowed in a policy attached to the tenancy (root compartment)")
        return None
    token = reader.next("a compartment name or 'id <ocid>'")
    if token.kind == "op":
        raise RuleError(f"expected a compartment name, found {token.text!r}")
    if token.keyword == "id":
        ocid = reader.next("a compartment OCID").text
        if not context.is_within(ocid, context.policy_compartment):
            raise RuleError(f"compartment {ocid} is not the policy's compartment or one below it")
        return ocid
    compartment = context.policy_compartment
    for name in token.text.split(":"):
        child = context.child_compartment(compartment, name)
        if child is None:
            raise RuleError(f"there is no compartment {token.text!r} in the policy's compartment")
        compartment = child
    return compartment


def parse_statement(text: str, context: StatementContext) -> Statement:
    """One statement, its names resolved in `context`; RuleError for anything outside the subset."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("the statement is empty")
    reader = _Reader(tokenize(text))
    first = reader.next("'allow'")
    if first.keyword != "allow":
        raise RuleError(f"statements start with 'allow' (the emulator does not understand {first.text!r})")
    subjects = _subjects(reader, context)
    reader.keyword("to")
    verb = reader.next("a verb")
    if verb.kind == "op" and verb.text == "{":
        raise RuleError("permission lists ('to {PERMISSION, ...}') are not understood by the emulator; use a verb")
    if verb.keyword not in VERBS:
        raise RuleError(f"unknown verb {verb.text!r} (inspect, read, use or manage)")
    resource = reader.next("a resource type")
    if resource.keyword not in RESOURCE_TYPES:
        raise RuleError(f"unknown resource type {resource.text!r} (the emulator understands "
                        f"{', '.join(RESOURCE_TYPES)})")
    reader.keyword("in")
    compartment_id = _location(reader, context)
    condition = None
    if reader.peek() is not None:
        reader.keyword("where")
        condition = _condition(reader, STATEMENT_VARIABLES)
    reader.end()
    return Statement(text, subjects, verb.keyword, resource.keyword, compartment_id, condition)
