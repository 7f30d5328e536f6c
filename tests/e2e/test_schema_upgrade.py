"""Schema upgrades and database creation through the mlflow_server role, against MariaDB.

An "older MLflow" database is made by migrating a fresh database only part of the way, with the
image's own alembic scripts: exactly the schema an older MLflow release left behind. The role
must upgrade it once before serving, say so, and keep the data; a failing upgrade must leave the
running container alone. Databases the role creates are utf8mb4.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from e2e_support import (
    IMAGE_VARS, create_database, docker, drop_database, inspect, process_args, sql, wait_healthy,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served_image")]  # docker runs the image itself

IMAGE = IMAGE_VARS.get("mlflow_server_image", "oci-mlflow:latest")
PASSWORD = "up@grade:w/rd%#1"
ENCODED = "up%40grade%3Aw%2Frd%25%231"
ADMIN_PASSWORD = "adm!n:p@ss/wd#9"
REVISIONS_BACK = 30     # how far behind the image's head the "older MLflow" schema is

# Runs in a one-off container of the image: migrate an empty database to the revision N steps
# before head, the way MLflow's own initialisation does (initial tables, then alembic).
OLD_SCHEMA_SCRIPT = """
import os, sys
from alembic import command
from alembic.script import ScriptDirectory
from mlflow.store.db.utils import _get_alembic_config, create_sqlalchemy_engine
from mlflow.store.tracking.dbmodels.initial_models import Base
uri = os.environ["OLD_SCHEMA_URI"]
config = _get_alembic_config(uri)
target = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()][int(sys.argv[1])]
engine = create_sqlalchemy_engine(uri)
Base.metadata.create_all(engine)
with engine.begin() as connection:
    config.attributes["connection"] = connection
    command.upgrade(config, target)
print(target)
"""




def flat(output: str) -> str:
    """Playbook output with the callback's line folding undone."""
    return " ".join(output.split())


def revision(database: str) -> str:
    return sql(f"SELECT version_num FROM {database}.alembic_version").strip()


@pytest.fixture()
def database():
    name = create_database("mlflow_up", PASSWORD)
    yield name
    drop_database(name)


def make_old_schema(database: str, tmp_path: Path) -> str:
    script = tmp_path / "old_schema.py"
    script.write_text(OLD_SCHEMA_SCRIPT)
    script.chmod(0o644)
    uri = f"mysql+mysqlconnector://{database}:{ENCODED}@127.0.0.1:3306/{database}"
    # `-e NAME` hands the URI over from this process's environment, not the docker CLI's argv.
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "host", "-e", "OLD_SCHEMA_URI",
         "-v", f"{script}:/tmp/old_schema.py:ro", "--entrypoint", "/opt/mlflow/bin/python",
         IMAGE, "/tmp/old_schema.py", str(REVISIONS_BACK)],
        env={**os.environ, "OLD_SCHEMA_URI": uri}, capture_output=True, text=True, check=True)
    old = proc.stdout.strip().splitlines()[-1]
    assert revision(database) == old
    # Data an older server stored: it must survive the upgrade.
    sql(f"INSERT INTO {database}.experiments (name, artifact_location, lifecycle_stage) "
        "VALUES ('made-before-the-upgrade', '/mlflow/artifacts/1', 'active');")
    return old


def role_vars(name: str, port: int, tmp_path: Path, **extra) -> dict:
    return {"mlflow_server_container_name": name, "mlflow_server_port": port,
            "mlflow_server_data_dir": str(tmp_path / "data"),
            "mlflow_server_config_dir": str(tmp_path / "etc"), "mlflow_backup_dir": str(tmp_path / "backups"),
            "mlflow_server_backend_provider": "mysql", "mlflow_server_workers": 1, **IMAGE_VARS, **extra}


def test_an_older_schema_is_upgraded_once_and_a_failed_upgrade_keeps_the_server(
        run_playbook, database, tmp_path):
    name, port = "oci-mlflow-e2e-upgrade", 5063
    old = make_old_schema(database, tmp_path)
    uri = f"mysql+mysqlconnector://{database}:{ENCODED}@127.0.0.1:3306/{database}"
    variables = role_vars(name, port, tmp_path, mlflow_server_backend_store_uri=uri)
    try:
        run = run_playbook("deploy.yml", variables)
        assert run.returncode == 0, run.output[-3000:]
        head = revision(database)
        assert head != old
        assert f"upgraded the schema from {old} to revision {head}" in flat(run.output)
        assert PASSWORD not in run.output and ENCODED not in run.output
        # The role backed the database up first (mlflow_server_db_backup), at the revision it found.
        [backup] = sorted((tmp_path / "backups").iterdir())
        assert backup.name.startswith("mlflow-") and backup.name.endswith(f"-{old}")
        assert f"before the schema change, backup {backup.name} (" in flat(run.output)
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["schema_revision"] == old and manifest["database"]["backend"] == "mysql"
        assert manifest["tables"]["experiments"] == 1
        client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
        assert client.get_experiment_by_name("made-before-the-upgrade") is not None
        run_id = client.create_run(client.create_experiment("after-the-upgrade")).info.run_id
        client.log_metric(run_id, "m", 1.0)

        container = inspect(name)
        again = run_playbook("deploy.yml", variables)
        assert again.returncode == 0 and again.changed == 0, again.output[-3000:]
        assert "upgraded the schema" not in again.output
        assert len(list((tmp_path / "backups").iterdir())) == 1    # a current schema: no backup
        assert inspect(name)["Id"] == container["Id"]

        # A migration that breaks half-way: the database claims an old revision but holds the new
        # tables. A deploy that would restart the server (2 workers) must fail before touching it.
        sql(f"UPDATE {database}.alembic_version SET version_num = '{old}';")
        failed = run_playbook("deploy.yml", {**variables, "mlflow_server_workers": 2})
        assert failed.returncode != 0
        assert "The database schema step failed, so container oci-mlflow-e2e-upgrade was left as it was" \
            in flat(failed.output), failed.output[-3000:]
        assert f"schema upgrade from {old} to {head} failed" in flat(failed.output)
        assert "already exists" in failed.output and "restore the backup" in flat(failed.output)
        # The live env file still holds the running server's settings.
        assert "MLFLOW_WORKERS=1" in (tmp_path / "etc" / "mlflow.env").read_text()
        after = inspect(name)
        assert after["Id"] == container["Id"] and after["State"]["Running"]
        assert after["State"]["StartedAt"] == container["State"]["StartedAt"]
        assert "--workers 1" in process_args(name)
        assert client.get_run(run_id).data.metrics == {"m": 1.0}

        # Check mode only reports (it cannot know that this upgrade would fail). It checks with the
        # settings of the failed run, which its candidate env file already holds.
        check = run_playbook("deploy.yml", {**variables, "mlflow_server_workers": 2}, check=True)
        assert check.returncode == 0, check.output[-3000:]
        assert f"check mode: would upgrade the schema from {old} to revision {head}" in flat(check.output), \
            check.output[-3000:]
        assert revision(database) == old

        # Repaired (the schema is at head again), the container recreated: the data is all there.
        sql(f"UPDATE {database}.alembic_version SET version_num = '{head}';")
        docker("rm", "-f", name)
        back = run_playbook("deploy.yml", variables)
        assert back.returncode == 0, back.output[-3000:]
        assert "database schema is current" in flat(back.output)
        assert client.get_run(run_id).data.metrics == {"m": 1.0}
        assert client.get_experiment_by_name("made-before-the-upgrade") is not None
    finally:
        run_playbook("teardown.yml", variables)


@pytest.fixture()
def admin():
    """An administrator allowed to create databases and users (not MariaDB's root)."""
    name = f"mlflow_adm_{uuid.uuid4().hex[:6]}"
    sql(f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{ADMIN_PASSWORD}';"
        f"GRANT ALL PRIVILEGES ON *.* TO '{name}'@'127.0.0.1' WITH GRANT OPTION;")
    yield name
    sql(f"DROP USER IF EXISTS '{name}'@'127.0.0.1';")


def test_the_role_creates_a_utf8mb4_database_and_its_user(run_playbook, admin, tmp_path):
    name, port = "oci-mlflow-e2e-dbcreate", 5064
    database = f"mlflow_new_{uuid.uuid4().hex[:8]}"
    uri = f"mysql+mysqlconnector://{database}:{ENCODED}@127.0.0.1:3306/{database}"
    variables = role_vars(name, port, tmp_path, mlflow_server_backend_store_uri=uri,
                          mlflow_server_db_create=True, mlflow_server_db_admin_user=admin,
                          mlflow_server_db_admin_password=ADMIN_PASSWORD,
                          mlflow_server_db_user_host="127.0.0.1")
    try:
        wrong = run_playbook("deploy.yml", {**variables, "mlflow_server_db_admin_password": "nope"})
        assert wrong.returncode != 0
        assert f"the administrator '{admin}' was refused" in flat(wrong.output), wrong.output[-3000:]
        assert not docker("ps", "-aq", "--filter", f"name=^{name}$").stdout.strip()

        run = run_playbook("deploy.yml", variables)
        assert run.returncode == 0, run.output[-3000:]
        for secret in (ADMIN_PASSWORD, PASSWORD, ENCODED):
            assert secret not in run.output
        charset = sql("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
                      f"WHERE SCHEMA_NAME = '{database}'").strip()
        assert charset == "utf8mb4"
        assert sql(f"SELECT COUNT(*) FROM mysql.user WHERE User = '{database}'").strip() == "1"
        wait_healthy(f"http://127.0.0.1:{port}")
        client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
        run_id = client.create_run(client.create_experiment("created-db")).info.run_id
        assert sql(f"SELECT run_uuid FROM {database}.runs").split() == [run_id]

        again = run_playbook("deploy.yml", variables)
        assert again.returncode == 0 and again.changed == 0, again.output[-3000:]
    finally:
        run_playbook("teardown.yml", variables)
        sql(f"DROP DATABASE IF EXISTS {database}; DROP USER IF EXISTS '{database}'@'127.0.0.1';")
