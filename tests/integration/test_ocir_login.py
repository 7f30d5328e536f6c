# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oracle.mlflow.ocir_login, run by `ansible localhost -m` against the OCI emulator and a real
docker-registry whose token realm is the emulator's OCIR token endpoint (tests/support/registry.py).

Each test gets its own HOME (so ~/.docker/config.json is its own), with ~/.oci pointing at the
emulator's credentials. Logins run four ways (check, real, idempotent, idempotent check).
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = REPO_ROOT / ".venv" / "bin"

OCIR_HOST = "ocir.local-test-1.oci.oci-emulator.test"  # OCIR of the emulated region (realm OCTEST)
TOKEN_PATH = "/20180419/docker/token"
AUTH_TOKEN = "Zq9;auth-token-under-test"
PRINCIPALS = ["api_key", "security_token", "instance_principal", "resource_principal"]


# -- fixtures and helpers ----------------------------------------------------------------------------

@pytest.fixture
def env(env):
    """The shared module environment, without DOCKER_CONFIG: logins write under this test's HOME."""
    env.pop("DOCKER_CONFIG", None)
    return env


@pytest.fixture
def rp_env(emu, env):
    return env | emu.resource_principal_env


@pytest.fixture
def login(run_module, env):
    """login(args, check=False, diff=False, env=None) -> the module's result."""
    def run(args, check=False, diff=False, env=env):
        return run_module("ocir_login", args, check=check, diff=diff, env=env)
    return run


def config_file(home: Path) -> Path:
    return home / ".docker" / "config.json"


def stored(home: Path, registry: str):
    """(username, secret) stored for `registry` in the test's docker config, or None."""
    path = config_file(home)
    if not path.exists():
        return None
    entry = json.loads(path.read_text()).get("auths", {}).get(registry)
    if entry is None:
        return None
    return tuple(base64.b64decode(entry["auth"]).decode().split(":", 1))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def ok(result):
    assert not result.get("failed"), result.get("msg", result)
    return result


def failed(result):
    assert result.get("failed"), result
    return result["msg"]


def no_secret_in(result, *secrets):
    dumped = json.dumps(result)
    for secret in secrets:
        assert secret not in dumped


def token_exchanges(emu):
    return [e for e in emu.requests if e["path"] == TOKEN_PATH and e["host"] == OCIR_HOST]


# -- errors before any registry is involved -----------------------------------------------------------

def test_unknown_region(login, home):
    msg = failed(login({"region": "mars-north-1"}))

    assert "Unknown OCI region 'mars-north-1'" in msg and "OCI_REGION_METADATA" in msg
    assert not config_file(home).exists()


def test_missing_config_file(login, home, emu):
    msg = failed(login({"registry": "127.0.0.1:1", "config_file": str(home / "nowhere" / "config")}))

    assert msg.startswith("Cannot authenticate to OCI with auth_type=api_key: OCI config file ")
    assert "nowhere/config not found" in msg and "oci setup config" in msg
    assert emu.requests == []


def test_config_file_from_the_environment(login, env, home):
    """OCI_CLI_CONFIG_FILE beats OCI_CONFIG_FILE (set by the emulator) and the default."""
    msg = failed(login({"registry": "127.0.0.1:1"}, env=env | {"OCI_CLI_CONFIG_FILE": str(home / "cli-config")}))

    assert "cli-config not found" in msg


def test_wrong_profile(login):
    msg = failed(login({"registry": "127.0.0.1:1", "config_profile": "NOPE"}))

    assert "Profile 'NOPE' not found" in msg and "Profiles there: DEFAULT, SESSION" in msg


def test_instance_principal_without_metadata_service(login, env):
    msg = failed(login({"registry": "127.0.0.1:1", "auth_type": "instance_principal"},
                       env=env | {"OCI_METADATA_BASE_URL": "http://127.0.0.1:1/opc/v2"}))

    assert msg.startswith("Cannot authenticate to OCI with auth_type=instance_principal: the OCI instance metadata "
                          "service did not answer (http://127.0.0.1:1/opc/v2/instance/region: [Errno 111] Connection "
                          "refused)")
    assert "not an OCI compute instance" in msg and "auth_type=api_key" in msg


def test_resource_principal_without_its_environment(login):
    msg = failed(login({"registry": "127.0.0.1:1", "auth_type": "resource_principal"}))

    assert "OCI_RESOURCE_PRINCIPAL_VERSION" in msg and "not set here" in msg


def test_registry_unreachable(login, home):
    result = login({"registry": "127.0.0.1:1", "username": "emulatorns/jdoe", "auth_token": AUTH_TOKEN})

    msg = failed(result)
    assert msg.startswith("Cannot reach the registry 127.0.0.1:1 (")
    assert "Connection refused" in msg
    no_secret_in(result, AUTH_TOKEN)
    assert not config_file(home).exists()


def test_username_and_namespace_disagree(login):
    msg = failed(login({"registry": "127.0.0.1:1", "namespace": "emulatorns", "username": "otherns/jdoe",
                        "auth_token": AUTH_TOKEN}))

    assert "names the namespace 'otherns' but namespace is 'emulatorns'" in msg


def test_auth_token_requires_a_username(login):
    msg = failed(login({"registry": "127.0.0.1:1", "auth_token": AUTH_TOKEN}))

    assert "username" in msg and "auth_token" in msg


# -- logout, four ways (no registry needed) ----------------------------------------------------------

def test_absent_four_ways(login, home):
    path = config_file(home)
    path.parent.mkdir()
    path.write_text(json.dumps({"auths": {
        "127.0.0.1:1": {"auth": base64.b64encode(b"BEARER_TOKEN:old").decode()},
        "other.example": {"auth": "eDp5"}}, "detachKeys": "ctrl-x"}))
    path.chmod(0o600)
    before = path.read_text()
    args = {"registry": "127.0.0.1:1", "state": "absent"}

    check = ok(login(args, check=True, diff=True))
    assert check["changed"] and check["username"] == "BEARER_TOKEN"
    assert check["diff"] == {"before": {"registry": "127.0.0.1:1", "username": "BEARER_TOKEN", "secret": "(hidden)"},
                             "after": {}}
    assert path.read_text() == before

    real = ok(login(args))
    assert real["changed"] and real["config_path"] == str(path)
    data = json.loads(path.read_text())
    assert data == {"auths": {"other.example": {"auth": "eDp5"}}, "detachKeys": "ctrl-x"}
    assert mode(path) == 0o600

    again = ok(login(args))
    assert not again["changed"] and again["username"] is None
    again_check = ok(login(args, check=True))
    assert not again_check["changed"]


def test_absent_without_a_config_file(login, home):
    result = ok(login({"registry": "127.0.0.1:1", "state": "absent"}))

    assert not result["changed"] and not config_file(home).exists()


# -- auth token logins against the registry ------------------------------------------------------------

@pytest.fixture
def auth_token_user(ocir_registry, emu):
    """(<namespace>/<user>, auth token) seeded in the emulator (after its reset)."""
    return ocir_registry.auth_token_login("jdoe@example.com", AUTH_TOKEN)


def test_auth_token_login_four_ways(login, home, ocir_registry, auth_token_user, emu):
    username, token = auth_token_user
    args = {"registry": ocir_registry.address, "username": username, "auth_token": token}
    path = config_file(home)

    check = ok(login(args, check=True, diff=True))
    assert check["changed"] and not path.exists()
    assert check["diff"]["before"] == {}
    assert check["diff"]["after"] == {"registry": ocir_registry.address, "username": username,
                                      "secret": "(hidden, new)"}

    real = ok(login(args))
    assert real["changed"]
    assert {k: real[k] for k in ("registry", "namespace", "username", "config_path", "token_expires_at")} == {
        "registry": ocir_registry.address, "namespace": "emulatorns", "username": username,
        "config_path": str(path), "token_expires_at": None}
    assert stored(home, ocir_registry.address) == (username, token)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700

    again = ok(login(args))
    assert not again["changed"]
    again_check = ok(login(args, check=True))
    assert not again_check["changed"]

    for result in (check, real, again, again_check):
        no_secret_in(result, token)
        assert result["invocation"]["module_args"]["auth_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    # Every run checked the credentials at the registry's realm; none of them needed an OCI principal.
    realm_logins = [e for e in emu.requests if e["path"] == TOKEN_PATH]
    assert [e["principal"] for e in realm_logins] == [
        {"type": "auth_token", "id": username, "credential": "auth_token"}] * 4
    assert [e for e in emu.requests if e["path"] == "/n"] == []


def test_auth_token_login_with_a_bare_username_prefixes_the_namespace(login, home, ocir_registry, auth_token_user):
    username, token = auth_token_user
    result = ok(login({"registry": ocir_registry.address, "namespace": "emulatorns", "username": "jdoe@example.com",
                       "auth_token": token}))

    assert result["username"] == username == "emulatorns/jdoe@example.com"
    assert stored(home, ocir_registry.address) == (username, token)


def test_auth_token_login_discovers_the_namespace(login, home, ocir_registry, auth_token_user, emu):
    username, token = auth_token_user
    result = ok(login({"registry": ocir_registry.address, "username": "jdoe@example.com", "auth_token": token}))

    assert (result["namespace"], result["username"]) == ("emulatorns", username)
    assert [e["principal"]["type"] for e in emu.requests if e["path"] == "/n"] == ["api_key"]


def test_changed_auth_token_is_rewritten(login, home, ocir_registry, auth_token_user, emu):
    username, token = auth_token_user
    args = {"registry": ocir_registry.address, "username": username, "auth_token": token}
    ok(login(args))
    emu.state.add_auth_token(username, "the-new-auth-token")

    result = ok(login(args | {"auth_token": "the-new-auth-token"}, diff=True))

    assert result["changed"]
    assert result["diff"]["before"]["username"] == result["diff"]["after"]["username"] == username
    assert result["diff"]["after"]["secret"] == "(hidden, new)"
    assert stored(home, ocir_registry.address) == (username, "the-new-auth-token")
    no_secret_in(result, token, "the-new-auth-token")


def test_bad_auth_token(login, home, ocir_registry, auth_token_user):
    username, _ = auth_token_user
    result = login({"registry": ocir_registry.address, "username": username, "auth_token": "wrong-token"})

    msg = failed(result)
    assert msg.startswith("The registry refused emulatorns/jdoe@example.com: check the auth token and that the "
                          "username is <namespace>/<user>")
    assert "(HTTP 401 from the token realm http://127.0.0.1:" in msg
    no_secret_in(result, "wrong-token")
    assert not config_file(home).exists()


def test_wrong_namespace(login, home, ocir_registry, auth_token_user):
    _, token = auth_token_user
    msg = failed(login({"registry": ocir_registry.address, "namespace": "wrongns", "username": "jdoe@example.com",
                        "auth_token": token}))

    assert "The registry refused wrongns/jdoe@example.com" in msg and "namespace 'wrongns'" in msg
    assert "Object Storage namespace" in msg


def test_other_entries_are_kept_and_a_loose_mode_is_fixed(login, home, ocir_registry, auth_token_user):
    username, token = auth_token_user
    path = config_file(home)
    path.parent.mkdir()
    path.write_text(json.dumps({"auths": {"other.example": {"auth": "eDp5"}}, "psFormat": "table {{.ID}}"}))
    path.chmod(0o644)
    args = {"registry": ocir_registry.address, "username": username, "auth_token": token}

    assert ok(login(args))["changed"]
    data = json.loads(path.read_text())
    assert data["auths"]["other.example"] == {"auth": "eDp5"} and data["psFormat"] == "table {{.ID}}"
    assert mode(path) == 0o600

    path.chmod(0o644)  # same credentials, readable by others: fixing that is a change
    assert ok(login(args))["changed"] and mode(path) == 0o600
    assert not ok(login(args))["changed"]


def test_credential_helper_is_refused(login, home, ocir_registry, auth_token_user):
    username, token = auth_token_user
    path = config_file(home)
    path.parent.mkdir()
    path.write_text(json.dumps({"credsStore": "desktop"}))

    msg = failed(login({"registry": ocir_registry.address, "username": username, "auth_token": token}))

    assert "credential helper 'desktop'" in msg and "another config_path" in msg
    assert json.loads(path.read_text()) == {"credsStore": "desktop"}


def test_docker_config_variable_and_config_path(login, env, home, tmp_path, ocir_registry, auth_token_user):
    username, token = auth_token_user
    args = {"registry": ocir_registry.address, "username": username, "auth_token": token}

    by_env = ok(login(args, env=env | {"DOCKER_CONFIG": str(tmp_path / "dc")}))
    explicit = ok(login(args | {"config_path": str(tmp_path / "explicit.json")}))

    assert by_env["config_path"] == str(tmp_path / "dc" / "config.json")
    assert explicit["config_path"] == str(tmp_path / "explicit.json")
    assert (tmp_path / "dc" / "config.json").exists() and (tmp_path / "explicit.json").exists()
    assert not config_file(home).exists()


# -- OCI principal logins (token exchange, then BEARER_TOKEN) against the registry --------------------

@pytest.mark.parametrize("principal", PRINCIPALS)
def test_principal_login_four_ways(login, home, env, rp_env, ocir_registry, emu, principal):
    args = {"registry": ocir_registry.address, "auth_type": principal}
    if principal == "security_token":
        args["config_profile"] = "SESSION"
    run_env = rp_env if principal == "resource_principal" else env

    check = ok(login(args, check=True, diff=True, env=run_env))
    assert check["changed"] and not config_file(home).exists()
    assert check["diff"]["after"]["username"] == "BEARER_TOKEN"
    assert len(token_exchanges(emu)) == 1  # the real check: a token was fetched and tried

    real = ok(login(args, env=run_env))
    assert real["changed"]
    assert (real["registry"], real["namespace"], real["username"], real["region"]) == (
        ocir_registry.address, "emulatorns", "BEARER_TOKEN", "local-test-1")
    assert real["token_expires_at"].endswith("Z")
    username, token = stored(home, ocir_registry.address)
    assert username == "BEARER_TOKEN" and mode(config_file(home)) == 0o600
    assert ocir_registry.api(("BEARER_TOKEN", token)).tags("emulatorns/none") == []  # the stored login works

    again = ok(login(args, env=run_env))
    again_check = ok(login(args, check=True, env=run_env))
    assert not again["changed"] and not again_check["changed"]
    assert again["token_expires_at"] == real["token_expires_at"]
    assert stored(home, ocir_registry.address) == ("BEARER_TOKEN", token)

    # Two signed exchanges at the region's OCIR (check, real), by this principal; none once logged in.
    exchanges = token_exchanges(emu)
    assert [(e["status"], e["principal"]["type"]) for e in exchanges] == [(200, principal)] * 2
    namespace_lookups = [e for e in emu.requests if e["path"] == "/n"]
    assert [e["principal"]["type"] for e in namespace_lookups] == [principal] * 4
    # The registry's realm saw the exchanged token (BEARER_TOKEN), keeping the principal.
    realm = [e for e in emu.requests if e["path"] == TOKEN_PATH and e["host"].startswith("127.0.0.1")]
    assert {(e["principal"]["type"], e["principal"]["credential"]) for e in realm} == {(principal, "registry_token")}
    for result in (check, real, again, again_check):
        no_secret_in(result, token)


def test_expired_or_broken_bearer_token_is_refreshed(login, home, ocir_registry, emu):
    ocir_registry.write_docker_config(home / ".docker", ("BEARER_TOKEN", "garbage"))
    args = {"registry": ocir_registry.address, "namespace": "emulatorns"}

    check = ok(login(args, check=True))
    assert check["changed"] and stored(home, ocir_registry.address) == ("BEARER_TOKEN", "garbage")

    real = ok(login(args, diff=True))
    assert real["changed"]
    assert real["diff"]["before"]["username"] == "BEARER_TOKEN"
    assert real["diff"]["after"]["secret"] == "(hidden, new)"
    username, token = stored(home, ocir_registry.address)
    assert token != "garbage"
    assert not ok(login(args))["changed"]
    no_secret_in(real, token, "garbage")
    assert [e for e in emu.requests if e["path"] == "/n"] == []  # namespace given: no lookup


def test_reauthorize_fetches_a_new_token(login, home, ocir_registry, emu):
    args = {"registry": ocir_registry.address, "namespace": "emulatorns"}
    ok(login(args))

    result = ok(login(args | {"reauthorize": True}))

    assert result["changed"] and len(token_exchanges(emu)) == 2
    assert stored(home, ocir_registry.address)[0] == "BEARER_TOKEN"


def test_principal_login_with_the_region_from_the_environment(login, env, home, ocir_registry, emu):
    result = ok(login({"registry": ocir_registry.address}, env=env | {"OCI_CLI_REGION": "LTS"}))

    assert result["region"] == "local-test-1" and result["changed"]
    assert token_exchanges(emu)[0]["principal"]["type"] == "api_key"


def test_principal_login_unknown_region_from_the_environment(login, env):
    msg = failed(login({"registry": "127.0.0.1:1"}, env=env | {"OCI_REGION": "nowhere-1"}))

    assert "Unknown OCI region 'nowhere-1'" in msg


def test_a_token_about_to_expire_is_refreshed_without_asking_the_registry(login, home, ocir_registry, emu):
    claims = base64.urlsafe_b64encode(json.dumps({"exp": int(time.time()) + 60}).encode()).rstrip(b"=").decode()
    ocir_registry.write_docker_config(home / ".docker", ("BEARER_TOKEN", "e30.%s.sig" % claims))

    result = ok(login({"registry": ocir_registry.address, "namespace": "emulatorns"}, diff=True))

    assert result["changed"] and len(token_exchanges(emu)) == 1
    assert result["diff"]["before"]["token_expires_at"] < result["diff"]["after"]["token_expires_at"]
    realm = [e for e in emu.requests if e["path"] == TOKEN_PATH and e["host"].startswith("127.0.0.1")]
    assert len(realm) == 1  # only the new token was tried


def test_action_group_sets_the_oci_options(env, tmp_path):
    """`module_defaults: group/oracle.mlflow.oci` (meta/runtime.yml) reaches ocir_login."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n"
        "  module_defaults:\n    group/oracle.mlflow.oci:\n      region: mars-north-1\n"
        "  tasks:\n    - oracle.mlflow.ocir_login: {}\n")
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(playbook),
                           "-e", "ansible_python_interpreter=%s" % (VENV_BIN / "python")],
                          cwd=REPO_ROOT, env=env | {"ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_NOCOLOR": "1",
                                                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"},
                          capture_output=True, text=True, timeout=300, check=False)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Unknown OCI region 'mars-north-1'" in proc.stdout
