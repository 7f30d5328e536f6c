"""db-upgrade / db-create: their arguments and what they refuse before touching a database.

The database work itself runs against MariaDB in the image (tests/e2e/test_schema_upgrade.py):
the host venv has neither SQLAlchemy nor mysql-connector.
"""
import io

import pytest

from mlflow_launcher import ConfigError, MysqlTarget, main
from mlflow_launcher.config import redacted_line
from mlflow_launcher.provision import create_database, read_admin_password
from mlflow_launcher.schema import describe


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_db_upgrade_takes_only_check(base_env, set_env, capsys):
    set_env(base_env)
    assert main(["db-upgrade", "--force"]) == 2
    assert "--force: db-upgrade takes only --check" in one_error_line(capsys)


@pytest.mark.parametrize("args,message", [
    ([], "--admin-user is required"),
    (["--admin-user"], "usage: db-create --admin-user NAME"),
    (["--admin-user", "root", "--bogus", "x"], "usage: db-create --admin-user NAME"),
    (["--admin-user", "root"], "BACKEND_PROVIDER=mysql is required"),
])
def test_db_create_arguments(base_env, set_env, capsys, args, message):
    set_env(base_env)
    assert main(["db-create", *args]) == 2
    assert message in one_error_line(capsys)


def test_admin_password_comes_from_stdin_first_line():
    assert read_admin_password(io.StringIO("s3cr:t@1\nignored\n")) == "s3cr:t@1"


def test_empty_stdin_is_refused():
    with pytest.raises(Exception, match="administrator password on stdin"):
        read_admin_password(io.StringIO(""))


@pytest.mark.parametrize("report,line", [
    ({"schema": "current", "from": "b", "to": "b", "check_mode": False},
     "database schema is current (revision b)"),
    ({"schema": "upgrade", "from": "a", "to": "b", "check_mode": False},
     "upgraded the schema from a to revision b"),
    ({"schema": "create", "from": None, "to": "b", "check_mode": True},
     "check mode: would create the schema from an empty database to revision b"),
])
def test_the_human_line(report, line):
    assert describe(report) == f"mlflow-launcher: {line}"


def test_redacted_line_hides_each_secret_and_keeps_text_without_one():
    assert redacted_line("boom s3cr:t\nat  host", "s3cr:t", "") == "boom *** at host"
    assert redacted_line("x" * 500, None, limit=10) == "x" * 10


class RefusingConnection:
    """A connection whose first statement fails with `message` (the server side is in the e2e tests)."""

    def __init__(self, message):
        self.message = message

    def cursor(self):
        return self

    def execute(self, *_):
        raise RuntimeError(self.message)

    def close(self):
        pass


def test_db_create_error_with_an_empty_user_password_is_not_garbled():
    """A URI without a password gives an empty one: the error reads as it was, minus the admin's."""
    target = MysqlTarget("mlflow", "", "db.internal", 3306, "mlflow", "MLFLOW_BACKEND_STORE_URI")
    connection = RefusingConnection("1227: Access denied; adm!n:pw lacks CREATE")

    with pytest.raises(ConfigError) as info:
        create_database(target, "root", "adm!n:pw", connect=lambda *_: connection)
    assert info.value.message == "as 'root' on db.internal:3306: 1227: Access denied; *** lacks CREATE"
