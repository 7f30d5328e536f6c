"""Logins (MLFLOW_AUTH): the auth database, the admin user and MLflow's basic_auth.ini, before the workers start.

MLflow's own `--app-name basic-auth` bootstraps its admin user once in the `mlflow server` process; our app
is `oci-mlflow`, so the launcher does that work itself, and more: the admin user is made to match the contract
at every start (created, its password set when it differs, admin flag on), so a changed admin password takes
effect at the next deploy. The workers are then told the admin is bootstrapped and never see its password.

MLflow reads the auth database's URI from an ini file (MLFLOW_AUTH_CONFIG_PATH), which holds the MySQL
password when the tracking database is MySQL: it is written 0600 in a fresh directory outside the data volume.

The work that imports MLflow runs in a forked child: with a drain the launcher stays MLflow's parent for the
whole life of the server, and must not keep MLflow's modules in memory.
"""

import json
import os
import tempfile

from .config import PROG, ConfigError, auth_database_uri, redacted_line
from .schema import AUTH, upgrade_schema

INI_NAME = "basic_auth.ini"
AUTH_VARIABLE = "MLFLOW_AUTH"
# Set by MLflow's CLI for basic-auth workers once the admin exists: its workers then only open the store.
BOOTSTRAPPED_ENV = "_MLFLOW_AUTH_ADMIN_BOOTSTRAPPED"
AUTHORIZATION_FUNCTION = "mlflow.server.auth:authenticate_request_basic_auth"


def ini_text(database_uri, default_permission, cache_seconds=0):
    """MLflow's basic_auth.ini. configparser interpolates '%': a URL-encoded password holds them."""
    return "\n".join([
        "[mlflow]",
        f"default_permission = {default_permission}",
        f"database_uri = {database_uri.replace('%', '%%')}",
        f"authorization_function = {AUTHORIZATION_FUNCTION}",
        f"auth_cache_ttl_seconds = {int(cache_seconds)}",
        "",
    ])


def write_ini(database_uri, default_permission, parent=None, cache_seconds=0):
    """The ini in a new 0700 directory (default: the container's /tmp, not the data volume), as a
    0600 file of this uid; returns its path."""
    directory = tempfile.mkdtemp(prefix="oci-mlflow-auth-", dir=parent)
    path = os.path.join(directory, INI_NAME)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(ini_text(database_uri, default_permission, cache_seconds))
    return path


def sync_admin(database_uri, username, password):
    """Make the admin user match: created if absent, password set if it differs, admin flag on.
    Returns what changed: [] or some of "created", "password", "admin"."""
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore  # noqa: PLC0415 - heavy, in the child
    store = SqlAlchemyStore()
    store.init_db(database_uri)   # migrates when needed (the schema step did it already)
    try:
        if not store.has_user(username, use_primary=True):
            store.create_user(username, password, is_admin=True)
            return ["created"]
        changed = []
        if not store.authenticate_user(username, password, use_primary=True):
            store.update_user(username, password=password)
            changed.append("password")
        if not store.get_user(username).is_admin:
            store.update_user(username, is_admin=True)
            changed.append("admin")
        return changed
    finally:
        store.engine.dispose()


def _prepare(database_uri, auth, password):
    """In the child: the auth schema, then the admin user; returns the line to log."""
    report = upgrade_schema(database_uri, password=password, schema=AUTH)
    try:
        changed = sync_admin(database_uri, auth.admin_username, auth.admin_password)
    except Exception as exc:  # noqa: BLE001 - store and driver errors vary; one line
        raise ConfigError(AUTH_VARIABLE, "cannot set up the admin user "
                          f"{auth.admin_username!r}: {redacted_line(exc, password, auth.admin_password)}") from None
    said = {"created": "created", "password": "password updated", "admin": "made admin"}
    admin = ", ".join(said[c] for c in changed) or "unchanged"
    schema = "current" if report["schema"] == "current" else f"{report['schema']}d to {report['to']}"
    return f"{PROG}: logins on: auth schema {schema}; admin user {auth.admin_username!r} {admin}"


def in_child(function, *args):
    """function(*args) in a forked child; its return value (JSON) or its ConfigError comes back."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns into the launcher
        os.close(read_end)
        try:
            outcome = {"value": function(*args)}
        except ConfigError as exc:
            outcome = {"variable": exc.variable, "message": exc.message}
        except BaseException as exc:  # noqa: BLE001 - whatever happens is reported, in one line
            outcome = {"variable": AUTH_VARIABLE, "message": redacted_line(exc)}
        with os.fdopen(write_end, "w", encoding="utf-8") as pipe:
            json.dump(outcome, pipe)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    outcome = json.loads(text) if text else {"variable": AUTH_VARIABLE, "message": "the set-up process died"}
    if "value" not in outcome:
        raise ConfigError(outcome["variable"], outcome["message"])
    return outcome["value"]


def prepare_logins(config, run=in_child):
    """Before the workers: the auth schema and admin user, the ini; returns (child env, log line).
    `config` has its Vault secrets read (vault.resolve_backend, resolve_auth)."""
    auth = config.auth
    database_uri = auth_database_uri(config)
    password = config.mysql.password if config.mysql is not None else None
    line = run(_prepare, database_uri, auth, password)
    env = dict(config.child_env)
    env.update({
        "MLFLOW_AUTH_CONFIG_PATH": write_ini(database_uri, auth.default_permission, cache_seconds=auth.cache_seconds),
        BOOTSTRAPPED_ENV: "true",
        AUTH_VARIABLE: "true",    # read by mlflow_boundary.app in each worker
        "MLFLOW_FLASK_SERVER_SECRET_KEY": auth.secret_key,
    })
    return env, line
