"""Create the MySQL database and user the server will use, with an administrator's credentials.

For operators who let the collection create the database: `mlflow-launcher db-create` reads the
administrator password from stdin (never argv or env), and the database name, user and password
from the server's own settings (the URI, the DB* variables or the Vault secret), so they are given
once. Databases are created `CHARACTER SET utf8mb4`: a latin1 default breaks MLflow migrations.
Idempotent: it reports what it changed in one JSON line.
"""

import json
import sys

from .config import PROG, ConfigError, redacted_line
from .database import classify_db_error

VARIABLE = "db-create"
CHARSET = "utf8mb4"
COLLATION = "utf8mb4_bin"   # MLflow compares names case-sensitively


def _quote_ident(name):
    return "`" + name.replace("`", "``") + "`"


def _fail(message):
    return ConfigError(VARIABLE, message)


def _admin_connect(target, admin_user, admin_password):
    import mysql.connector  # noqa: PLC0415 - only BACKEND_PROVIDER=mysql needs it
    return mysql.connector.connect(user=admin_user, password=admin_password, host=target.host,
                                   port=target.port, connection_timeout=10, use_pure=True)


def _run(cursor, statement, params=()):
    cursor.execute(statement, params)
    return cursor.fetchall() if cursor.with_rows else []


def create_database(target, admin_user, admin_password, user_host="%", connect=_admin_connect):
    """Ensure database, user and grant exist; returns {"database": bool, "user": bool, ...}."""
    try:
        connection = connect(target, admin_user, admin_password)
    except Exception as exc:  # noqa: BLE001 - classified for one clear line
        kind = classify_db_error(exc)
        if kind == "access_denied":
            raise _fail(f"the administrator '{admin_user}' was refused by {target.host}:"
                        f"{target.port}: check mlflow_server_db_admin_user and its password") from None
        if kind == "unreachable":
            raise _fail(f"cannot connect to {target.host}:{target.port} as '{admin_user}'") from None
        raise _fail(f"cannot connect as '{admin_user}': "
                    f"{redacted_line(exc, admin_password)}") from None
    report = {"database": False, "user": False, "grant": False}
    try:
        cursor = connection.cursor()
        if not _run(cursor, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                    (target.database,)):
            _run(cursor, f"CREATE DATABASE {_quote_ident(target.database)} "
                         f"CHARACTER SET {CHARSET} COLLATE {COLLATION}")
            report["database"] = True
        if not _run(cursor, "SELECT 1 FROM mysql.user WHERE User = %s AND Host = %s",
                    (target.user, user_host)):
            _run(cursor, "CREATE USER %s@%s IDENTIFIED BY %s",
                 (target.user, user_host, target.password))
            report["user"] = True
        grants = " ".join(row[0] for row in _run(cursor, "SHOW GRANTS FOR %s@%s",
                                                 (target.user, user_host)))
        if f"ON {_quote_ident(target.database)}.*" not in grants.replace("\\_", "_"):
            _run(cursor, f"GRANT ALL PRIVILEGES ON {_quote_ident(target.database)}.* TO %s@%s",
                 (target.user, user_host))
            report["grant"] = True
        connection.commit()
    except Exception as exc:  # noqa: BLE001
        raise _fail(f"as '{admin_user}' on {target.host}:{target.port}: "
                    f"{redacted_line(exc, target.password, admin_password)}") from None
    finally:
        connection.close()
    report["changed"] = any(report.values())
    return report


def read_admin_password(stream=None):
    """The administrator password: the first line of stdin."""
    stream = sys.stdin if stream is None else stream
    password = stream.readline().rstrip("\r\n")
    if not password:
        raise _fail("give the administrator password on stdin (it never goes in argv or env)")
    return password


def db_create(config, extra_args):
    """`db-create --admin-user NAME [--user-host HOST]`, password on stdin."""
    options = {"--admin-user": None, "--user-host": "%"}
    args = list(extra_args)
    while args:
        option = args.pop(0)
        if option not in options or not args:
            raise _fail("usage: db-create --admin-user NAME [--user-host HOST], password on stdin")
        options[option] = args.pop(0)
    if not options["--admin-user"]:
        raise _fail("--admin-user is required")
    if config.mysql is None:
        raise _fail("BACKEND_PROVIDER=mysql is required: sqlite databases need no creation")
    report = create_database(config.mysql, options["--admin-user"], read_admin_password(),
                             options["--user-host"])
    made = [k for k in ("database", "user", "grant") if report[k]]
    print(f"{PROG}: database {config.mysql.database!r} on {config.mysql.host}: "
          f"{'created ' + ', '.join(made) if made else 'already set up'}", file=sys.stderr)
    print(json.dumps(report), flush=True)
    return 0
