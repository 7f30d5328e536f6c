"""Logins (MLFLOW_AUTH): the contract's checks, the basic_auth.ini writer, the auth schema and the admin sync.

The schema and admin sync run against real sqlite files with MLflow's own auth store: a password a test sets is
checked by logging in with MLflow's code, not by looking at our calls.
"""
import configparser
import json
import os
import stat

import pytest

from mlflow_launcher import ConfigError, load_config, main
from mlflow_launcher import auth as launcher_auth
from mlflow_launcher.config import auth_database_uri
from mlflow_launcher.schema import AUTH, upgrade_schema
from mlflow_launcher.vault import resolve_auth

PASSWORD = "correct-horse-42"
KEY = "k" * 40
OCID = "ocid1.vaultsecret.oc1.iad.amaaaaaa"


@pytest.fixture
def auth_env(base_env):
    return {**base_env, "MLFLOW_AUTH": "1", "MLFLOW_AUTH_ADMIN_PASSWORD": PASSWORD,
            "MLFLOW_FLASK_SERVER_SECRET_KEY": KEY}


INVALID = [
    ("no-password", {"MLFLOW_AUTH_ADMIN_PASSWORD": None}, "MLFLOW_AUTH_ADMIN_PASSWORD",
     "MLFLOW_AUTH is on and needs the admin user's password (12+ characters): set MLFLOW_AUTH_ADMIN_PASSWORD or "
     "MLFLOW_AUTH_ADMIN_PASSWORD_OCID"),
    ("short-password", {"MLFLOW_AUTH_ADMIN_PASSWORD": "eleven-char"}, "MLFLOW_AUTH_ADMIN_PASSWORD",
     "is 11 characters long; MLflow needs 12 or more"),
    ("password-and-ocid", {"MLFLOW_AUTH_ADMIN_PASSWORD_OCID": OCID}, "MLFLOW_AUTH_ADMIN_PASSWORD",
     "and MLFLOW_AUTH_ADMIN_PASSWORD_OCID are both set"),
    ("no-key", {"MLFLOW_FLASK_SERVER_SECRET_KEY": None}, "MLFLOW_FLASK_SERVER_SECRET_KEY",
     "MLFLOW_AUTH is on and needs the secret key that signs logins and CSRF tokens, the same on every server"),
    ("key-and-ocid", {"MLFLOW_FLASK_SERVER_SECRET_KEY_OCID": OCID}, "MLFLOW_FLASK_SERVER_SECRET_KEY",
     "and MLFLOW_FLASK_SERVER_SECRET_KEY_OCID are both set"),
    ("bad-ocid", {"MLFLOW_AUTH_ADMIN_PASSWORD": None, "MLFLOW_AUTH_ADMIN_PASSWORD_OCID": "ocid1.secret.x"},
     "MLFLOW_AUTH_ADMIN_PASSWORD_OCID", "is not a Vault secret OCID"),
    ("bad-permission", {"MLFLOW_AUTH_DEFAULT_PERMISSION": "WRITE"}, "MLFLOW_AUTH_DEFAULT_PERMISSION",
     "'WRITE': use one of READ, EDIT, MANAGE, NO_PERMISSIONS"),
    ("colon-in-username", {"MLFLOW_AUTH_ADMIN_USERNAME": "ad:min"}, "MLFLOW_AUTH_ADMIN_USERNAME", "cannot hold ':'"),
    ("auth-not-a-bool", {"MLFLOW_AUTH": "maybe"}, "MLFLOW_AUTH", "is not a boolean"),
]


def _env(env, changes):
    env = dict(env)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.mark.parametrize("changes,variable,words", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_each_misconfiguration_is_one_line_naming_the_variable(auth_env, set_env, exec_calls, capsys,
                                                                changes, variable, words):
    with pytest.raises(ConfigError) as info:
        load_config(_env(auth_env, changes))
    assert info.value.variable == variable and words in info.value.message
    set_env(_env(auth_env, changes))
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"mlflow-launcher: error: {variable}: ")
    assert PASSWORD not in err and KEY not in err and exec_calls == []


def test_off_by_default_and_the_auth_settings_never_reach_the_server(base_env):
    config = load_config({**base_env, "MLFLOW_AUTH_ADMIN_PASSWORD": "short", "MLFLOW_FLASK_SERVER_SECRET_KEY": KEY})
    assert config.auth is None
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" not in config.child_env
    assert "MLFLOW_FLASK_SERVER_SECRET_KEY" not in config.child_env


def test_on_the_admin_password_stays_in_the_launcher(auth_env):
    config = load_config({**auth_env, "MLFLOW_AUTH_DEFAULT_PERMISSION": "NO_PERMISSIONS"})
    assert (config.auth.admin_username, config.auth.admin_password) == ("admin", PASSWORD)
    assert config.auth.default_permission == "NO_PERMISSIONS"
    assert PASSWORD not in config.child_env.values() and PASSWORD not in repr(config)
    assert config.child_env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == KEY


def test_the_auth_database_sits_beside_mlflow_db_or_is_the_mysql_database(auth_env, data_dir):
    assert auth_database_uri(load_config(auth_env)) == f"sqlite:///{data_dir}/basic_auth.db"
    mysql = load_config({**auth_env, "BACKEND_PROVIDER": "mysql",
                         "MLFLOW_BACKEND_STORE_URI": "mysql+mysqlconnector://u:p%40ss@db:3306/mlflow"})
    assert auth_database_uri(mysql) == "mysql+mysqlconnector://u:p%40ss@db:3306/mlflow"


def test_vault_secrets_are_read_at_start_with_the_servers_identity(auth_env):
    env = _env(auth_env, {"MLFLOW_AUTH_ADMIN_PASSWORD": None, "MLFLOW_AUTH_ADMIN_PASSWORD_OCID": OCID,
                          "MLFLOW_FLASK_SERVER_SECRET_KEY": None,
                          "MLFLOW_FLASK_SERVER_SECRET_KEY_OCID": OCID.replace("amaa", "bmaa")})
    config = load_config({**env, "OCIFS_IAM_TYPE": "instance_principal"})
    assert config.auth.admin_password is None and "MLFLOW_FLASK_SERVER_SECRET_KEY" not in config.child_env
    reads = []

    def read(ocid, iam_type, environ, variable):
        reads.append((ocid, iam_type, variable))
        return (PASSWORD + "\n").encode() if ocid == OCID else KEY.encode()

    resolved = resolve_auth(config, read=read, environ={})
    assert resolved.auth.admin_password == PASSWORD    # echo's newline is not part of it
    assert resolved.child_env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == KEY
    assert PASSWORD not in resolved.child_env.values()
    assert [r[1:] for r in reads] == [("instance_principal", "MLFLOW_AUTH_ADMIN_PASSWORD_OCID"),
                                      ("instance_principal", "MLFLOW_FLASK_SERVER_SECRET_KEY_OCID")]
    with pytest.raises(ConfigError) as info:
        resolve_auth(config, read=lambda *a: b"too-short", environ={})
    assert info.value.variable == "MLFLOW_AUTH_ADMIN_PASSWORD_OCID"
    assert "is 9 characters long; MLflow needs 12 or more" in info.value.message


def test_the_ini_is_0600_outside_the_data_volume_and_survives_percent_signs(tmp_path):
    uri = "mysql+mysqlconnector://u:p%40ss%25@db:3306/mlflow"
    path = launcher_auth.write_ini(uri, "EDIT", parent=str(tmp_path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert os.stat(path).st_uid == os.getuid()
    parser = configparser.ConfigParser()     # as MLflow reads it (interpolation on)
    parser.read(path)
    assert parser["mlflow"]["database_uri"] == uri
    assert parser["mlflow"]["default_permission"] == "EDIT"
    assert "admin_password" not in parser["mlflow"]
    assert parser["mlflow"]["auth_cache_ttl_seconds"] == "0"    # MLflow's default: every request checked
    assert launcher_auth.write_ini(uri, "READ", parent=str(tmp_path)) != path   # a new one per start


def test_the_login_cache_reaches_mlflows_config_as_it_reads_it(tmp_path):
    from mlflow.server.auth import config as mlflow_auth_config
    config = load_config({"MLFLOW_HOST": "127.0.0.1", "MLFLOW_AUTH": "1", "MLFLOW_AUTH_ADMIN_PASSWORD": PASSWORD,
                          "MLFLOW_FLASK_SERVER_SECRET_KEY": KEY, "MLFLOW_AUTH_CACHE_SECONDS": "30"})
    assert config.auth.cache_seconds == 30
    path = launcher_auth.write_ini("sqlite:////mlflow/basic_auth.db", "READ", parent=str(tmp_path),
                                   cache_seconds=config.auth.cache_seconds)
    os.environ["MLFLOW_AUTH_CONFIG_PATH"] = path
    try:
        assert mlflow_auth_config.read_auth_config().auth_cache_ttl_seconds == 30
    finally:
        del os.environ["MLFLOW_AUTH_CONFIG_PATH"]
    with pytest.raises(ConfigError) as info:
        load_config({"MLFLOW_HOST": "127.0.0.1", "MLFLOW_AUTH": "1", "MLFLOW_AUTH_ADMIN_PASSWORD": PASSWORD,
                     "MLFLOW_FLASK_SERVER_SECRET_KEY": KEY, "MLFLOW_AUTH_CACHE_SECONDS": "1h"})
    assert info.value.variable == "MLFLOW_AUTH_CACHE_SECONDS"


def _login(uri, username, password):
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
    store = SqlAlchemyStore()
    store.init_db(uri)
    try:
        return store.authenticate_user(username, password), store.get_user(username).is_admin
    finally:
        store.engine.dispose()


def test_auth_schema_is_created_then_current(tmp_path):
    uri = f"sqlite:///{tmp_path}/basic_auth.db"
    assert upgrade_schema(uri, check=True, schema=AUTH)["schema"] == "create"
    first = upgrade_schema(uri, schema=AUTH)
    assert first["schema"] == "create" and first["changed"] and first["to"]
    again = upgrade_schema(uri, schema=AUTH)
    assert again == {**first, "schema": "current", "from": first["to"], "changed": False}


def test_admin_is_made_to_match_the_contract_at_every_start(tmp_path):
    uri = f"sqlite:///{tmp_path}/basic_auth.db"
    upgrade_schema(uri, schema=AUTH)
    assert launcher_auth.sync_admin(uri, "admin", PASSWORD) == ["created"]
    assert _login(uri, "admin", PASSWORD) == (True, True)
    assert launcher_auth.sync_admin(uri, "admin", PASSWORD) == []
    assert launcher_auth.sync_admin(uri, "admin", "a-new-password-7") == ["password"]
    assert _login(uri, "admin", PASSWORD)[0] is False
    assert _login(uri, "admin", "a-new-password-7") == (True, True)
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
    store = SqlAlchemyStore()
    store.init_db(uri)
    store.update_user("admin", is_admin=False)   # demoted by hand: the next start makes it admin again
    store.engine.dispose()
    assert launcher_auth.sync_admin(uri, "admin", "a-new-password-7") == ["admin"]
    assert _login(uri, "admin", "a-new-password-7") == (True, True)


def test_prepare_logins_in_a_child_gives_the_workers_the_ini_not_the_password(auth_env, data_dir, tmp_path,
                                                                               monkeypatch):
    monkeypatch.setattr(launcher_auth.tempfile, "tempdir", str(tmp_path))
    data_dir.mkdir()
    config = load_config(auth_env)
    env, line = launcher_auth.prepare_logins(config)
    assert line == "mlflow-launcher: logins on: auth schema created to %s; admin user 'admin' created" \
        % upgrade_schema(auth_database_uri(config), schema=AUTH)["to"]
    assert env["MLFLOW_AUTH"] == "true" and env["_MLFLOW_AUTH_ADMIN_BOOTSTRAPPED"] == "true"
    assert env["MLFLOW_AUTH_CONFIG_PATH"].startswith(str(tmp_path))
    assert PASSWORD not in env.values()
    assert _login(auth_database_uri(config), "admin", PASSWORD) == (True, True)
    _, line = launcher_auth.prepare_logins(config)
    assert line.endswith("auth schema current; admin user 'admin' unchanged")


def test_a_failure_in_the_child_is_one_line_without_the_password(auth_env, data_dir):
    data_dir.mkdir()
    (data_dir / "basic_auth.db").write_text("not a database")
    with pytest.raises(ConfigError) as info:
        launcher_auth.prepare_logins(load_config(auth_env))
    assert info.value.variable == "MLFLOW_AUTH" and "auth schema" in info.value.message
    assert PASSWORD not in info.value.message and "\n" not in info.value.message


def _migrated_to(uri, revision):
    import sqlalchemy
    from mlflow.server.auth.db import utils
    engine = sqlalchemy.create_engine(uri)
    utils.migrate(engine, revision)
    return engine


def test_an_auth_database_of_an_older_mlflow_is_upgraded_and_keeps_its_users(tmp_path):
    uri = f"sqlite:///{tmp_path}/basic_auth.db"
    engine = _migrated_to(uri, "2ed73881770d")       # workspace permissions: before the RBAC tables
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO users (username, password_hash, is_admin) VALUES ('alice', 'x', 0)")
    engine.dispose()
    report = upgrade_schema(uri, schema=AUTH)
    assert (report["schema"], report["from"]) == ("upgrade", "2ed73881770d") and report["to"] != "2ed73881770d"
    assert upgrade_schema(uri, schema=AUTH)["schema"] == "current"
    assert launcher_auth.sync_admin(uri, "admin", PASSWORD) == ["created"]
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
    store = SqlAlchemyStore()
    store.init_db(uri)
    assert {user.username for user in store.list_users()} == {"alice", "admin"}
    store.engine.dispose()


def test_an_auth_database_from_before_mlflow_3_6_has_no_version_table_and_is_upgraded(tmp_path):
    """MLflow < 3.6 made the tables without alembic: its first revision is stamped, then the rest applied."""
    uri = f"sqlite:///{tmp_path}/basic_auth.db"
    engine = _migrated_to(uri, "8606fa83a998")
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version_auth")
    engine.dispose()
    assert upgrade_schema(uri, check=True, schema=AUTH)["from"] == "8606fa83a998"
    report = upgrade_schema(uri, schema=AUTH)
    assert (report["schema"], report["from"]) == ("upgrade", "8606fa83a998")
    assert upgrade_schema(uri, schema=AUTH)["schema"] == "current"
    assert launcher_auth.sync_admin(uri, "admin", PASSWORD) == ["created"]
    assert _login(uri, "admin", PASSWORD) == (True, True)


def test_db_upgrade_reports_the_auth_schema_after_the_tracking_one(auth_env, set_env, capsys):
    set_env(auth_env)
    assert main(["db-upgrade", "--check"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out.splitlines()[-1])
    assert report["schema"] == "create" and report["auth"]["schema"] == "create" and report["changed"]
    assert main(["db-upgrade"]) == 0
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.startswith("mlflow-launcher: ")]
    assert lines[0].startswith("mlflow-launcher: created the schema from an empty database")
    assert lines[1].startswith("mlflow-launcher: created the auth schema from an empty database")
    assert main(["db-upgrade"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (report["changed"], report["auth"]["schema"]) == (False, "current")
