"""Identity through the unmodified SDK (`oci.identity.IdentityClient`): dynamic groups and policies
(create, CREATING -> ACTIVE as the SDK's waiter sees it, get, list, update, delete), compartments,
and what the emulator refuses to store: matching rules and statements outside the subset it
understands, names taken in the tenancy, stale ETags."""

from __future__ import annotations

import datetime as dt

import oci
import pytest
import requests

from . import realm

NO_RETRY = oci.retry.NoneRetryStrategy()
IDENTITY_HOST = realm.service_host("identity", oci_subdomain=True)
RULE = f"ALL {{instance.compartment.id = '{realm.COMPARTMENT}'}}"


@pytest.fixture
def emu(oci_emulator_env, clean_oci_emulator):
    return clean_oci_emulator


@pytest.fixture
def identity(emu) -> oci.identity.IdentityClient:
    return oci.identity.IdentityClient(oci.config.from_file(), retry_strategy=NO_RETRY)


def refusal(call) -> oci.exceptions.ServiceError:
    with pytest.raises(oci.exceptions.ServiceError) as failure:
        call()
    return failure.value


def new_group(identity, name="mlflow-dg", rule=RULE, compartment=realm.TENANCY):
    return identity.create_dynamic_group(oci.identity.models.CreateDynamicGroupDetails(
        compartment_id=compartment, name=name, description="MLflow servers", matching_rule=rule))


def new_policy(identity, statements, name="mlflow-policy", compartment=realm.TENANCY, version_date=None):
    return identity.create_policy(oci.identity.models.CreatePolicyDetails(
        compartment_id=compartment, name=name, description="MLflow", statements=statements,
        version_date=version_date))


# -- dynamic groups ---------------------------------------------------------------------------------------

def test_a_dynamic_group_is_creating_then_active_for_the_sdk_waiter(emu, identity):
    created = new_group(identity)

    group = created.data
    assert identity.base_client.get_endpoint() == f"https://{IDENTITY_HOST}"
    assert (group.name, group.compartment_id, group.matching_rule, group.lifecycle_state) == (
        "mlflow-dg", realm.TENANCY, RULE, "CREATING")
    assert group.id.startswith(f"ocid1.dynamicgroup.{realm.REALM_KEY.lower()}..") and created.headers["etag"]
    active = oci.wait_until(identity, identity.get_dynamic_group(group.id), "lifecycle_state", "ACTIVE",
                            max_wait_seconds=30)
    assert active.data.lifecycle_state == "ACTIVE" and active.data.time_created.tzinfo is not None
    entries = emu.requests_for("identity")
    assert [(e["method"], e["path"], e["status"]) for e in entries][:2] == [
        ("POST", "/20160918/dynamicGroups", 200), ("GET", f"/20160918/dynamicGroups/{group.id}", 200)]
    assert {e["host"] for e in entries} == {IDENTITY_HOST}
    assert {e["principal"]["type"] for e in entries} == {"api_key"}


def test_list_update_and_delete_a_dynamic_group(emu, identity):
    first = new_group(identity).data
    second = new_group(identity, "other-dg", "resource.type = 'computecontainerinstance'").data

    everything = oci.pagination.list_call_get_all_results(identity.list_dynamic_groups, realm.TENANCY, limit=1)
    assert [g.name for g in everything.data] == ["mlflow-dg", "other-dg"]
    assert [g.id for g in identity.list_dynamic_groups(realm.TENANCY, name="other-dg").data] == [second.id]
    assert identity.list_dynamic_groups(realm.TENANCY, sort_by="NAME", sort_order="DESC").data[0].name == "other-dg"

    etag = identity.get_dynamic_group(first.id).headers["etag"]
    rule = f"ANY {{instance.id = '{realm.INSTANCE}', instance.compartment.id = '{realm.COMPARTMENT}'}}"
    updated = identity.update_dynamic_group(first.id, oci.identity.models.UpdateDynamicGroupDetails(
        matching_rule=rule, description="changed"), if_match=etag)
    assert (updated.data.matching_rule, updated.data.description) == (rule, "changed")
    assert updated.headers["etag"] != etag
    stale = refusal(lambda: identity.update_dynamic_group(first.id, oci.identity.models.UpdateDynamicGroupDetails(
        description="again"), if_match=etag))
    assert (stale.status, stale.code) == (412, "NoEtagMatch")

    identity.delete_dynamic_group(first.id, if_match=updated.headers["etag"])
    gone = refusal(lambda: identity.get_dynamic_group(first.id))
    assert (gone.status, gone.code) == (404, "NotAuthorizedOrNotFound")
    assert [g.name for g in identity.list_dynamic_groups(realm.TENANCY).data] == ["other-dg"]


def test_dynamic_groups_live_in_the_tenancy_with_unique_names(emu, identity):
    new_group(identity)

    elsewhere = refusal(lambda: new_group(identity, "elsewhere", compartment=realm.COMPARTMENT))
    taken = refusal(lambda: new_group(identity, "MLflow-DG"))

    assert (elsewhere.status, elsewhere.code) == (400, "InvalidParameter")
    assert "only be created in the tenancy" in elsewhere.message
    assert (taken.status, taken.code) == (409, "DynamicGroupAlreadyExists")
    assert identity.list_dynamic_groups(realm.COMPARTMENT).data == []


@pytest.mark.parametrize(("rule", "reason"), [
    ("tag.ops.team.value = 'ml'", "unknown variable 'tag.ops.team.value'"),
    ("ALL {}", "expected a variable, found '}'"),
    ("instance.compartment.id = 'x' junk", "unexpected 'junk'"),
    ("ANY {instance.id = 'a', resource.type = }", "expected a value"),
    ("instance.id ~ 'a'", "unexpected '~'"),
    ("resource.type = '/container*/'", "patterns"),
])
def test_a_matching_rule_outside_the_subset_is_refused(emu, identity, rule, reason):
    error = refusal(lambda: new_group(identity, rule=rule))

    assert (error.status, error.code) == (400, "InvalidParameter")
    assert reason in error.message and "subset" in error.message
    assert emu.state.dynamic_groups == {}


def test_the_rule_is_checked_on_update_too(emu, identity):
    group = new_group(identity).data

    error = refusal(lambda: identity.update_dynamic_group(group.id, oci.identity.models.UpdateDynamicGroupDetails(
        matching_rule="instance.name = 'x'")))

    assert (error.status, error.code) == (400, "InvalidParameter")
    assert identity.get_dynamic_group(group.id).data.matching_rule == RULE


# -- policies ---------------------------------------------------------------------------------------------

def test_policy_lifecycle_statements_and_version_date(emu, identity):
    emu.state.add_dynamic_group("mlflow-dg", RULE)
    statements = ["Allow dynamic-group mlflow-dg to read secret-bundles in compartment emulator",
                  "allow dynamic-group mlflow-dg to manage objects in compartment emulator "
                  "where target.bucket.name = 'mlflow-artifacts'"]

    created = new_policy(identity, statements, version_date=dt.date(2024, 1, 1)).data

    assert (created.lifecycle_state, created.statements, created.compartment_id) == (
        "CREATING", statements, realm.TENANCY)
    assert created.version_date.date() == dt.date(2024, 1, 1)
    active = oci.wait_until(identity, identity.get_policy(created.id), "lifecycle_state", "ACTIVE",
                            max_wait_seconds=30).data
    assert active.statements == statements
    assert [p.name for p in identity.list_policies(realm.TENANCY).data] == ["mlflow-policy"]
    assert identity.list_policies(realm.COMPARTMENT).data == []

    updated = identity.update_policy(created.id, oci.identity.models.UpdatePolicyDetails(
        statements=statements[:1], version_date="")).data
    assert (updated.statements, updated.version_date) == (statements[:1], None)
    identity.delete_policy(created.id)
    assert refusal(lambda: identity.get_policy(created.id)).status == 404


def test_policy_names_are_unique_in_the_tenancy(emu, identity):
    emu.state.add_dynamic_group("mlflow-dg", RULE)
    child = emu.state.add_compartment("team", parent_id=realm.COMPARTMENT)
    new_policy(identity, ["allow dynamic-group mlflow-dg to read buckets in compartment team"],
               compartment=realm.COMPARTMENT)

    error = refusal(lambda: new_policy(identity, ["allow dynamic-group mlflow-dg to read buckets in tenancy"],
                                       name="MLFLOW-policy"))

    assert (error.status, error.code) == (409, "PolicyAlreadyExists")
    assert emu.state.policy_by_name("mlflow-policy").parsed[0].compartment_id == child.id


@pytest.mark.parametrize(("statement", "reason"), [
    ("allow group Administrators to manage all-resources in tenancy", "does not understand 'group' subjects"),
    ("allow any-user to read buckets in tenancy", "does not understand 'any-user' subjects"),
    ("allow dynamic-group mlflow-dg, group admins to read buckets in tenancy", "does not understand 'group' subjects"),
    ("allow dynamic-group nosuch to read buckets in tenancy", "no dynamic group named 'nosuch'"),
    ("allow dynamic-group mlflow-dg to peek buckets in tenancy", "unknown verb 'peek'"),
    ("allow dynamic-group mlflow-dg to read instances in tenancy", "unknown resource type 'instances'"),
    ("allow dynamic-group mlflow-dg to {BUCKET_READ} in tenancy", "permission lists"),
    ("allow dynamic-group mlflow-dg to read buckets in compartment nowhere", "no compartment 'nowhere'"),
    ("allow dynamic-group mlflow-dg to read buckets", "ends where 'in' should come"),
    ("allow dynamic-group mlflow-dg to read buckets in tenancy where target.bucket.name = '/art*/'", "patterns"),
    ("allow dynamic-group mlflow-dg to read buckets in tenancy where request.utc-timestamp.month = '1'",
     "unknown variable"),
    ("allow dynamic-group mlflow-dg to read buckets in tenancy where all {target.bucket.name = 'a'",
     "ends where"),
    ("endorse dynamic-group mlflow-dg to read buckets in any-tenancy", "start with 'allow'"),
    ("allow dynamic-group 'Default'/'mlflow-dg' to read buckets in tenancy", "domain-qualified group names"),
])
def test_a_statement_outside_the_subset_is_refused(emu, identity, statement, reason):
    emu.state.add_dynamic_group("mlflow-dg", RULE)

    error = refusal(lambda: new_policy(identity, ["allow dynamic-group mlflow-dg to read buckets in tenancy",
                                                  statement]))

    assert (error.status, error.code) == (400, "InvalidParameter")
    assert error.message.startswith("statement 2 (") and reason in error.message, error.message
    assert emu.state.policies == {}


def test_locations_must_be_within_the_policys_compartment(emu, identity):
    emu.state.add_dynamic_group("mlflow-dg", RULE)
    for statement, reason in [
            ("allow dynamic-group mlflow-dg to read buckets in tenancy", "only allowed in a policy attached to the "
                                                                        "tenancy"),
            (f"allow dynamic-group mlflow-dg to read buckets in compartment id {realm.TENANCY}", "not the policy's "
                                                                                               "compartment")]:
        error = refusal(lambda: new_policy(identity, [statement], compartment=realm.COMPARTMENT))
        assert error.status == 400 and reason in error.message


def test_an_unknown_compartment_is_404(emu, identity):
    error = refusal(lambda: identity.list_policies("ocid1.compartment.octest..aaaaaaaanothere"))

    assert (error.status, error.code) == (404, "NotAuthorizedOrNotFound")


# -- compartments -----------------------------------------------------------------------------------------

def test_compartments(emu, identity):
    child = emu.state.add_compartment("team", parent_id=realm.COMPARTMENT)

    assert identity.get_compartment(realm.COMPARTMENT).data.name == realm.COMPARTMENT_NAME
    assert identity.get_compartment(realm.TENANCY).data.name == realm.TENANCY_NAME
    assert [c.name for c in identity.list_compartments(realm.TENANCY).data] == [realm.COMPARTMENT_NAME]
    subtree = identity.list_compartments(realm.TENANCY, compartment_id_in_subtree=True, access_level="ANY").data
    assert {(c.name, c.compartment_id) for c in subtree} == {(realm.COMPARTMENT_NAME, realm.TENANCY),
                                                             ("team", realm.COMPARTMENT)}
    assert child.id in {c.id for c in subtree}


# -- seeds and switches over HTTP -------------------------------------------------------------------------

def test_seed_identity_over_http(emu, identity):
    def seed(kind, body):
        return requests.post(f"{emu.url}/_emulator/seed/{kind}", json=body, proxies={"http": None}, timeout=10)

    compartment = seed("compartment", {"name": "team"}).json()
    group = seed("dynamic-group", {"name": "seeded-dg", "matching_rule": RULE}).json()
    policy = seed("policy", {"name": "seeded", "statements": [
        "allow dynamic-group seeded-dg to read repos in compartment team"]}).json()

    assert identity.get_compartment(compartment["id"]).data.compartment_id == realm.TENANCY
    assert identity.get_dynamic_group(group["id"]).data.lifecycle_state == "ACTIVE"
    assert identity.get_policy(policy["id"]).data.lifecycle_state == "ACTIVE"
    bad = seed("policy", {"name": "bad", "statements": ["allow group x to read repos in tenancy"]})
    assert bad.status_code == 400 and "'group' subjects" in bad.json()["message"]
    assert seed("policy-enforcement", {"enabled": True}).json() == {"enabled": True}
    assert emu.state.policy_enforcement
    assert seed("policy-enforcement", {"enabled": "yes"}).status_code == 400
    assert seed("identity-lifecycle", {"activation_seconds": None}).json() == {"activation_seconds": None}
    assert new_group(identity, "stuck").data.lifecycle_state == "CREATING"
    assert identity.get_dynamic_group(emu.state.dynamic_group_by_name("stuck").id).data.lifecycle_state == "CREATING"

    emu.reset()

    assert not emu.state.policy_enforcement and emu.state.dynamic_groups == {} and emu.state.policies == {}
    assert set(emu.state.compartments) == {realm.TENANCY, realm.COMPARTMENT}


def test_a_retried_create_answers_what_the_first_made(emu, identity):
    details = oci.identity.models.CreateDynamicGroupDetails(compartment_id=realm.TENANCY, name="retried",
                                                            description="d", matching_rule=RULE)

    first = identity.create_dynamic_group(details, opc_retry_token="token-1").data
    again = identity.create_dynamic_group(details, opc_retry_token="token-1").data

    assert again.id == first.id and len(emu.state.dynamic_groups) == 1
    assert refusal(lambda: identity.create_dynamic_group(details, opc_retry_token="token-2")).status == 409


def test_the_sdks_composite_operations_wait_for_active(emu, identity):
    composite = oci.identity.IdentityClientCompositeOperations(identity)
    emu.state.add_dynamic_group("mlflow-dg", RULE)

    policy = composite.create_policy_and_wait_for_state(
        oci.identity.models.CreatePolicyDetails(compartment_id=realm.TENANCY, name="waited", description="d",
                                                statements=["allow dynamic-group mlflow-dg to read repos in tenancy"]),
        wait_for_states=["ACTIVE"], waiter_kwargs={"max_wait_seconds": 30}).data

    assert policy.lifecycle_state == "ACTIVE"
    gets = [e for e in emu.requests_for("identity") if e["method"] == "GET"]
    assert gets and {e["path"] for e in gets} == {f"/20160918/policies/{policy.id}"}
