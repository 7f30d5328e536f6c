"""IAM policy enforcement (State.enforce_policies, iam.py) for the principals the emulator issues,
through the unmodified SDK: instance principals (the default and named instances) and resource
principals need a dynamic group whose matching rule they meet and a statement that grants it the
operation's permission in the resource's compartment; the request log records each check."""

from __future__ import annotations

import io

import jwt
import oci
import pytest
import requests

from . import realm

NO_RETRY = oci.retry.NoneRetryStrategy()
NS = realm.NAMESPACE
BUCKET = "mlflow-artifacts"
BY_INSTANCE = f"instance.id = '{realm.INSTANCE}'"
CONTAINER_INSTANCE = f"ocid1.computecontainerinstance.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.aaaaaaaaci1"


@pytest.fixture
def emu(oci_emulator_env, enforcing_oci_emulator):
    return enforcing_oci_emulator


@pytest.fixture
def instance_signer(emu):
    return oci.auth.signers.InstancePrincipalsSecurityTokenSigner(federation_client_retry_strategy=NO_RETRY)


def secrets(signer) -> oci.secrets.SecretsClient:
    return oci.secrets.SecretsClient({}, signer=signer, retry_strategy=NO_RETRY)


def storage(signer) -> oci.object_storage.ObjectStorageClient:
    return oci.object_storage.ObjectStorageClient({}, signer=signer, retry_strategy=NO_RETRY)


def refusal(call) -> oci.exceptions.ServiceError:
    with pytest.raises(oci.exceptions.ServiceError) as failure:
        call()
    return failure.value


def allow(emu, *statements, name="mlflow-policy", compartment_id=realm.TENANCY):
    return emu.state.add_policy(name, list(statements), compartment_id=compartment_id)


def last_check(emu, service):
    [check] = emu.requests_for(service)[-1]["policy"]
    return check


def reads(emu, signer, secret_id) -> bool:
    """Whether the principal may read the secret's bundle (404 NotAuthorizedOrNotFound otherwise)."""
    try:
        secrets(signer).get_secret_bundle(secret_id)
    except oci.exceptions.ServiceError as error:
        assert (error.status, error.code) == (404, "NotAuthorizedOrNotFound")
        return False
    return True


# -- the switch -------------------------------------------------------------------------------------------

def test_without_enforcement_everything_signed_is_allowed(oci_emulator_env, clean_oci_emulator):
    secret_id = clean_oci_emulator.state.add_secret("db", "s3cret")
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(federation_client_retry_strategy=NO_RETRY)

    assert secrets(signer).get_secret_bundle(secret_id).data.secret_id == secret_id
    assert clean_oci_emulator.requests_for("vault")[-1]["policy"] == []


def test_user_principals_are_never_checked(emu):
    secret_id = emu.state.add_secret("db", "s3cret")

    client = oci.secrets.SecretsClient(oci.config.from_file(), retry_strategy=NO_RETRY)
    assert client.get_secret_bundle(secret_id).data.secret_id == secret_id
    assert emu.requests_for("vault")[-1]["policy"] == []


# -- Vault ------------------------------------------------------------------------------------------------

def test_a_secret_read_needs_a_group_and_a_statement_and_the_log_says_why(emu, instance_signer):
    secret_id = emu.state.add_secret("db", "s3cret")

    assert not reads(emu, instance_signer, secret_id)
    denied = last_check(emu, "vault")
    assert denied == {"permission": "SECRET_BUNDLE_READ", "compartment_id": realm.COMPARTMENT,
                      "target": {"target.secret.id": secret_id, "target.secret.name": "db",
                                 "target.vault.id": realm.VAULT},
                      "dynamic_groups": [], "allowed": False, "policy": None, "statement": None}

    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)
    assert not reads(emu, instance_signer, secret_id)
    assert last_check(emu, "vault")["dynamic_groups"] == ["mlflow-dg"]

    statement = "allow dynamic-group mlflow-dg to read secret-bundles in compartment emulator"
    policy = allow(emu, statement)
    assert reads(emu, instance_signer, secret_id)
    assert last_check(emu, "vault") | {"target": None} == {
        "permission": "SECRET_BUNDLE_READ", "compartment_id": realm.COMPARTMENT, "target": None,
        "dynamic_groups": ["mlflow-dg"], "allowed": True, "policy": "mlflow-policy", "statement": statement}

    del emu.state.policies[policy.id]
    assert not reads(emu, instance_signer, secret_id)
    assert [e["status"] for e in emu.requests_for("vault")] == [404, 404, 200, 404]


@pytest.mark.parametrize(("grant", "allowed"), [
    ("inspect secret-family", False), ("read secret-family", True), ("use secret-family", True),
    ("manage secret-family", True), ("read secret-bundles", True), ("manage secrets", False),
    ("read all-resources", True), ("manage object-family", False), ("MANAGE Secret-Family", True),
])
def test_verbs_and_resource_types(emu, instance_signer, grant, allowed):
    secret_id = emu.state.add_secret("db", "s3cret")
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)
    allow(emu, f"allow dynamic-group mlflow-dg to {grant} in tenancy")

    assert reads(emu, instance_signer, secret_id) is allowed


def test_compartments_inherit_and_names_resolve_from_the_policys_compartment(emu, instance_signer):
    team = emu.state.add_compartment("team", parent_id=realm.COMPARTMENT)
    in_team = emu.state.add_secret("team-db", "t", compartment_id=team.id)
    in_emulator = emu.state.add_secret("db", "e")
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)

    allow(emu, "allow dynamic-group mlflow-dg to read secret-bundles in compartment emulator:team")
    assert (reads(emu, instance_signer, in_team), reads(emu, instance_signer, in_emulator)) == (True, False)

    emu.state.policies.clear()
    allow(emu, "allow dynamic-group mlflow-dg to read secret-bundles in compartment team",
          compartment_id=realm.COMPARTMENT)
    assert (reads(emu, instance_signer, in_team), reads(emu, instance_signer, in_emulator)) == (True, False)

    emu.state.policies.clear()
    allow(emu, f"allow dynamic-group mlflow-dg to read secret-bundles in compartment id {realm.COMPARTMENT}")
    assert (reads(emu, instance_signer, in_team), reads(emu, instance_signer, in_emulator)) == (True, True)


def test_conditions(emu, instance_signer):
    db = emu.state.add_secret("db", "1")
    other = emu.state.add_secret("other", "2")
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)

    allow(emu, "allow dynamic-group mlflow-dg to read secret-bundles in tenancy where target.secret.name = 'DB'")
    assert (reads(emu, instance_signer, db), reads(emu, instance_signer, other)) == (True, False)

    emu.state.policies.clear()
    allow(emu, "allow dynamic-group mlflow-dg to read secret-family in tenancy where any "
               f"{{target.secret.id = '{other}', target.bucket.name = 'x'}}")
    assert (reads(emu, instance_signer, db), reads(emu, instance_signer, other)) == (False, True)

    emu.state.policies.clear()
    allow(emu, "allow dynamic-group mlflow-dg to read secret-family in tenancy where target.secret.name != 'db'")
    assert (reads(emu, instance_signer, db), reads(emu, instance_signer, other)) == (False, True)


def test_deny_still_wins_over_a_policy(emu, instance_signer):
    secret_id = emu.state.add_secret("db", "s3cret")
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)
    allow(emu, "allow dynamic-group mlflow-dg to read secret-bundles in tenancy")
    emu.state.deny(secret_id)

    assert not reads(emu, instance_signer, secret_id)


# -- Object Storage ---------------------------------------------------------------------------------------

def test_objects_in_one_named_bucket(emu, instance_signer):
    emu.state.add_bucket(BUCKET)
    emu.state.add_bucket("other")
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)
    allow(emu, "allow dynamic-group mlflow-dg to manage objects in compartment emulator "
               f"where target.bucket.name = '{BUCKET}'")
    client = storage(instance_signer)

    assert client.get_namespace().data == NS, "GetNamespace needs no policy"
    client.put_object(NS, BUCKET, "runs/1/model.pkl", b"model")
    assert client.get_object(NS, BUCKET, "runs/1/model.pkl").data.content == b"model"
    assert [o.name for o in client.list_objects(NS, BUCKET).data.objects] == ["runs/1/model.pkl"]
    manager = oci.object_storage.UploadManager(client, allow_parallel_uploads=False)
    manager.upload_stream(NS, BUCKET, "runs/1/big.bin", io.BytesIO(b"\0" * (2 * 1024 * 1024)),
                          part_size=1024 * 1024)
    client.delete_object(NS, BUCKET, "runs/1/model.pkl")

    for call in (lambda: client.put_object(NS, "other", "x", b"x"), lambda: client.get_bucket(NS, BUCKET),
                 lambda: client.list_buckets(NS, realm.COMPARTMENT), lambda: client.get_namespace_metadata(NS)):
        error = refusal(call)
        assert error.status == 404 and error.code in ("BucketNotFound", "NotAuthorizedOrNotFound")
    assert emu.state.objects(BUCKET) == {"runs/1/big.bin": 2 * 1024 * 1024}
    assert emu.state.objects("other") == {}
    denied = [check["permission"] for e in emu.requests_for("object_storage") for check in e["policy"]
              if not check["allowed"]]
    assert denied == ["OBJECT_CREATE", "BUCKET_READ", "BUCKET_INSPECT", "OBJECTSTORAGE_NAMESPACE_READ"]


def test_all_conditions_and_the_verbs_of_objects(emu, instance_signer):
    emu.state.add_bucket(BUCKET)
    emu.state.put_object(BUCKET, "there", b"old")
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)
    allow(emu, f"allow dynamic-group mlflow-dg to use objects in tenancy where all {{target.bucket.name = '{BUCKET}', "
               "request.permission != 'OBJECT_INSPECT'}",
          "allow dynamic-group mlflow-dg to read buckets in compartment emulator",
          "allow dynamic-group mlflow-dg to read objectstorage-namespaces in tenancy")
    client = storage(instance_signer)

    client.put_object(NS, BUCKET, "there", b"new")  # use objects: OBJECT_OVERWRITE
    assert client.get_object(NS, BUCKET, "there").data.content == b"new"
    assert client.get_bucket(NS, BUCKET).data.name == BUCKET
    assert client.get_namespace_metadata(NS).data.namespace == NS
    assert refusal(lambda: client.put_object(NS, BUCKET, "new", b"x")).code == "BucketNotFound"  # OBJECT_CREATE
    assert refusal(lambda: client.list_objects(NS, BUCKET)).code == "BucketNotFound"  # excluded by the condition
    assert refusal(lambda: client.delete_object(NS, BUCKET, "there")).status == 404
    assert emu.state.objects(BUCKET) == {"there": 3}


# -- who is in a dynamic group ----------------------------------------------------------------------------

def test_matching_rules_on_named_instances_in_compartments(emu, monkeypatch):
    team = emu.state.add_compartment("team")
    secret_id = emu.state.add_secret("db", "s3cret", compartment_id=team.id)
    inside = emu.state.add_named_instance("iam-team-host", compartment_id=team.id)
    outside = emu.state.add_named_instance("iam-other-host")
    emu.state.add_dynamic_group("team-hosts", f"ALL {{instance.compartment.id = '{team.id}'}}")
    allow(emu, "allow dynamic-group team-hosts to read secret-bundles in compartment team")

    def signer_of(name):
        monkeypatch.setenv("OCI_METADATA_BASE_URL", f"{emu.url}/instances/{name}/opc/v2")
        return oci.auth.signers.InstancePrincipalsSecurityTokenSigner(federation_client_retry_strategy=NO_RETRY)

    assert reads(emu, signer_of(inside.name), secret_id)
    assert not reads(emu, signer_of(outside.name), secret_id)
    assert emu.requests_for("vault")[-1]["principal"]["id"] == outside.instance_id
    with pytest.raises(ValueError, match="already in compartment"):
        emu.state.add_named_instance("iam-other-host", compartment_id=team.id)


def test_resource_principals_match_by_type_and_compartment(emu, monkeypatch, tmp_path):
    secret_id = emu.state.add_secret("db", "s3cret")
    emu.state.add_dynamic_group("container-instances", "ALL {resource.type = 'computecontainerinstance', "
                                                       f"resource.compartment.id = '{realm.COMPARTMENT}'}}")
    allow(emu, "allow dynamic-group container-instances to read secret-bundles in compartment emulator")

    def signer_for(directory, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return oci.auth.signers.get_resource_principals_signer()

    container = signer_for(tmp_path / "ci", emu.mint_resource_principal(tmp_path / "ci", resource_id=CONTAINER_INSTANCE))
    assert reads(emu, container, secret_id)
    assert emu.requests_for("vault")[-1]["principal"]["id"] == CONTAINER_INSTANCE

    notebook = signer_for(tmp_path / "nb", emu.resource_principal_env)  # a datasciencenotebooksession
    assert not reads(emu, notebook, secret_id)

    elsewhere = emu.mint_resource_principal(tmp_path / "ci2", resource_id=CONTAINER_INSTANCE + "2",
                                            compartment_id=realm.TENANCY)
    assert not reads(emu, signer_for(tmp_path / "ci2", elsewhere), secret_id)


def test_only_active_groups_and_policies_count(emu, instance_signer, oci_emulator_env):
    secret_id = emu.state.add_secret("db", "s3cret")
    emu.state.iam_activation_seconds = None  # created through the API, they stay CREATING
    identity = oci.identity.IdentityClient(oci.config.from_file(), retry_strategy=NO_RETRY)
    group = identity.create_dynamic_group(oci.identity.models.CreateDynamicGroupDetails(
        compartment_id=realm.TENANCY, name="mlflow-dg", description="d", matching_rule=BY_INSTANCE)).data
    identity.create_policy(oci.identity.models.CreatePolicyDetails(
        compartment_id=realm.TENANCY, name="p", description="d",
        statements=["allow dynamic-group mlflow-dg to read secret-bundles in tenancy"]))

    assert not reads(emu, instance_signer, secret_id)
    assert last_check(emu, "vault")["dynamic_groups"] == []

    emu.state.dynamic_groups[group.id].active_at = 0.0
    assert not reads(emu, instance_signer, secret_id)
    assert last_check(emu, "vault")["dynamic_groups"] == ["mlflow-dg"]

    emu.state.policy_by_name("p").active_at = 0.0
    assert reads(emu, instance_signer, secret_id)


# -- OCIR and Identity ------------------------------------------------------------------------------------

def test_registry_tokens_carry_only_the_granted_actions(emu, instance_signer):
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)
    allow(emu, "allow dynamic-group mlflow-dg to read repos in tenancy")
    emu.state.add_repository("pushed", compartment_id=realm.COMPARTMENT)

    def access(*scopes):
        answer = requests.get(f"https://{realm.OCIR_HOST}/20180419/docker/token", auth=instance_signer,
                              params={"scope": list(scopes), "service": realm.OCIR_HOST}, timeout=10)
        assert answer.status_code == 200
        return jwt.decode(answer.json()["token"], options={"verify_signature": False})["access"]

    assert access(f"repository:{NS}/oci-mlflow:pull,push") == [
        {"type": "repository", "name": f"{NS}/oci-mlflow", "actions": ["pull"]}]
    checks = emu.requests_for("ocir")[-1]["policy"]
    assert [(c["permission"], c["compartment_id"], c["allowed"]) for c in checks] == [
        ("REPOSITORY_READ", realm.TENANCY, True), ("REPOSITORY_CREATE", realm.TENANCY, False)]

    allow(emu, "allow dynamic-group mlflow-dg to use repos in compartment emulator where target.repo.name = 'pushed'",
          name="push")
    assert access(f"repository:{NS}/pushed:pull,push", f"repository:{NS}/oci-mlflow:push") == [
        {"type": "repository", "name": f"{NS}/pushed", "actions": ["pull", "push"]},
        {"type": "repository", "name": f"{NS}/oci-mlflow", "actions": []}]


def test_identity_calls_of_an_instance_principal_need_policies_too(emu, instance_signer):
    emu.state.add_dynamic_group("mlflow-dg", BY_INSTANCE)
    identity = oci.identity.IdentityClient({}, signer=instance_signer, retry_strategy=NO_RETRY)

    assert refusal(lambda: identity.list_dynamic_groups(realm.TENANCY)).status == 404

    allow(emu, "allow dynamic-group mlflow-dg to inspect dynamic-groups in tenancy")
    assert [g.name for g in identity.list_dynamic_groups(realm.TENANCY).data] == ["mlflow-dg"]
    details = oci.identity.models.CreateDynamicGroupDetails(compartment_id=realm.TENANCY, name="more",
                                                            description="d", matching_rule=BY_INSTANCE)
    assert refusal(lambda: identity.create_dynamic_group(details)).status == 404
    assert refusal(lambda: identity.list_policies(realm.TENANCY)).status == 404
