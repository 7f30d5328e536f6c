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

import contextlib
import json
import sys

from .config import PROG, ConfigError, redact_uri, redacted_line

VARIABLE = "MLFLOW_BACKEND_STORE_URI"


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


def upgrade_schema(backend_uri, check=False, password=None):
    """Create or upgrade the schema; returns the report dict. `check` only says what it would do."""
    with contextlib.ExitStack() as cleanup:
        try:
            from mlflow.store.db.utils import create_sqlalchemy_engine  # noqa: PLC0415
            engine = create_sqlalchemy_engine(backend_uri)
            cleanup.callback(engine.dispose)   # on every way out: the pool holds connections
            current, head = schema_state(engine)
        except Exception as exc:  # noqa: BLE001 - driver and alembic errors vary; report one line
            raise ConfigError(VARIABLE, f"cannot read the schema version of "
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
            _apply(engine, current)
        except Exception as exc:  # noqa: BLE001
            reached = _safe_revision(engine)
            raise ConfigError(VARIABLE, f"schema {action} from {current or 'empty'} to {head} failed "
                                        f"at revision {reached or 'none'}: {_one_line(exc, password)}; "
                                        "MySQL DDL is not transactional: restore the backup taken "
                                        "before the upgrade, fix the cause, and deploy again") from None
        return report


def _safe_revision(engine):
    try:
        return schema_state(engine)[0]
    except Exception:  # noqa: BLE001 - only for the error message
        return None


def describe(report):
    """The human line for stderr."""
    source = report["from"] or "an empty database"
    if report["schema"] == "current":
        return f"{PROG}: database schema is current (revision {report['to']})"
    verb = {"create": "create the schema", "upgrade": "upgrade the schema"}[report["schema"]]
    if report["check_mode"]:
        return f"{PROG}: check mode: would {verb} from {source} to revision {report['to']}"
    done = {"create": "created the schema", "upgrade": "upgraded the schema"}[report["schema"]]
    return f"{PROG}: {done} from {source} to revision {report['to']}"


def print_report(report):
    print(describe(report), file=sys.stderr, flush=True)
    print(json.dumps(report), flush=True)
