"""DB_SECRET_OCID: the ADS secret format, the OCI identity, the errors, and the database wait.

No OCI and no database here: the SDK call and the connector are replaced by fakes; the e2e test
(tests/e2e/test_vault_backend.py) runs the real ones against the emulator and MariaDB.
"""
import base64
import json
import os
import sys
import types
import urllib.parse

import oci as real_oci  # the fake below keeps the real config reader
import pytest

from mlflow_launcher import (ConfigError, MysqlTarget, classify_db_error, load_api_key_config,
                             load_config, main, parse_ads_secret, resolve_backend,
                             wait_for_database)

OCID = "ocid1.vaultsecret.oc1.iad.amaaaaaaexampleuniqueid123"
NASTY = "p@ss:w/rd%#?& x"


def ads(**values):
    secret = {"user_name": "mlflow", "password": NASTY, "host": "db.example", "port": "3306",
              "database": "tracking"}
    secret.update(values)
    return json.dumps({k: v for k, v in secret.items() if v is not ...}).encode()


# ---------------------------------------------------------------- the ADS secret

def test_full_secret_builds_an_encoded_uri():
    target = parse_ads_secret(ads(), OCID)
    assert (target.user, target.password, target.host, target.port, target.database) == \
        ("mlflow", NASTY, "db.example", 3306, "tracking")
    parts = urllib.parse.urlsplit(target.uri)
    assert parts.scheme == "mysql+mysqlconnector"
    assert (parts.hostname, parts.port, parts.path) == ("db.example", 3306, "/tracking")
    assert urllib.parse.unquote(parts.password) == NASTY
    assert parts.password == "p%40ss%3Aw%2Frd%25%23%3F%26%20x"
    for char in "@:/#?& ":
        assert char not in parts.password


def test_port_and_database_default_like_ads():
    target = parse_ads_secret(ads(port=..., database=...), OCID)
    assert (target.port, target.database) == (3306, "mlflow")
    target = parse_ads_secret(ads(port=None, database=None), OCID)   # ADS writes null
    assert (target.port, target.database) == (3306, "mlflow")
    assert parse_ads_secret(ads(port="3307"), OCID).port == 3307
    assert parse_ads_secret(ads(port=3308), OCID).port == 3308


def test_ipv6_host_is_bracketed():
    assert "@[fd00::5]:3306/" in parse_ads_secret(ads(host="fd00::5"), OCID).uri


@pytest.mark.parametrize("key", ["user_name", "password", "host"])
def test_missing_key_is_named(key):
    with pytest.raises(ConfigError) as info:
        parse_ads_secret(ads(**{key: ...}), OCID)
    assert info.value.variable == "DB_SECRET_OCID"
    assert f"missing key '{key}'" in info.value.message
    assert OCID in info.value.message


@pytest.mark.parametrize("key", ["username", "user", "db", "sid"])
def test_extra_key_is_named(key):
    with pytest.raises(ConfigError, match=f"unexpected key '{key}'"):
        parse_ads_secret(ads(**{key: "x"}), OCID)


@pytest.mark.parametrize("content,words", [
    (b"user=mlflow\npassword=x", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b'["a"]', "JSON list"),
    (ads(port="33o6"), "'port'"),
    (ads(port="70000"), "'port'"),
    (ads(port=True), "'port'"),
    (ads(database="my db"), "'database'"),
    (ads(host="db host"), "'host'"),
    (ads(password=""), "'password' must be a non-empty string"),
    (ads(user_name=5), "'user_name' must be a non-empty string"),
])
def test_not_the_expected_json(content, words):
    with pytest.raises(ConfigError) as info:
        parse_ads_secret(content, OCID)
    assert "not the expected JSON" in info.value.message and words in info.value.message
    assert NASTY not in info.value.message


def test_resolve_backend_puts_the_uri_in_the_child_env_only(tmp_path):
    config = load_config({"MLFLOW_HOST": "0.0.0.0", "MLFLOW_DATA_DIR": str(tmp_path),
                          "BACKEND_PROVIDER": "mysql", "DB_SECRET_OCID": OCID,
                          "OCIFS_IAM_TYPE": "instance_principal"})
    calls = []

    def read(ocid, iam_type, environ):
        calls.append((ocid, iam_type))
        return ads()
    resolved = resolve_backend(config, read=read, environ={})
    assert calls == [(OCID, "instance_principal")]
    assert resolved.child_env["MLFLOW_BACKEND_STORE_URI"] == resolved.backend_uri
    assert resolved.mysql.password == NASTY and resolved.mysql.source == "DB_SECRET_OCID"
    assert "DB_SECRET_OCID" not in resolved.child_env
    assert NASTY not in repr(resolved) and urllib.parse.quote(NASTY, safe="") not in repr(resolved)


def test_print_command_does_not_read_the_secret(set_env, capsys, monkeypatch):
    import mlflow_launcher
    monkeypatch.setattr(mlflow_launcher.vault, "read_secret_bundle",
                        lambda *a: pytest.fail("print-command must not call OCI"))
    set_env({"MLFLOW_HOST": "0.0.0.0", "BACKEND_PROVIDER": "mysql", "DB_SECRET_OCID": OCID})
    assert main(["print-command"]) == 0
    assert f"vault:{OCID}" in capsys.readouterr().out


def test_env_file_settings_reach_the_oci_sdk(set_env, monkeypatch, tmp_path):
    """Proxies, CA bundle and region metadata given in the env file must be in the launcher's own
    environment when it reads the secret: the OCI SDK only looks there."""
    import mlflow_launcher
    env_file = tmp_path / "mlflow.env"
    env_file.write_text(f"BACKEND_PROVIDER=mysql\nOCIFS_IAM_TYPE=instance_principal\nDB_SECRET_OCID={OCID}\n"
                        "HTTPS_PROXY=http://127.0.0.1:9\n")
    seen = {}

    def resolve(config, *args, **kwargs):
        seen["proxy"] = os.environ.get("HTTPS_PROXY")
        raise mlflow_launcher.ConfigError("DB_SECRET_OCID", "stop before any OCI call")

    monkeypatch.setattr(mlflow_launcher.cli, "resolve_backend", resolve)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    set_env({"MLFLOW_HOST": "0.0.0.0", "MLFLOW_ENV_FILE": str(env_file), "MLFLOW_DATA_DIR": str(tmp_path)})
    assert main(["serve"]) == 2
    assert seen == {"proxy": "http://127.0.0.1:9"}


# ---------------------------------------------------------------- the OCI call (fake SDK)

class FakeServiceError(Exception):
    def __init__(self, status, code, message="m"):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeRequestException(Exception):
    pass


def fake_oci(monkeypatch, outcome, record):
    """Install a fake `oci` module whose SecretsClient returns or raises `outcome`."""
    oci = types.ModuleType("oci")
    # The config file is read by the real SDK reader, as in the image.
    oci.exceptions = types.SimpleNamespace(ServiceError=FakeServiceError,
                                           RequestException=FakeRequestException,
                                           ConnectTimeout=FakeRequestException,
                                           InvalidConfig=ValueError,
                                           ProfileNotFound=real_oci.exceptions.ProfileNotFound,
                                           InvalidKeyFilePath=real_oci.exceptions.InvalidKeyFilePath)
    oci.config = types.SimpleNamespace(validate_config=lambda config: record.append(("validate",
                                                                                       config)),
                                       from_file=real_oci.config.from_file)

    class Builder:
        def __init__(self, **kwargs):
            record.append(("retry", kwargs))

        def get_retry_strategy(self):
            return "retry"

    oci.retry = types.SimpleNamespace(RetryStrategyBuilder=Builder)

    class Signer:
        region = "local-test-1"

        def __init__(self, kind):
            record.append(("signer", kind))

    oci.auth = types.SimpleNamespace(signers=types.SimpleNamespace(
        InstancePrincipalsSecurityTokenSigner=lambda: Signer("instance_principal"),
        get_resource_principals_signer=lambda: Signer("resource_principal")))

    class SecretsClient:
        def __init__(self, config, **kwargs):
            record.append(("client", config, kwargs))

        def get_secret_bundle(self, secret_id, stage=None):
            record.append(("get", secret_id, stage))
            if isinstance(outcome, Exception):
                raise outcome
            content = types.SimpleNamespace(content_type="BASE64", content=outcome)
            return types.SimpleNamespace(data=types.SimpleNamespace(secret_bundle_content=content))

    oci.secrets = types.SimpleNamespace(SecretsClient=SecretsClient)
    monkeypatch.setitem(sys.modules, "oci", oci)
    return oci


@pytest.fixture
def oci_home(tmp_path):
    """A HOME with ~/.oci/config [DEFAULT] and its key, as the emulator writes them."""
    home = tmp_path / "home"
    (home / ".oci").mkdir(parents=True)
    (home / ".oci" / "key.pem").write_text("KEY")
    write_config(home / ".oci", "~/.oci/key.pem")
    return home


def write_config(directory, key_file):
    (directory / "config").write_text(
        "[DEFAULT]\nuser=ocid1.user.oc1..u\nfingerprint=aa:bb\ntenancy=ocid1.tenancy.oc1..t\n"
        f"region=local-test-1\nkey_file={key_file}\n")


def test_reads_current_stage_with_api_key(monkeypatch, oci_home):
    record = []
    fake_oci(monkeypatch, base64.b64encode(ads()).decode(), record)
    from mlflow_launcher import read_secret_bundle
    assert read_secret_bundle(OCID, "api_key", {"HOME": str(oci_home)}) == ads()
    assert ("get", OCID, "CURRENT") in record
    client = next(r for r in record if r[0] == "client")
    assert client[1]["key_file"] == str(oci_home / ".oci" / "key.pem")
    assert "signer" not in client[2]


@pytest.mark.parametrize("iam_type", ["instance_principal", "resource_principal"])
def test_principals_use_their_signer(monkeypatch, iam_type):
    record = []
    fake_oci(monkeypatch, base64.b64encode(ads()).decode(), record)
    from mlflow_launcher import read_secret_bundle
    read_secret_bundle(OCID, iam_type, {"HOME": "/nonexistent"})
    assert ("signer", iam_type) in record
    client = next(r for r in record if r[0] == "client")
    assert client[1] == {"region": "local-test-1"} and "signer" in client[2]


@pytest.mark.parametrize("outcome,words", [
    (FakeServiceError(404, "NotAuthorizedOrNotFound"), "secret not found or not authorized (OCI 404"),
    (FakeServiceError(401, "NotAuthenticated"), "OCI refused the instance_principal credentials"),
    (FakeRequestException("Max retries exceeded"), "OCI Vault is unreachable"),
    ("!!not base64!!", "not base64"),
])
def test_oci_errors_are_one_line_naming_the_variable(monkeypatch, capsys, set_env, outcome,
                                                     words, exec_calls, tmp_path):
    fake_oci(monkeypatch, outcome, [])
    set_env({"MLFLOW_HOST": "0.0.0.0", "MLFLOW_DATA_DIR": str(tmp_path), "BACKEND_PROVIDER": "mysql",
             "DB_SECRET_OCID": OCID, "OCIFS_IAM_TYPE": "instance_principal"})
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("mlflow-launcher: error: DB_SECRET_OCID: ") and words in err
    assert exec_calls == []


def test_client_setup_errors_are_one_line(monkeypatch, oci_home):
    oci = fake_oci(monkeypatch, "", [])

    def broken(config, **kwargs):
        raise ValueError("Could not deserialize key data.\n  more")
    oci.secrets.SecretsClient = broken
    from mlflow_launcher import read_secret_bundle
    with pytest.raises(ConfigError) as info:
        read_secret_bundle(OCID, "api_key", {"HOME": str(oci_home)})
    assert info.value.message == ("cannot set up the OCI client with OCIFS_IAM_TYPE=api_key: "
                                  "ValueError: Could not deserialize key data. more")


def test_prefers_home_then_falls_back_to_root(tmp_path, monkeypatch, oci_home):
    import mlflow_launcher
    root_oci = tmp_path / "root" / ".oci"
    root_oci.mkdir(parents=True)
    (root_oci / "key.pem").write_text("KEY")
    write_config(root_oci, "~/.oci/key.pem")
    monkeypatch.setattr(mlflow_launcher.oci_identity, "ROOT_OCI_DIR", str(root_oci))
    assert load_api_key_config({"HOME": str(oci_home)})["key_file"] == \
        str(oci_home / ".oci" / "key.pem")
    # No ~/.oci: the upstream guide's /root/.oci, with '~' meaning /root there.
    config = load_api_key_config({"HOME": str(tmp_path / "empty")})
    assert config["key_file"] == str(root_oci / "key.pem")


def test_no_config_anywhere(tmp_path, monkeypatch):
    import mlflow_launcher
    monkeypatch.setattr(mlflow_launcher.oci_identity, "ROOT_OCI_DIR", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="needs an OCI config: mount a directory"):
        load_api_key_config({"HOME": str(tmp_path)})


def test_host_absolute_key_path_says_use_tilde(oci_home):
    write_config(oci_home / ".oci", "/home/jdoe/.oci/oci_api_key.pem")
    with pytest.raises(ConfigError) as info:
        load_api_key_config({"HOME": str(oci_home)})
    assert info.value.variable == "OCIFS_IAM_TYPE"  # no caller named the setting at stake
    with pytest.raises(ConfigError) as info:
        load_api_key_config({"HOME": str(oci_home)}, variable="MLFLOW_ARTIFACTS_DESTINATION")
    assert info.value.variable == "MLFLOW_ARTIFACTS_DESTINATION"
    assert "host path that does not exist in the container" in info.value.message
    assert "key_file=~/.oci/" in info.value.message


def test_unreadable_config(oci_home, monkeypatch):
    import mlflow_launcher
    monkeypatch.setattr(mlflow_launcher.oci_identity, "_readable", lambda path: False)
    with pytest.raises(ConfigError, match="is not readable by uid"):
        load_api_key_config({"HOME": str(oci_home)})


# ---------------------------------------------------------------- the database wait

class ConnectorError(Exception):
    def __init__(self, errno, msg="error"):
        super().__init__(f"{errno}: {msg}")
        self.errno = errno


TARGET = MysqlTarget("mlflow", NASTY, "db.example", 3306, "tracking", "DB_SECRET_OCID")


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def connector(*outcomes):
    calls = []

    def connect(target, timeout):
        calls.append(timeout)
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if outcome is not None:
            raise outcome
    return connect, calls


@pytest.mark.parametrize("errno,kind", [(2003, "unreachable"), (2005, "unreachable"),
                                        (2013, "unreachable"), (1045, "access_denied"),
                                        (1044, "access_denied"), (1049, "unknown_database"),
                                        (1146, "other"), (None, "other")])
def test_classification(errno, kind):
    assert classify_db_error(ConnectorError(errno)) == kind


def test_retries_while_unreachable_then_connects():
    clock = Clock()
    connect, calls = connector(ConnectorError(2003), ConnectorError(2003), None)
    assert wait_for_database(TARGET, 60, connect, clock, clock.sleep) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_unreachable_fails_within_the_bound():
    clock = Clock()
    connect, calls = connector(ConnectorError(2003))
    with pytest.raises(ConfigError) as info:
        wait_for_database(TARGET, 10, connect, clock, clock.sleep)
    assert clock.now <= 10
    assert info.value.message.startswith("database unreachable: cannot connect to db.example:3306 "
                                         "within 10 s")


@pytest.mark.parametrize("errno,start", [
    (1045, "database access denied for 'mlflow'@'db.example'"),
    (1044, "database access denied for 'mlflow'@'db.example' to database 'tracking'"),
    (1049, "unknown database 'tracking' on db.example:3306"),
])
def test_no_retry_on_answers(errno, start):
    clock = Clock()
    connect, calls = connector(ConnectorError(errno, f"denied {NASTY}"))
    with pytest.raises(ConfigError) as info:
        wait_for_database(TARGET, 60, connect, clock, clock.sleep)
    assert len(calls) == 1 and clock.sleeps == []
    assert info.value.message.startswith(start)
    assert info.value.variable == "DB_SECRET_OCID"
    assert NASTY not in info.value.message


def test_other_errors_hide_the_password():
    clock = Clock()
    connect, _ = connector(ConnectorError(1146, f"weird {NASTY}"))
    with pytest.raises(ConfigError) as info:
        wait_for_database(TARGET, 60, connect, clock, clock.sleep)
    assert NASTY not in info.value.message and "***" in info.value.message


def test_serve_waits_for_parts_and_skips_with_zero(set_env, exec_calls, monkeypatch, tmp_path):
    import mlflow_launcher
    waited = []
    monkeypatch.setattr(mlflow_launcher.cli, "wait_for_database",
                        lambda target, seconds: waited.append((target.source, target.host, seconds)))
    env = {"MLFLOW_HOST": "0.0.0.0", "MLFLOW_DATA_DIR": str(tmp_path), "BACKEND_PROVIDER": "mysql",
           "DBUSERNAME": "u", "DBPASSWORD": NASTY, "DBHOST": "db", "MLFLOW_DB_WAIT_SECONDS": "7"}
    set_env(env)
    main(["serve"])
    assert waited == [("DBHOST", "db", 7)] and len(exec_calls) == 1
    assert "MLFLOW_DB_WAIT_SECONDS" not in exec_calls[0][2]
    set_env({"MLFLOW_DB_WAIT_SECONDS": "0"})
    main(["serve"])
    assert len(waited) == 1 and len(exec_calls) == 2


def test_uri_source_is_parsed_for_the_wait(base_env):
    quoted = urllib.parse.quote(NASTY, safe="")
    config = load_config({**base_env, "BACKEND_PROVIDER": "mysql",
                          "MLFLOW_BACKEND_STORE_URI":
                              f"mysql+mysqlconnector://ml%40u:{quoted}@db:3307/tracking"})
    assert (config.mysql.user, config.mysql.password, config.mysql.port,
            config.mysql.database) == ("ml@u", NASTY, 3307, "tracking")
