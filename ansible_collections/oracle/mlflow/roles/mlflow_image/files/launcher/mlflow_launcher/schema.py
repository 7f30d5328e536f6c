"""Bring the tracking database's schema to this image's MLflow version, as one explicit step.

`mlflow server` refuses an out-of-date schema ("run 'mlflow db upgrade <database_uri>'"), and that
command takes the URI, password included, as an argument: visible in `ps` and in the container's
process list. This step does the same work in-process with the URI from the environment, is a
no-op on a current schema, and says what it did in one JSON line the mlflow_server role reads.
MySQL DDL is not transactional: a migration that fails half-way leaves the database between two
revisions, which is why the role runs this in a one-off container before it replaces a running
server, and why the error says to restore the backup.

MLflow and SQLAlchemy are imported inside the functions (private MLflow helpers, pinned 3.17.2:
the image's lock is what keeps them stable).
"""

import collections
import contextlib
import json
import sys

from .config import PROG, ConfigError, redact_uri, redacted_line

VARIABLE = "MLFLOW_BACKEND_STORE_URI"
AUTH_VERSION_TABLE = "alembic_version_auth"   # the auth app's migrations keep their own version


def _one_line(exc, secret=None):
    # SQLAlchemy appends the whole statement ("[SQL: CREATE TABLE ...]"): the error is before it.
    return redacted_line(str(exc).split(" [SQL:", 1)[0], secret, limit=400)


def schema_state(engine):
    """(current revision or None for an empty database, this image's head revision)."""
    from mlflow.store.db import utils  # noqa: PLC0415 - heavy; only this command needs it
    current = None if utils._is_empty_database(engine) else utils._get_schema_version(engine)
    return current, utils._get_latest_schema_revision()


def _apply(engine, current):
    from mlflow.store.db import utils  # noqa: PLC0415
    if current is None:
        utils._initialize_tables(engine)   # creates the initial tables, then migrates to head
    else:
        utils._upgrade_db(engine)


def auth_schema_state(engine):
    """The auth database's (current revision or None, head revision). A database of MLflow < 3.6 has
    the tables but no version table: MLflow stamps it with the first revision, then upgrades it."""
    from alembic.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415
    from mlflow.server.auth.db import utils  # noqa: PLC0415 - the auth app's own migrations
    url = engine.url.render_as_string(hide_password=False)
    head = ScriptDirectory.from_config(utils._get_alembic_config(url)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(
            connection, opts={"version_table": AUTH_VERSION_TABLE}).get_current_revision()
    if current is None and utils._is_legacy_database(engine):
        current = utils.INITIAL_REVISION
    return current, head


# MLflow's first auth migration names the foreign keys of two tables fk_user_id; MySQL wants constraint
# names unique in a database, so on MySQL that migration fails as written (mlflow/mlflow#9642, open).
DUPLICATE_FK = "fk_user_id"
FK_KEEPS_NAME = "experiment_permissions"


def _unique_fk_names(table, connection, **kwargs):
    """Before a table is created: a second fk_user_id gets a name of its table's."""
    del connection, kwargs
    import sqlalchemy  # noqa: PLC0415
    for constraint in table.constraints:
        if isinstance(constraint, sqlalchemy.ForeignKeyConstraint) and constraint.name == DUPLICATE_FK \
                and table.name != FK_KEEPS_NAME:
            constraint.name = f"fk_{table.name}_user_id"


def _apply_auth(engine, current):
    import sqlalchemy  # noqa: PLC0415
    from mlflow.server.auth.db import utils  # noqa: PLC0415
    del current   # the auth migrations start from an empty database too
    if engine.dialect.name != "mysql":
        utils.migrate(engine, "head")
        return
    sqlalchemy.event.listen(sqlalchemy.Table, "before_create", _unique_fk_names)
    try:
        utils.migrate(engine, "head")
    finally:
        sqlalchemy.event.remove(sqlalchemy.Table, "before_create", _unique_fk_names)


# A database MLflow migrates: how to read its revision, how to bring it to head, what to call it.
Schema = collections.namedtuple("Schema", ["label", "variable", "state", "apply"])
TRACKING = Schema("database schema", VARIABLE, schema_state, _apply)
AUTH = Schema("auth schema", "MLFLOW_AUTH", auth_schema_state, _apply_auth)


def upgrade_schema(backend_uri, check=False, password=None, schema=TRACKING):
    """Create or upgrade the schema; returns the report dict. `check` only says what it would do."""
    with contextlib.ExitStack() as cleanup:
        try:
            from mlflow.store.db.utils import create_sqlalchemy_engine  # noqa: PLC0415
            engine = create_sqlalchemy_engine(backend_uri)
            cleanup.callback(engine.dispose)   # on every way out: the pool holds connections
            current, head = schema.state(engine)
        except Exception as exc:  # noqa: BLE001 - driver and alembic errors vary; report one line
            raise ConfigError(schema.variable, f"cannot read the {schema.label} version of "
                                               f"{redact_uri(backend_uri)}: {_one_line(exc, password)}") from None
        if current == head:
            action = "current"
        elif current is None:
            action = "create"
        else:
            action = "upgrade"
        report = {"schema": action, "from": current, "to": head, "changed": action != "current",
                  "check_mode": bool(check)}
        if action == "current" or check:
            return report
        try:
            schema.apply(engine, current)
        except Exception as exc:  # noqa: BLE001
            reached = _safe_revision(engine, schema)
            raise ConfigError(schema.variable, f"{schema.label} {action} from {current or 'empty'} to {head} "
                                               f"failed at revision {reached or 'none'}: "
                                               f"{_one_line(exc, password)}; MySQL DDL is not transactional: "
                                               "restore the backup taken before the upgrade, fix the cause, "
                                               "and deploy again") from None
        return report


def _safe_revision(engine, schema):
    try:
        return schema.state(engine)[0]
    except Exception:  # noqa: BLE001 - only for the error message
        return None


def describe(report, label=TRACKING.label):
    """The human line for stderr."""
    source = report["from"] or "an empty database"
    if report["schema"] == "current":
        return f"{PROG}: {label} is current (revision {report['to']})"
    what = label.replace("database ", "")
    verb = {"create": f"create the {what}", "upgrade": f"upgrade the {what}"}[report["schema"]]
    if report["check_mode"]:
        return f"{PROG}: check mode: would {verb} from {source} to revision {report['to']}"
    done = {"create": f"created the {what}", "upgrade": f"upgraded the {what}"}[report["schema"]]
    return f"{PROG}: {done} from {source} to revision {report['to']}"


def with_auth(report, auth_report):
    """The tracking report with the auth database's under "auth"; changed when either changed."""
    return {**report, "auth": auth_report, "changed": report["changed"] or auth_report["changed"]}


def print_report(report):
    print(describe(report), file=sys.stderr, flush=True)
    if "auth" in report:
        print(describe(report["auth"], AUTH.label), file=sys.stderr, flush=True)
    print(json.dumps(report), flush=True)
