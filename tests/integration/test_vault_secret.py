# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.vault_secret_info (module + action plugin) and the oracle.mlflow.vault_secret lookup,
run by `ansible` / `ansible-playbook` against the OCI emulator's Vault secret bundles.

What "masked" means here, and what is tested:
* The module's result holds the secret, so its action plugin marks the result no_log: every callback
  prints it censored (ad hoc JSON output, the default callback with -v), and the password string is
  absent from stdout. The registered variable keeps the value: plays dump it (no_log) to a file the test
  reads, or assert on it in-play.
* A lookup's value cannot be hidden by the plugin (Ansible has no such hook); the tests check that it is
  not templated (unsafe) and that warnings and errors never carry it.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = REPO_ROOT / ".venv" / "bin"

PASSWORD = "p@ss:w/rd%#1-vault-under-test"
ADS_SECRET = {"user_name": "mlflow", "password": PASSWORD, "host": "db.internal", "port": "3306",
              "database": "mlflow"}
VAULT = "ocid1.vault.octest.lts.emulatorvault.aaaaaaaaemulatorvault"
UNKNOWN_SECRET = "ocid1.vaultsecret.octest.lts.amaaaaaanosuchsecret"
BUNDLES = "/20190301/secretbundles"
CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"


# -- fixtures and helpers ----------------------------------------------------------------------------

@pytest.fixture
def info(run_module, env):
    """info(args, check=False, env=None) -> the result as the ad hoc JSON callback prints it."""
    def run(args, check=False, env=env):
        return run_module("vault_secret_info", args, check=check, env=env)
    return run


@pytest.fixture
def db_secret(emu):
    """An oracle-ads MySQLDBSecretKeeper-style secret with two versions (the old password PREVIOUS)."""
    old = dict(ADS_SECRET, password="the-old-password")
    return emu.state.add_secret("mlflow-db", [json.dumps(old), json.dumps(ADS_SECRET)], metadata={"owner": "ml"})


def playbook(tmp_path, env, tasks, *args, check=False):
    """Run a one-play playbook on localhost; return (returncode, stdout+stderr, dumped) where `dumped` is
    what the play wrote with the `dump` task helper (registered results, unmasked), or None."""
    dump_file = tmp_path / "dumped.json"
    dump_file.unlink(missing_ok=True)
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"dump_file": str(dump_file)}, "tasks": tasks}]
    path = tmp_path / "play.yml"
    path.write_text(json.dumps(play, indent=1))
    command = [str(VENV_BIN / "ansible-playbook"), str(path), "-e",
               "ansible_python_interpreter=%s" % (VENV_BIN / "python"), *args] + (["--check"] if check else [])
    proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
                          env=env | {"ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_NOCOLOR": "1",
                                     "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_FORCE_COLOR": "0"})
    dumped = json.loads(dump_file.read_text()) if dump_file.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, dumped


def dump(*names):
    """A task writing the named variables to dump_file (no_log: its own arguments hold them)."""
    content = "{{ {%s} | to_json }}" % ", ".join("'%s': %s" % (name, name) for name in names)
    return {"name": "dump", "ansible.builtin.copy": {"dest": "{{ dump_file }}", "content": content, "mode": "0600"},
            "no_log": True}


def bundle_calls(emu):
    return [e for e in emu.requests if e["path"].startswith(BUNDLES)]


# -- the module: ad hoc runs (what a user sees printed) -----------------------------------------------

def test_by_ocid_the_printed_result_is_censored(info, emu, db_secret):
    result = info({"secret_id": db_secret, "parse_json": True})

    assert result["censored"] == CENSORED and result["_ansible_no_log"] is True
    assert set(result) == {"censored", "changed", "_ansible_no_log", "action"}
    [call] = bundle_calls(emu)
    assert (call["method"], call["path"], call["status"], call["principal"]["type"]) == (
        "GET", "%s/%s" % (BUNDLES, db_secret), 200, "api_key")


def test_bad_inputs_fail_before_any_call(tmp_path, env, emu):
    """Malformed OCIDs and option combinations, in one play (ignore_errors), each with its message."""
    cases = {
        "short": ({"secret_id": "ocid1.vaultsecret.octest.lts"},
                  "secret_id 'ocid1.vaultsecret.octest.lts' is not a well-formed OCID: expected "
                  "ocid1.vaultsecret.<realm>.<region>.<unique id> (lower-case letters and digits, no spaces)."),
        "upper": ({"secret_id": "ocid1.vaultsecret.octest.lts.AAAA"}, "is not a well-formed OCID"),
        "space": ({"secret_id": "ocid1.vaultsecret.octest.lts.has space"}, "is not a well-formed OCID"),
        "vault": ({"secret_id": VAULT}, "is the OCID of a vault, not of a secret: expected ocid1.vaultsecret."),
        "no_region": ({"secret_id": "ocid1.vaultsecret.octest..amaaaaaanoregion"}, "has no region component"),
        "not_ocid": ({"secret_id": PASSWORD},
                     "secret_id is not an OCID (it does not start with 'ocid1.'): expected ocid1.vaultsecret."),
        "bad_vault": ({"secret_name": "mlflow-db", "vault_id": "ocid1.vault.octest.lts"},
                      "vault_id 'ocid1.vault.octest.lts' is not a well-formed OCID"),
        "two_selectors": ({"secret_id": UNKNOWN_SECRET, "stage": "PREVIOUS", "version_number": 1},
                          "parameters are mutually exclusive: stage|version_number|version_name"),
        "name_without_vault": ({"secret_name": "mlflow-db"}, "parameters are required together: secret_name, vault_id"),
        "nothing": ({"stage": "CURRENT"}, "one of the following is required: secret_id, secret_name"),
        "json_without_decode": ({"secret_id": UNKNOWN_SECRET, "parse_json": True, "decode": False},
                                "parse_json needs decode=true"),
    }
    tasks = [{"name": name, "oracle.mlflow.vault_secret_info": args, "register": name, "ignore_errors": True}
             for name, (args, _) in cases.items()] + [dump(*cases)]

    rc, output, got = playbook(tmp_path, env, tasks)

    assert rc == 0, output
    for name, (_, expected) in cases.items():
        assert got[name]["failed"] and expected in got[name]["msg"], (name, got[name]["msg"])
    # The module's own checks (not the argument spec's) say what kind of failure it was.
    assert {name for name in cases if got[name].get("error_kind") == "invalid"} == {
        "short", "upper", "space", "vault", "no_region", "not_ocid", "bad_vault", "json_without_decode"}
    assert PASSWORD not in got["not_ocid"]["msg"]  # (module_args echo it, as Ansible echoes every option)
    assert emu.requests == []


def test_missing_secret(info, emu):
    result = info({"secret_id": UNKNOWN_SECRET})

    assert result["failed"] and result["error_kind"] == "missing"
    assert result["msg"].startswith("OCI cannot find secret %s, or this principal may not read it: OCI answers "
                                    "both with 404 NotAuthorizedOrNotFound" % UNKNOWN_SECRET)
    assert "read secret-bundles" in result["msg"]
    assert result["found"] is False and result["secret"] is None


def test_missing_secret_skip_and_warn(info, emu):
    skipped = info({"secret_id": UNKNOWN_SECRET, "on_missing": "skip"})
    warned = info({"secret_id": UNKNOWN_SECRET, "on_missing": "warn"})

    for result in (skipped, warned):
        assert not result.get("failed") and result["found"] is False and result["secret"] is None
    assert "warnings" not in skipped
    assert len(warned["warnings"]) == 1 and "OCI cannot find secret" in warned["warnings"][0]


def test_missing_version(info, emu):
    secret_id = emu.state.add_secret("single-version", "only")

    result = info({"secret_id": secret_id, "stage": "PREVIOUS"})

    assert result["error_kind"] == "missing"
    assert "OCI cannot find secret %s, or it has no stage PREVIOUS, or this principal may not read it" % secret_id \
        in result["msg"]


def test_policy_denial_is_a_404_and_follows_on_missing(info, emu, db_secret):
    emu.state.deny(db_secret)  # as OCI does: 404 NotAuthorizedOrNotFound

    failed = info({"secret_id": db_secret})
    denied_but_skipped = info({"secret_id": db_secret, "on_missing": "skip", "on_denied": "error"})

    assert failed["error_kind"] == "missing" and "may not read it" in failed["msg"]
    assert denied_but_skipped["found"] is False and not denied_but_skipped.get("failed")


@pytest.mark.parametrize("status", [401, 403])
def test_refusals_follow_on_denied(info, emu, db_secret, status):
    emu.state.deny("api_key", status=status)

    failed = info({"secret_id": db_secret})
    skipped = info({"secret_id": db_secret, "on_denied": "skip", "on_missing": "error"})
    warned = info({"secret_id": db_secret, "on_denied": "warn"})

    assert failed["failed"] and failed["error_kind"] == "denied"
    assert {401: "did not accept the credentials", 403: "OCI denied reading secret"}[status] in failed["msg"]
    assert skipped["found"] is False and not skipped.get("failed") and "warnings" not in skipped
    assert warned["found"] is False and len(warned["warnings"]) == 1


def test_principal_setup_failure_is_always_an_error(info, env):
    result = info({"secret_id": UNKNOWN_SECRET, "auth_type": "resource_principal", "on_denied": "skip",
                   "on_missing": "skip"})

    assert result["failed"] and "Cannot authenticate to OCI with auth_type=resource_principal" in result["msg"]
    assert result["error_kind"] == "auth"


def test_unreachable_endpoint_is_an_error(info, env):
    result = info({"secret_id": UNKNOWN_SECRET, "on_missing": "skip", "timeout": 5},
                  env=env | {"HTTPS_PROXY": "http://127.0.0.1:1", "https_proxy": "http://127.0.0.1:1",
                             "OCI_SDK_DEFAULT_RETRY_ENABLED": "false"})

    assert result["failed"] and result["error_kind"] == "error"
    assert result["msg"].startswith("Cannot reach the OCI Secrets service at https://secrets.vaults.local-test-1.oci."
                                    "oci-emulator.test reading secret %s: " % UNKNOWN_SECRET)


def test_format_errors_never_show_the_content(info, emu):
    not_json = emu.state.add_secret("not-json", "password=%s" % PASSWORD)
    binary = emu.state.add_secret("binary", b"\xff\xfe" + PASSWORD.encode())

    parsed = info({"secret_id": not_json, "parse_json": True, "on_missing": "skip"})
    decoded = info({"secret_id": binary})

    assert parsed["failed"] and parsed["msg"].startswith("The secret is not JSON (Expecting value at line 1 column 1)")
    assert decoded["failed"] and "not UTF-8 text" in decoded["msg"] and "decode=false" in decoded["msg"]
    assert parsed["error_kind"] == decoded["error_kind"] == "format"
    for result in (parsed, decoded):
        assert PASSWORD not in json.dumps(result)


def test_action_group_sets_the_oci_options(tmp_path, env, emu, db_secret):
    """`module_defaults: group/oracle.mlflow.oci` (meta/runtime.yml) reaches vault_secret_info."""
    tasks = [{"module_defaults": {"group/oracle.mlflow.oci": {"auth_type": "instance_principal"}},
              "block": [{"oracle.mlflow.vault_secret_info": {"secret_id": db_secret}, "register": "r", "no_log": True}]},
             {"ansible.builtin.assert": {"that": ["r.found"]}}]

    rc, output, _ = playbook(tmp_path, env, tasks)

    assert rc == 0, output
    assert [e["principal"]["type"] for e in bundle_calls(emu)] == ["instance_principal"]


# -- the module in plays: registered values -----------------------------------------------------------

def test_module_values_by_ocid_name_stage_and_version(tmp_path, env, emu, db_secret):
    emu.state.add_secret_version(db_secret, "not json, pending", stage="PENDING", version_name="next")
    tasks = [
        {"name": "by OCID, JSON", "oracle.mlflow.vault_secret_info": {"secret_id": db_secret, "parse_json": True},
         "register": "by_ocid"},
        {"name": "by name, instance principal", "oracle.mlflow.vault_secret_info": {
            "secret_name": "mlflow-db", "vault_id": VAULT, "auth_type": "instance_principal"}, "register": "by_name"},
        {"name": "previous", "oracle.mlflow.vault_secret_info": {"secret_id": db_secret, "stage": "PREVIOUS",
                                                                  "parse_json": True}, "register": "previous"},
        {"name": "version 1", "oracle.mlflow.vault_secret_info": {"secret_id": db_secret, "version_number": 1},
         "register": "version_1"},
        {"name": "named version", "oracle.mlflow.vault_secret_info": {"secret_id": db_secret, "version_name": "next"},
         "register": "named"},
        {"name": "base64", "oracle.mlflow.vault_secret_info": {"secret_id": db_secret, "decode": False},
         "register": "raw"},
        dump("by_ocid", "by_name", "previous", "version_1", "named", "raw"),
    ]

    rc, output, got = playbook(tmp_path, env, tasks, "-v")

    assert rc == 0, output
    assert got["by_ocid"]["secret"] == ADS_SECRET
    assert {k: got["by_ocid"][k] for k in ("found", "changed", "secret_id", "version_number", "version_name",
                                           "stages", "metadata", "time_of_expiry", "time_of_deletion")} == {
        "found": True, "changed": False, "secret_id": db_secret, "version_number": 2, "version_name": None,
        "stages": ["CURRENT"], "metadata": {"owner": "ml"}, "time_of_expiry": None, "time_of_deletion": None}
    assert got["by_ocid"]["time_created"].endswith("+00:00")
    assert json.loads(got["by_name"]["secret"]) == ADS_SECRET and got["by_name"]["secret_id"] == db_secret
    assert got["previous"]["secret"]["password"] == "the-old-password"
    assert got["previous"]["stages"] == ["PREVIOUS"]
    assert got["version_1"]["version_number"] == 1 and "the-old-password" in got["version_1"]["secret"]
    assert (got["named"]["secret"], got["named"]["stages"]) == ("not json, pending", ["PENDING", "LATEST"])
    assert json.loads(base64.b64decode(got["raw"]["secret"])) == ADS_SECRET
    # Printed output, -v included: every result of the module is censored.
    assert PASSWORD not in output and "the-old-password" not in output and "not json, pending" not in output
    assert output.count("censored: 'the output has been hidden") == 6 + 1  # the six reads, and the dump
    principals = [(e["method"], e["principal"]["type"]) for e in bundle_calls(emu)]
    assert principals == [("GET", "api_key"), ("POST", "instance_principal")] + [("GET", "api_key")] * 4


def test_check_mode_reads_the_secret(tmp_path, env, emu, db_secret):
    tasks = [{"oracle.mlflow.vault_secret_info": {"secret_id": db_secret, "parse_json": True}, "register": "r"},
             {"ansible.builtin.assert": {"that": ["r.found", "not r.changed", "r.secret.password == expected"]},
              "vars": {"expected": PASSWORD}, "no_log": True}]

    rc, output, _ = playbook(tmp_path, env, tasks, check=True)

    assert rc == 0, output
    assert len(bundle_calls(emu)) == 1 and PASSWORD not in output


def test_skipped_results_are_printed(tmp_path, env, emu):
    """Without a secret in it, the result is not censored: found=false shows."""
    tasks = [{"oracle.mlflow.vault_secret_info": {"secret_id": UNKNOWN_SECRET, "on_missing": "warn"},
              "register": "r"},
             {"ansible.builtin.assert": {"that": ["not r.found", "r.secret is none"]}}]

    rc, output, _ = playbook(tmp_path, env, tasks, "-v")

    assert rc == 0, output
    assert "OCI cannot find secret" in output and "found: false" in output


# -- the lookup ---------------------------------------------------------------------------------------

def test_lookup_values_asserted_in_play(tmp_path, env, emu, db_secret):
    template_like = emu.state.add_secret("template-like", "{{ 6 * 7 }}")
    lookup = "lookup('oracle.mlflow.vault_secret', %s)"
    tasks = [
        {"ansible.builtin.set_fact": {
            "db": "{{ %s }}" % (lookup % "secret_ocid, parse_json=true"),
            "db_text": "{{ %s }}" % (lookup % "'mlflow-db', vault_id=vault"),
            "previous": "{{ %s }}" % (lookup % "secret_ocid, stage='PREVIOUS', parse_json=true"),
            "first": "{{ %s }}" % (lookup % "secret_ocid, version_number=1"),
            "raw": "{{ %s }}" % (lookup % "secret_ocid, decode=false"),
            "both": "{{ query('oracle.mlflow.vault_secret', [secret_ocid, template_ocid]) }}",
            "templated": "{{ %s }}" % (lookup % "template_ocid"),
        }, "no_log": True},
        {"ansible.builtin.assert": {"that": [
            "db == expected",
            "db.password == expected.password",
            "db_text | from_json == expected",
            "previous.password == 'the-old-password'",
            "'the-old-password' in first",
            "raw | b64decode | from_json == expected",
            "both | length == 2 and both[1] == template_literal",
            "templated == template_literal",
        ]}, "no_log": True},
    ]
    play_vars = {"secret_ocid": db_secret, "template_ocid": template_like, "vault": VAULT, "expected": ADS_SECRET,
                 "template_literal": "{{ '{{ 6 * 7 }}' }}"}
    tasks[0]["vars"] = tasks[1]["vars"] = play_vars

    rc, output, _ = playbook(tmp_path, env, tasks)

    assert rc == 0, output
    assert PASSWORD not in output
    assert all(e["principal"]["type"] == "api_key" and e["status"] == 200 for e in bundle_calls(emu))
    assert len(bundle_calls(emu)) == 8


def test_lookup_on_missing_and_on_denied(tmp_path, env, emu, db_secret):
    emu.state.deny(db_secret, status=401)
    lookup = "query('oracle.mlflow.vault_secret', %s)"
    tasks = [
        {"ansible.builtin.set_fact": {
            "skipped": "{{ %s }}" % (lookup % "unknown, on_missing='skip'"),
            "lookup_skipped": "{{ lookup('oracle.mlflow.vault_secret', unknown, on_missing='skip') }}",
            "warned": "{{ %s }}" % (lookup % "unknown, 'not-there', vault_id=vault, on_missing='warn'"),
            "denied_skipped": "{{ %s }}" % (lookup % "secret_ocid, on_denied='skip'"),
        }},
        # lookup() of nothing is [] too (not None): `default` does not replace it (documented).
        {"ansible.builtin.assert": {"that": ["skipped == []", "warned == []", "denied_skipped == []",
                                             "lookup_skipped == []"]}},
        {"block": [{"ansible.builtin.set_fact": {"x": "{{ %s }}" % (lookup % "unknown")}}],
         "rescue": [{"ansible.builtin.set_fact": {"missing_error": "{{ ansible_failed_result.msg }}"}}]},
        {"block": [{"ansible.builtin.set_fact": {"x": "{{ %s }}" % (lookup % "secret_ocid, on_missing='skip'")}}],
         "rescue": [{"ansible.builtin.set_fact": {"denied_error": "{{ ansible_failed_result.msg }}"}}]},
        {"block": [{"ansible.builtin.set_fact": {"x": "{{ %s }}" % (lookup % "'ocid1.vault.octest.lts.x.y'")}}],
         "rescue": [{"ansible.builtin.set_fact": {"malformed_error": "{{ ansible_failed_result.msg }}"}}]},
        {"block": [{"ansible.builtin.set_fact": {"x": "{{ %s }}" % (lookup % "'by-name-without-vault'")}}],
         "rescue": [{"ansible.builtin.set_fact": {"no_vault_error": "{{ ansible_failed_result.msg }}"}}]},
        dump("missing_error", "denied_error", "malformed_error", "no_vault_error"),
    ]
    for task in tasks:
        task["vars"] = {"unknown": UNKNOWN_SECRET, "vault": VAULT, "secret_ocid": db_secret}

    rc, output, got = playbook(tmp_path, env, tasks)

    assert rc == 0, output
    assert output.count("[WARNING]: oracle.mlflow.vault_secret: OCI cannot find") == 2
    assert "oracle.mlflow.vault_secret: OCI cannot find secret %s" % UNKNOWN_SECRET in got["missing_error"]
    assert "404 NotAuthorizedOrNotFound" in got["missing_error"]
    assert "OCI did not accept the credentials reading secret %s [401 NotAuthenticated" % db_secret \
        in got["denied_error"]
    assert "the term 'ocid1.vault.octest.lts.x.y' is the OCID of a vault, not of a secret" in got["malformed_error"]
    assert "vault_id (the OCID of its vault) is required" in got["no_vault_error"]
    # skipped (2) + warned (2) + denied_skipped (1) + missing (1) + denied (1); none for the malformed ones.
    assert len(bundle_calls(emu)) == 7


def test_lookup_auth_from_the_environment(tmp_path, env, emu, db_secret):
    """The lookup's auth options fall back to the OCI CLI's variables, OCI_CLI_AUTH winning over
    OCI_ANSIBLE_AUTH_TYPE as for the modules."""
    tasks = [{"ansible.builtin.assert": {"that": [
        "lookup('oracle.mlflow.vault_secret', secret_ocid, parse_json=true).port == '3306'"]},
        "vars": {"secret_ocid": db_secret}}]

    rc, output, _ = playbook(tmp_path, env | {"OCI_CLI_AUTH": "instance_principal",
                                              "OCI_ANSIBLE_AUTH_TYPE": "api_key"}, tasks)

    assert rc == 0, output
    assert [e["principal"]["type"] for e in bundle_calls(emu)] == ["instance_principal"]
