"""module_utils/_vault.py without a cloud: OCID checks, version selectors, content decoding, error
classification and on_missing/on_denied, the reader's failure paths with a stub client; and the lookup's
auth option docs and the shared vault_secret doc fragment kept in step with the modules' option spec."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import oci
import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.oracle.mlflow.plugins.doc_fragments import vault_secret as vault_secret_fragment
from ansible_collections.oracle.mlflow.plugins.doc_fragments.oci_auth import ModuleDocFragment
from ansible_collections.oracle.mlflow.plugins.lookup import vault_secret as vault_secret_lookup
from ansible_collections.oracle.mlflow.plugins.module_utils import _oci_auth
from ansible_collections.oracle.mlflow.plugins.module_utils._errors import OracleMlflowError
from ansible_collections.oracle.mlflow.plugins.modules import vault_secret_info
from ansible_collections.oracle.mlflow.plugins.module_utils._vault import (
    SecretRef,
    VaultSecretReader,
    bundle_result,
    check_secret_ocid,
    check_vault_ocid,
    classify_service_error,
    decode_content,
    describe,
    failure_action,
    is_ocid_reference,
    parse_ocid,
    secret_reference,
    version_selector,
)

SECRET = "ocid1.vaultsecret.oc1.iad.amaaaaaa4yrmhyqa3k6oe7ql5cjc7rxk3yxtfzhw7ypgnhm2zjgt2lh5mypa"
VAULT = "ocid1.vault.oc1.iad.bbpmy5l3aaeuk.abuwcljrjpp4hkl7b5e2aw3gm6imqeylqxb6ziyrk2bzkkj5nma6nl2rjzza"
SECRET_REF = SecretRef(SECRET, None, None)
NAME_REF = SecretRef(None, "mlflow-db", VAULT)


def invalid(call, *args, **kwargs) -> str:
    with pytest.raises(OracleMlflowError) as failure:
        call(*args, **kwargs)
    assert failure.value.kind == "invalid"
    return failure.value.message


# -- OCIDs --------------------------------------------------------------------------------------------

def test_parse_ocid():
    assert parse_ocid(SECRET) == {"type": "vaultsecret", "realm": "oc1", "region": "iad", "future": None,
                                  "unique": SECRET.rsplit(".", 1)[1]}
    assert parse_ocid(VAULT)["future"] == "bbpmy5l3aaeuk"
    assert parse_ocid("ocid1.tenancy.oc1..aaaaaaaa")["region"] == ""
    for junk in ("", None, "ocid2.vaultsecret.oc1.iad.x", "ocid1.vaultsecret.oc1.iad.", "ocid1.vaultsecret.oc1.iad.A"):
        assert parse_ocid(junk) is None


def test_check_secret_ocid_accepts_and_strips():
    assert check_secret_ocid(SECRET) == SECRET
    assert check_secret_ocid("  %s\n" % SECRET) == SECRET
    assert check_secret_ocid("ocid1.vaultsecret.oc19.uk-london-1.amaaaaaax") == "ocid1.vaultsecret.oc19.uk-london-1.amaaaaaax"


@pytest.mark.parametrize("value, expected", [
    ("", "secret_id is empty: expected an OCID ocid1.vaultsecret.<realm>.<region>.<unique id>."),
    (None, "secret_id is empty"),
    ("ocid1.vaultsecret.oc1.iad", "secret_id 'ocid1.vaultsecret.oc1.iad' is not a well-formed OCID: expected "
                                  "ocid1.vaultsecret.<realm>.<region>.<unique id> (lower-case letters and digits, "
                                  "no spaces)."),
    ("ocid1.vaultsecret.oc1.iad.AMAAAA", "is not a well-formed OCID"),
    ("ocid1.vaultsecret.oc1..amaaaaaa", "'ocid1.vaultsecret.oc1..amaaaaaa' has no region component"),
    (VAULT, "is the OCID of a vault, not of a secret: expected ocid1.vaultsecret.<realm>.<region>.<unique id>. To read "
            "a secret by name, give its name and the vault OCID as vault_id."),
    ("ocid1.key.oc1.iad.bbpmy5l3aaeuk.abuwcljr", "is the OCID of a key, not of a secret"),
])
def test_check_secret_ocid_refuses(value, expected):
    assert expected in invalid(check_secret_ocid, value)


def test_a_value_that_is_not_an_ocid_is_not_echoed():
    message = invalid(check_secret_ocid, "hunter2-the-password", option="the term")

    assert message == ("the term is not an OCID (it does not start with 'ocid1.'): expected "
                       "ocid1.vaultsecret.<realm>.<region>.<unique id>.")


def test_check_vault_ocid():
    assert check_vault_ocid(VAULT) == VAULT
    assert "is the OCID of a vaultsecret, not of a vault" in invalid(check_vault_ocid, SECRET)


def test_secret_reference():
    assert secret_reference(SECRET) == SECRET_REF
    assert secret_reference(name=" mlflow-db ", vault_id=VAULT) == NAME_REF
    assert "not both" in invalid(secret_reference, SECRET, "mlflow-db", VAULT)
    assert "No secret given" in invalid(secret_reference)
    assert "No secret given" in invalid(secret_reference, name="  ", vault_id=VAULT)
    assert ("The secret 'mlflow-db' is given by name: vault_id (the OCID of its vault) is required as well"
            in invalid(secret_reference, name="mlflow-db"))
    assert describe(SECRET_REF) == "secret %s" % SECRET
    assert describe(NAME_REF) == "secret 'mlflow-db' in vault %s" % VAULT


def test_is_ocid_reference():
    assert is_ocid_reference(SECRET) and is_ocid_reference(" ocid1.x")
    assert not is_ocid_reference("mlflow-db") and not is_ocid_reference(None)


# -- version selectors ----------------------------------------------------------------------------------

def test_version_selector():
    assert version_selector() == {}
    assert version_selector(stage="previous") == {"stage": "PREVIOUS"}
    assert version_selector(version_number=3) == {"version_number": 3}
    assert version_selector(version_number="3") == {"version_number": 3}
    assert version_selector(version_name="v3") == {"secret_version_name": "v3"}


@pytest.mark.parametrize("kwargs, expected", [
    ({"stage": "CURRENT", "version_number": 2}, "not stage and version_number"),
    ({"version_number": 1, "version_name": "a"}, "not version_number and version_name"),
    ({"stage": "OLDEST"}, "Unknown stage 'OLDEST': use one of CURRENT, PENDING, LATEST, PREVIOUS, DEPRECATED."),
    ({"version_number": 0}, "version_number must be a positive integer, not '0'."),
    ({"version_number": -2}, "positive integer"),
    ({"version_number": "two"}, "positive integer"),
    ({"version_number": "2.5"}, "positive integer"),
    ({"version_number": True}, "positive integer"),
    ({"version_name": " "}, "version_name is empty."),
])
def test_version_selector_refuses(kwargs, expected):
    assert expected in invalid(version_selector, **kwargs)


# -- content ----------------------------------------------------------------------------------------------

def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def test_decode_content():
    ads = {"user_name": "u", "password": "p@ss:w/rd%#1", "host": "h", "port": "3306", "database": "mlflow"}
    assert decode_content("BASE64", b64("s3cr3t ünïcode")) == "s3cr3t ünïcode"
    assert decode_content("BASE64", b64("s3cr3t"), decode=False) == b64("s3cr3t")
    assert decode_content("BASE64", b64(json.dumps(ads)), parse_json=True) == ads
    assert decode_content("BASE64", b64("[1, 2]"), parse_json=True) == [1, 2]
    assert decode_content("BASE64", b64("")) == ""


def format_error(*args, **kwargs) -> str:
    with pytest.raises(OracleMlflowError) as failure:
        decode_content(*args, **kwargs)
    assert failure.value.kind == "format"
    return failure.value.message


def test_decode_content_failures_never_show_the_content():
    assert format_error("BASE64", "not base64 at all!") == "The secret bundle content is not valid base64."
    binary = format_error("BASE64", b64(b"\xff\xfehunter2"))
    assert binary == ("The secret is not UTF-8 text (9 bytes of binary data): set decode=false to get its base64 "
                      "encoding instead.")
    not_json = format_error("BASE64", b64("password=hunter2"), parse_json=True)
    assert not_json == ("The secret is not JSON (Expecting value at line 1 column 1); set parse_json=false to get "
                        "the text.")
    truncated = format_error("BASE64", b64('{"password": "hunter2"'), parse_json=True)
    assert "hunter2" not in truncated and "line 1 column 23" in truncated
    assert "content type is PLAIN" in format_error("PLAIN", "x")
    assert "no content" in format_error("BASE64", None)
    assert "parse_json needs decode=true" in invalid(decode_content, "BASE64", b64("{}"), decode=False, parse_json=True)


# -- failures ------------------------------------------------------------------------------------------------

def test_404_is_missing_and_names_both_causes():
    error = classify_service_error(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not "
                                   "found.", SECRET_REF, request_id="ABC")

    assert error.kind == "missing"
    assert error.message == (
        "OCI cannot find secret %s, or this principal may not read it: OCI answers both with 404 "
        "NotAuthorizedOrNotFound [404 NotAuthorizedOrNotFound: Authorization failed or requested resource not found. "
        "(opc-request-id ABC)]. Check the OCID, and that an IAM policy lets the principal read it, for example "
        "'allow dynamic-group <group> to read secret-bundles in compartment <compartment>'." % SECRET)


def test_404_of_a_version_by_name():
    error = classify_service_error(404, "NotAuthorizedOrNotFound", None, NAME_REF, {"stage": "PREVIOUS"})

    assert error.message.startswith("OCI cannot find secret 'mlflow-db' in vault %s, or it has no stage PREVIOUS, or "
                                    "this principal may not read it" % VAULT)
    assert "Check the name and vault_id" in error.message


def test_404_points_out_a_region_mismatch():
    elsewhere = classify_service_error(404, "NotAuthorizedOrNotFound", None, SECRET_REF, region="us-phoenix-1")
    same = classify_service_error(404, "NotAuthorizedOrNotFound", None, SECRET_REF, region="us-ashburn-1")
    unknown = classify_service_error(404, "NotAuthorizedOrNotFound", None,
                                     SecretRef("ocid1.vaultsecret.oc1.nowhere.amaaaaaa", None, None),
                                     region="us-ashburn-1")

    assert elsewhere.message.endswith("The OCID names region us-ashburn-1 but the request went to us-phoenix-1: set the "
                                      "region option (or OCI_CLI_REGION) to us-ashburn-1.")
    assert "names region" not in same.message and "names region" not in unknown.message


@pytest.mark.parametrize("status, code, kind, text", [
    (401, "NotAuthenticated", "denied", "OCI did not accept the credentials reading secret"),
    (403, "NotAuthorized", "denied", "OCI denied reading secret"),
    (429, "TooManyRequests", "error", "Reading secret %s (the CURRENT version) failed [429 TooManyRequests" % SECRET),
    (500, "InternalServerError", "error", "failed [500 InternalServerError"),
])
def test_other_statuses(status, code, kind, text):
    error = classify_service_error(status, code, "message\n  on two lines", SECRET_REF)

    assert error.kind == kind and text in error.message
    assert "message on two lines" in error.message


@pytest.mark.parametrize("kind, expected", [
    ("missing", "warn"), ("denied", "skip"), ("invalid", "error"), ("format", "error"), ("error", "error")])
def test_failure_action(kind, expected):
    assert failure_action(OracleMlflowError(kind, "m"), on_missing="warn", on_denied="skip") == expected
    assert failure_action(OracleMlflowError(kind, "m")) == "error"


# -- results and the reader ------------------------------------------------------------------------------

def bundle(content="czNjcjN0", content_type="BASE64"):
    created = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
    return oci.secrets.models.SecretBundle(
        secret_id=SECRET, version_number=2, version_name=None, stages=["CURRENT", "LATEST"], time_created=created,
        metadata={"owner": "ml"},
        secret_bundle_content=oci.secrets.models.Base64SecretBundleContentDetails(
            content_type=content_type, content=content))


def test_bundle_result():
    assert bundle_result(bundle(), "s3cr3t") == {
        "secret": "s3cr3t", "secret_id": SECRET, "version_number": 2, "version_name": None,
        "stages": ["CURRENT", "LATEST"], "time_created": "2026-03-01T12:00:00+00:00", "time_of_expiry": None,
        "time_of_deletion": None, "metadata": {"owner": "ml"}}


class StubClient:
    """Stands in for oci.secrets.SecretsClient: records calls, answers or raises."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []
        self.base_client = type("Base", (), {"get_endpoint": staticmethod(lambda: "https://secrets.example")})()

    def _call(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        if isinstance(self.answer, Exception):
            raise self.answer
        return oci.response.Response(200, {}, self.answer, None)

    def get_secret_bundle(self, *args, **kwargs):
        return self._call("get_secret_bundle", *args, **kwargs)

    def get_secret_bundle_by_name(self, *args, **kwargs):
        return self._call("get_secret_bundle_by_name", *args, **kwargs)


def reader_with(answer) -> tuple[VaultSecretReader, StubClient]:
    reader = VaultSecretReader({"timeout": 5})
    reader._client, reader.region = StubClient(answer), "us-ashburn-1"
    return reader, reader._client


def test_reader_by_ocid_and_by_name():
    reader, client = reader_with(bundle())

    assert reader.read(SECRET_REF, {"stage": "PREVIOUS"})["secret"] == "s3cr3t"
    assert reader.read(NAME_REF, decode=False)["secret"] == "czNjcjN0"
    assert client.calls == [("get_secret_bundle", (SECRET,), {"stage": "PREVIOUS"}),
                            ("get_secret_bundle_by_name", (), {"secret_name": "mlflow-db", "vault_id": VAULT})]


def test_reader_classifies_service_errors():
    reader, _ = reader_with(oci.exceptions.ServiceError(404, "NotAuthorizedOrNotFound", {"opc-request-id": "R1"},
                                                        "Authorization failed or requested resource not found."))

    with pytest.raises(OracleMlflowError) as failure:
        reader.read(SECRET_REF)

    assert failure.value.kind == "missing" and "(opc-request-id R1)" in failure.value.message


def test_reader_reports_connection_errors():
    reader, _ = reader_with(oci.exceptions.RequestException("Failed to establish a new connection: [Errno 111] "
                                                            "Connection refused"))

    with pytest.raises(OracleMlflowError) as failure:
        reader.read(NAME_REF)

    assert failure.value.kind == "error"
    assert failure.value.message == ("Cannot reach the OCI Secrets service at https://secrets.example reading secret "
                                     "'mlflow-db' in vault %s: [Errno 111] Connection refused" % VAULT)


def test_reader_reports_principal_setup_failures():
    reader = VaultSecretReader({"auth_type": "resource_principal"})

    with pytest.raises(_oci_auth.OciAuthError, match="resource principal environment"):
        reader.read(SECRET_REF)


# -- the lookup's auth option docs --------------------------------------------------------------------------

def test_lookup_auth_docs_match_the_module_spec():
    """Same option names, defaults and environment variables; env entries listed last-wins (Ansible's
    config manager takes the last variable set), so the first name of the module's fallback wins."""
    options = yaml.safe_load(ModuleDocFragment.LOOKUP)["options"]
    env_lists = {"auth_type": _oci_auth.AUTH_TYPE_ENV, "config_file": _oci_auth.CONFIG_FILE_ENV,
                 "config_profile": _oci_auth.CONFIG_PROFILE_ENV, "region": _oci_auth.REGION_ENV, "timeout": []}

    assert set(options) == set(_oci_auth.OCI_COMMON_ARGS)
    for name, spec in _oci_auth.OCI_COMMON_ARGS.items():
        assert options[name].get("default") == spec.get("default"), name
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("choices") == spec.get("choices"), name
        assert [entry["name"] for entry in options[name].get("env", [])] == list(reversed(env_lists[name])), name


def module_argument_spec(monkeypatch):
    """vault_secret_info's argument_spec, as main() hands it (through OciModule) to AnsibleModule."""
    class Captured(Exception):
        pass

    def capture(self, argument_spec, **kwargs):
        raise Captured(argument_spec)

    monkeypatch.setattr(AnsibleModule, "__init__", capture)
    with pytest.raises(Captured) as captured:
        vault_secret_info.main()
    return captured.value.args[0]


def test_vault_secret_fragment_matches_the_module_spec(monkeypatch):
    """The selector and result options both plugins take from doc_fragments/vault_secret.py have the module's
    types, defaults and choices (validate-modules checks the module; the lookup has no spec but these docs)."""
    spec = module_argument_spec(monkeypatch)
    shared = yaml.safe_load(vault_secret_fragment.ModuleDocFragment.DOCUMENTATION)["options"]
    module_doc = yaml.safe_load(vault_secret_info.DOCUMENTATION)
    lookup_doc = yaml.safe_load(vault_secret_lookup.DOCUMENTATION)

    for doc in (module_doc, lookup_doc):
        assert "oracle.mlflow.vault_secret" in doc["extends_documentation_fragment"]
        assert not set(shared) & set(doc["options"])
    assert set(shared) | set(module_doc["options"]) | set(_oci_auth.OCI_COMMON_ARGS) == set(spec)
    for name, option in shared.items():
        assert option["type"] == spec[name]["type"], name
        assert option.get("default") == spec[name].get("default"), name
        assert option.get("choices") == spec[name].get("choices"), name


def test_lookup_options_are_documented():
    """Every option the lookup reads is documented: its own, the auth fragment's and the shared one's."""
    with open(vault_secret_lookup.__file__, encoding="utf-8") as source:
        read = set(re.findall(r"get_option\('(\w+)'\)", source.read())) | {"_terms"}
    documented = (set(yaml.safe_load(vault_secret_lookup.DOCUMENTATION)["options"])
                  | set(yaml.safe_load(ModuleDocFragment.LOOKUP)["options"])
                  | set(yaml.safe_load(vault_secret_fragment.ModuleDocFragment.DOCUMENTATION)["options"]))

    assert documented == read | set(_oci_auth.OCI_AUTH_ARGS)
