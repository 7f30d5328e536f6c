"""A database that is away for a moment is answered 503, which MLflow's client retries with backoff.

MLflow's sessions already answer SQLAlchemy's OperationalError with TEMPORARILY_UNAVAILABLE (503), but
mysql-connector reports a refused connection (2003, while MySQL restarts) as an InterfaceError and a lock
wait timeout as a DatabaseError, which MLflow answers 400 BAD_REQUEST: a client error that its client does
not retry, so each logging client loses what it sent during the outage. SQLAlchemy's `handle_error` event
lets the error be raised as the OperationalError it is, before MLflow classifies it; what fails outside
MLflow's sessions (the tracking store built on a worker's first request) gets the same answer from the
apps' error handlers. Real client errors (data too long, a duplicate key, bad SQL) keep their answer.
"""

import logging

_logger = logging.getLogger("mlflow_boundary")

# MySQL / MariaDB error numbers of failures that pass by themselves (client errors 2xxx: the server is
# away or the connection broke; server errors: shutting down, too many connections, a session killed,
# and the two InnoDB asks to "try restarting transaction").
CONNECTION_LOST = frozenset({
    2002,   # CR_CONNECTION_ERROR: no server on the socket
    2003,   # CR_CONN_HOST_ERROR: connection refused or timed out (a restarting server)
    2006,   # CR_SERVER_GONE_ERROR
    2013,   # CR_SERVER_LOST: lost during a query
    2055,   # CR_SERVER_LOST_EXTENDED: lost, with the system error
    1053,   # ER_SERVER_SHUTDOWN
    1927,   # ER_CONNECTION_KILLED (MariaDB)
    4031,   # ER_CLIENT_INTERACTION_TIMEOUT: disconnected by the server (MySQL 8)
})
RETRY_TRANSACTION = frozenset({1205, 1213})   # lock wait timeout, deadlock
BUSY = frozenset({1040})                      # too many connections
TRANSIENT_NUMBERS = CONNECTION_LOST | RETRY_TRANSACTION | BUSY
# sqlite's primary result codes of the same kind: busy, locked, an I/O error, the file not to be opened
# (a volume away). Its OperationalError also stands for bad SQL, which a retry does not mend.
SQLITE_TRANSIENT = frozenset({5, 6, 10, 14})
_MARK = "_oci_mlflow_transient_hook"
UNAVAILABLE_HINT = "the tracking database is not reachable for now; the request can be retried"


def error_number(dbapi_error):
    """The MySQL error number of a DBAPI exception (mysql-connector's errno, PyMySQL's args[0]), or None."""
    number = getattr(dbapi_error, "errno", None)
    if number is None and getattr(dbapi_error, "args", None):
        number = dbapi_error.args[0]
    return number if isinstance(number, int) else None


def _chain(exc):
    """The exception and what caused it, outermost first (MlflowException wraps SQLAlchemy's)."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def transient(exc):
    """Whether `exc` (or what it wraps) is a database failure that a retry in a moment can get past."""
    import sqlalchemy.exc  # noqa: PLC0415 - imported in the worker
    for error in _chain(exc):
        if isinstance(error, (sqlalchemy.exc.TimeoutError, sqlalchemy.exc.DisconnectionError)):
            return True     # the pool waited in vain for a connection; a connection found dead
        if isinstance(error, sqlalchemy.exc.DBAPIError):
            return (error.connection_invalidated
                    or error_number(error.orig) in TRANSIENT_NUMBERS
                    or (getattr(error.orig, "sqlite_errorcode", -1) & 0xFF) in SQLITE_TRANSIENT)
    return False


def as_operational(context):
    """SQLAlchemy's handle_error hook: a transient failure raised as an OperationalError (and a lost
    connection invalidated, so that the pool does not hand it out again)."""
    import sqlalchemy.exc  # noqa: PLC0415
    error = context.sqlalchemy_exception
    if not isinstance(error, sqlalchemy.exc.DBAPIError) or isinstance(error, sqlalchemy.exc.OperationalError):
        return None
    number = error_number(context.original_exception)
    if number not in TRANSIENT_NUMBERS:
        return None
    lost = number in CONNECTION_LOST
    if lost and context.connection is not None:
        context.is_disconnect = True
    return sqlalchemy.exc.OperationalError(error.statement, error.params, context.original_exception,
                                           connection_invalidated=lost or error.connection_invalidated)


def install_engine_hook():
    """The hook on every engine of this process (the tracking, registry and auth stores). Idempotent."""
    from sqlalchemy import event  # noqa: PLC0415
    from sqlalchemy.engine import Engine  # noqa: PLC0415
    if not event.contains(Engine, "handle_error", as_operational):
        event.listen(Engine, "handle_error", as_operational)


def unavailable(exc):
    """The MlflowException answering a transient failure: TEMPORARILY_UNAVAILABLE (503)."""
    from mlflow.exceptions import MlflowException  # noqa: PLC0415
    from mlflow.protos.databricks_pb2 import TEMPORARILY_UNAVAILABLE  # noqa: PLC0415
    _logger.warning("database unavailable, answered 503: %s", exc)
    return MlflowException(UNAVAILABLE_HINT, TEMPORARILY_UNAVAILABLE)
