"""Wait for the MySQL backend, telling unreachable, access denied and unknown database apart.

mysql-connector is imported inside the function that connects.
"""

import time

from .config import ConfigError, redacted_line

# mysql-connector / MySQL error numbers.
CANNOT_CONNECT = {2002, 2003, 2005, 2006, 2013, 2055}  # socket, host, unknown host, gone, lost
ACCESS_DENIED = {1044, 1045, 1698}   # db access denied, access denied, no password (socket auth)
UNKNOWN_DATABASE = {1049}


def classify_db_error(exc):
    """'unreachable', 'access_denied', 'unknown_database' or 'other' for a connector error."""
    errno = getattr(exc, "errno", None)
    if errno in CANNOT_CONNECT or isinstance(exc, (TimeoutError, ConnectionError)):
        return "unreachable"
    if errno in ACCESS_DENIED:
        return "access_denied"
    if errno in UNKNOWN_DATABASE:
        return "unknown_database"
    return "other"


def _mysql_connect(target, timeout):
    import mysql.connector  # noqa: PLC0415 - only BACKEND_PROVIDER=mysql needs it
    connection = mysql.connector.connect(
        user=target.user, password=target.password, host=target.host, port=target.port,
        database=target.database, connection_timeout=max(1, int(timeout)), use_pure=True)
    connection.close()


def _netloc(target):
    return f"[{target.host}]:{target.port}" if ":" in target.host else f"{target.host}:{target.port}"


def wait_for_database(target, seconds, connect=_mysql_connect, clock=time.monotonic,
                      sleep=time.sleep):
    """Connect until it works or `seconds` pass, retrying only while the server cannot be reached;
    then fail with one line that tells unreachable, access denied and unknown database apart."""
    deadline = clock() + seconds
    delay, attempts = 1.0, 0
    while True:
        attempts += 1
        try:
            connect(target, max(1.0, min(5.0, deadline - clock())))
            return attempts
        except Exception as exc:  # noqa: BLE001 - classified below; anything else is reported
            kind = classify_db_error(exc)
            error = exc
        if kind != "unreachable" or clock() + delay > deadline:
            break
        sleep(delay)
        delay = min(delay * 2, 5.0)
    source = target.source
    if kind == "unreachable":
        raise ConfigError(source, f"database unreachable: cannot connect to {_netloc(target)} "
                                  f"within {seconds} s ({attempts} attempts; MLFLOW_DB_WAIT_SECONDS)")
    if kind == "access_denied" and getattr(error, "errno", None) == 1044:
        # MySQL answers 1044 for a database the user has no grant on, whether it exists or not.
        raise ConfigError(source, f"database access denied for '{target.user}'@'{target.host}' "
                                  f"to database {target.database!r}: grant the user access to it "
                                  "(or fix the database name: MySQL hides unknown ones from users "
                                  "without rights on them)")
    if kind == "access_denied":
        raise ConfigError(source, f"database access denied for '{target.user}'@'{target.host}' "
                                  f"(database {target.database!r}): check the user, its password and "
                                  "its grants")
    if kind == "unknown_database":
        raise ConfigError(source, f"unknown database {target.database!r} on {_netloc(target)}: "
                                  f"create it (CHARACTER SET utf8mb4) or fix the database name")
    raise ConfigError(source, f"cannot use the database on {_netloc(target)}: "
                              f"{redacted_line(error, target.password)}")
