"""Vault secret bundles through the unmodified SDK (`oci.secrets.SecretsClient`): by OCID and by
name, every version selector, the version list, refusals, and seeding from another process."""

from __future__ import annotations

import base64
import json

import oci
import pytest
import requests

from . import realm

NO_RETRY = oci.retry.NoneRetryStrategy()
ADS_SECRET = {"user_name": "mlflow", "password": "p@ss:w/rd%#1", "host": "db.example", "port": "3306",
              "database": "mlflow"}
OTHER_VAULT = f"ocid1.vault.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.other.aaaaaaaaothervault"


def secrets_client(signer=None) -> oci.secrets.SecretsClient:
    if signer is None:
        return oci.secrets.SecretsClient(oci.config.from_file(), retry_strategy=NO_RETRY)
    return oci.secrets.SecretsClient({}, signer=signer, retry_strategy=NO_RETRY)


def content(bundle) -> bytes:
    assert bundle.secret_bundle_content.content_type == "BASE64"
    assert isinstance(bundle.secret_bundle_content, oci.secrets.models.Base64SecretBundleContentDetails)
    return base64.b64decode(bundle.secret_bundle_content.content)


def refusal(call) -> oci.exceptions.ServiceError:
    with pytest.raises(oci.exceptions.ServiceError) as failure:
        call()
    return failure.value


@pytest.fixture
def emu(oci_emulator_env, clean_oci_emulator):
    return clean_oci_emulator


def test_get_secret_bundle_by_ocid_with_an_api_key(emu):
    secret_id = emu.state.add_secret("mlflow-db", json.dumps(ADS_SECRET), metadata={"owner": "ml"})
    client = secrets_client()

    bundle = client.get_secret_bundle(secret_id).data

    assert client.base_client.get_endpoint() == f"https://{realm.service_host('secrets.vaults', oci_subdomain=True)}"
    assert json.loads(content(bundle)) == ADS_SECRET
    assert (bundle.secret_id, bundle.version_number, bundle.version_name, bundle.stages, bundle.metadata) == (
        secret_id, 1, None, ["CURRENT", "LATEST"], {"owner": "ml"})
    assert bundle.time_created.tzinfo is not None and bundle.time_of_expiry is None
    assert secret_id.startswith(f"ocid1.vaultsecret.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.")
    [entry] = emu.requests
    assert (entry["method"], entry["path"], entry["status"], entry["principal"]["type"]) == (
        "GET", f"/20190301/secretbundles/{secret_id}", 200, "api_key")


def test_instance_principal_reads_a_secret_by_name(emu):
    secret_id = emu.state.add_secret("db-password", b"\x00binary\xff")
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()

    bundle = secrets_client(signer).get_secret_bundle_by_name(secret_name="db-password", vault_id=realm.VAULT).data

    assert (bundle.secret_id, content(bundle)) == (secret_id, b"\x00binary\xff")
    entry = emu.requests[-1]
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/20190301/secretbundles/actions/getByName", 200)
    assert entry["principal"] == {"type": "instance_principal", "id": realm.INSTANCE, "credential": "security_token"}
    assert "secretName=db-password" in entry["query"]


def test_names_are_per_vault(emu):
    first = emu.state.add_secret("db", "one")
    second = emu.state.add_secret("db", "two", vault_id=OTHER_VAULT)
    client = secrets_client()

    assert first != second
    assert content(client.get_secret_bundle_by_name(secret_name="db", vault_id=OTHER_VAULT).data) == b"two"
    assert content(client.get_secret_bundle_by_name(secret_name="db", vault_id=realm.VAULT).data) == b"one"


def test_stages_rotate_as_versions_are_added(emu):
    secret_id = emu.state.add_secret("rotating", ["v1", "v2", "v3"])
    emu.state.add_secret_version(secret_id, "v4-pending", stage="PENDING", version_name="next")
    client = secrets_client()

    def read(**selectors):
        bundle = client.get_secret_bundle(secret_id, **selectors).data
        return content(bundle).decode(), bundle.version_number, bundle.stages

    assert read() == ("v3", 3, ["CURRENT"])
    assert read(stage="CURRENT") == read()
    assert read(stage="PREVIOUS") == ("v2", 2, ["PREVIOUS"])
    assert read(stage="DEPRECATED") == ("v1", 1, ["DEPRECATED"])
    assert read(stage="PENDING") == ("v4-pending", 4, ["PENDING", "LATEST"])
    assert read(stage="LATEST") == read(stage="PENDING")
    assert read(version_number=1) == ("v1", 1, ["DEPRECATED"])
    assert read(secret_version_name="next") == read(stage="PENDING")
    assert read(version_number=2, stage="PREVIOUS")[0] == "v2"

    emu.state.add_secret("rotating", "v5")  # by name: a new CURRENT; the old PENDING stays PENDING
    assert read() == ("v5", 5, ["CURRENT", "LATEST"])
    assert read(stage="PREVIOUS")[0] == "v3"
    assert read(stage="PENDING") == ("v4-pending", 4, ["PENDING"])
    assert read(version_number=2)[2] == ["DEPRECATED"]


def test_a_version_that_is_not_there(emu):
    secret_id = emu.state.add_secret("single", "only")
    client = secrets_client()

    for selectors in ({"stage": "PREVIOUS"}, {"version_number": 7}, {"secret_version_name": "nope"},
                      {"version_number": 1, "stage": "PREVIOUS"}):
        error = refusal(lambda: client.get_secret_bundle(secret_id, **selectors))
        assert (error.status, error.code) == (404, "NotAuthorizedOrNotFound"), selectors
    assert "has no version with stage=PREVIOUS" in refusal(
        lambda: client.get_secret_bundle(secret_id, stage="PREVIOUS")).message


def test_list_secret_bundle_versions_pages_and_sorts(emu):
    secret_id = emu.state.add_secret("listed", ["a", "b", "c"])
    client = secrets_client()

    newest_first = client.list_secret_bundle_versions(secret_id).data
    assert [(v.version_number, v.stages) for v in newest_first] == [
        (3, ["CURRENT", "LATEST"]), (2, ["PREVIOUS"]), (1, ["DEPRECATED"])]
    assert all(isinstance(v, oci.secrets.models.SecretBundleVersionSummary) for v in newest_first)

    first = client.list_secret_bundle_versions(secret_id, limit=2, sort_order="ASC")
    assert [v.version_number for v in first.data] == [1, 2] and first.has_next_page
    rest = client.list_secret_bundle_versions(secret_id, limit=2, sort_order="ASC", page=first.next_page)
    assert [v.version_number for v in rest.data] == [3] and not rest.has_next_page
    everything = oci.pagination.list_call_get_all_results(client.list_secret_bundle_versions, secret_id, limit=1)
    assert [v.version_number for v in everything.data] == [3, 2, 1]


def test_unknown_secrets_are_not_authorized_or_not_found(emu):
    client = secrets_client()
    unknown = f"ocid1.vaultsecret.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.amaaaaaanothere"

    for call in (lambda: client.get_secret_bundle(unknown),
                 lambda: client.get_secret_bundle_by_name(secret_name="nothing", vault_id=realm.VAULT),
                 lambda: client.list_secret_bundle_versions(unknown)):
        error = refusal(call)
        assert (error.status, error.code, error.message) == (
            404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found.")
    assert [e["status"] for e in emu.requests] == [404] * 3


@pytest.mark.parametrize("subject", ["api_key", realm.USER, "secret", "vault"])
def test_deny_answers_like_a_missing_policy(emu, subject):
    secret_id = emu.state.add_secret("guarded", "s3cret")
    emu.state.deny({"secret": secret_id, "vault": realm.VAULT}.get(subject, subject))
    client = secrets_client()

    error = refusal(lambda: client.get_secret_bundle(secret_id))
    by_name = refusal(lambda: client.get_secret_bundle_by_name(secret_name="guarded", vault_id=realm.VAULT))

    assert {(e.status, e.code) for e in (error, by_name)} == {(404, "NotAuthorizedOrNotFound")}
    assert emu.requests[-1]["principal"]["type"] == "api_key"  # authenticated, then refused


def test_deny_one_principal_type_only(emu):
    secret_id = emu.state.add_secret("for-keys-only", "s3cret")
    emu.state.deny("instance_principal", status=401)

    error = refusal(lambda: secrets_client(oci.auth.signers.InstancePrincipalsSecurityTokenSigner())
                    .get_secret_bundle(secret_id))

    assert (error.status, error.code) == (401, "NotAuthenticated")
    assert content(secrets_client().get_secret_bundle(secret_id).data) == b"s3cret"


def test_deny_with_403(emu):
    secret_id = emu.state.add_secret("forbidden", "s3cret")
    emu.state.deny(secret_id, status=403)

    error = refusal(lambda: secrets_client().get_secret_bundle(secret_id))

    assert (error.status, error.code) == (403, "NotAuthorized")
    with pytest.raises(ValueError):
        emu.state.deny(secret_id, status=500)


def test_reset_forgets_secrets_and_denials(emu):
    secret_id = emu.state.add_secret("temporary", "x")
    emu.state.deny("api_key")

    emu.reset()

    assert emu.state.secret(secret_id) is None and emu.state.denials == {}


def test_unsigned_requests_are_refused(emu):
    secret_id = emu.state.add_secret("signed-only", "x")
    response = requests.get(f"{emu.url}/20190301/secretbundles/{secret_id}", proxies={"http": None}, timeout=10)

    assert (response.status_code, response.json()["code"]) == (401, "NotAuthenticated")


def test_bad_selectors_are_invalid_parameters(emu):
    secret_id = emu.state.add_secret("strict", "x")
    signer = oci.signer.Signer.from_config(oci.config.from_file())
    url = f"https://{realm.service_host('secrets.vaults', oci_subdomain=True)}/20190301/secretbundles/{secret_id}"

    for query in ({"versionNumber": "two"}, {"versionNumber": "0"}, {"stage": "OLDEST"}):
        response = requests.get(url, params=query, auth=signer, timeout=10)
        assert (response.status_code, response.json()["code"]) == (400, "InvalidParameter"), query


def test_seed_secrets_and_denials_over_http(emu):
    with requests.Session() as control:
        control.trust_env = False

        def seed(kind, body):
            return control.post(f"{emu.url}/_emulator/seed/{kind}", json=body, timeout=10)

        created = seed("secret", {"name": "from-afar", "contents": ["old", "new"], "metadata": {"k": "v"}}).json()
        added = seed("secret", {"secret_id": created["secret_id"], "content_base64": base64.b64encode(b"pending")
                                .decode(), "stage": "PENDING", "version_name": "p1"}).json()
        other = seed("secret", {"name": "elsewhere", "content": "x", "vault_id": OTHER_VAULT}).json()
        denied = seed("deny", {"subject": other["secret_id"], "status": 401}).json()
        bad = [seed("secret", {"name": "x"}), seed("secret", {"name": "x", "content": "a", "contents": ["b"]}),
               seed("secret", {"name": "x", "content": "a", "stage": "PREVIOUS"}),
               seed("secret", {"secret_id": "ocid1.vaultsecret.octest.lts.nothere", "content": "a"}),
               seed("deny", {"subject": "api_key", "status": 200}), seed("deny", {})]

    assert created == {"secret_id": created["secret_id"], "vault_id": realm.VAULT, "version_number": 2}
    assert added == {"secret_id": created["secret_id"], "vault_id": realm.VAULT, "version_number": 3}
    assert denied == {"subject": other["secret_id"], "status": 401}
    assert [r.status_code for r in bad] == [400, 400, 400, 404, 400, 400]
    client = secrets_client()
    assert content(client.get_secret_bundle(created["secret_id"]).data) == b"new"
    assert content(client.get_secret_bundle(created["secret_id"], secret_version_name="p1").data) == b"pending"
    assert client.get_secret_bundle(created["secret_id"]).data.metadata == {"k": "v"}
    assert refusal(lambda: client.get_secret_bundle(other["secret_id"])).status == 401
