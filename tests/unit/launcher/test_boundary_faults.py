"""The boundary app under faults, in process: MLflow's real Flask app (and its FastAPI app for uvicorn's
routes) with mlflow_boundary installed.

- A database away for a moment: MLflow's SQL store on MariaDB (127.0.0.1:3306, as scripts/mariadb.sh runs
  it) through a loopback relay that the test cuts: every connection reset, new ones refused, as when MySQL
  restarts. MLflow alone answers such a request 400 (not retried by its client); the boundary, 503.
- A full artifact volume: a 1 MiB tmpfs as the server's artifact destination. MLflow alone answers a bare
  500 (retried for minutes) and leaves the directories it made; the boundary, 507 and nothing left.
The whole server in its container, with MLflow's own client: tests/e2e/test_faults.py.
"""
import asyncio
import json
import shutil
import subprocess
import uuid

import pytest
import sqlalchemy
import sqlalchemy.exc

from support.tcp_relay import TcpRelay

mlflow_server = pytest.importorskip("mlflow.server")
from mlflow.server import handlers  # noqa: E402

from mlflow_boundary import app as boundary  # noqa: E402
from mlflow_boundary import database  # noqa: E402

PASSWORD = "Faults-unit-pw1"
MIB = 1024 * 1024


def mariadb(statement):
    """SQL as MariaDB's root over the unix socket (the statement on stdin)."""
    return subprocess.run(["mariadb", "--batch", "--skip-column-names"], input=statement,
                          capture_output=True, text=True, check=True).stdout


def mariadb_is_up():
    return shutil.which("mariadb-admin") is not None and subprocess.run(
        ["mariadb-admin", "--protocol=socket", "ping"], capture_output=True).returncode == 0


needs_mariadb = pytest.mark.skipif(not mariadb_is_up(), reason="no MariaDB on this host (scripts/mariadb.sh)")


@pytest.fixture(scope="module")
def flask_app():
    """MLflow's Flask app with the boundary (once per process: install() marks the app), its location
    check off: these tests are about faults, test_artifact_boundary.py (e2e) about locations."""
    return boundary.install(mlflow_server.app, environ={"MLFLOW_ARTIFACTS_ALLOWED_ROOTS": "*"})


@pytest.fixture(scope="module")
def database_name():
    name = f"faults_unit_{uuid.uuid4().hex[:8]}"
    mariadb(f"CREATE DATABASE {name} CHARACTER SET utf8mb4;"
            f"CREATE OR REPLACE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';"
            f"GRANT ALL ON {name}.* TO '{name}'@'127.0.0.1';")
    yield name
    mariadb(f"DROP DATABASE IF EXISTS {name}; DROP USER IF EXISTS '{name}'@'127.0.0.1';")


@pytest.fixture(scope="module")
def relay():
    with TcpRelay(3306) as running:
        yield running


def mysql_uri(name, port):
    return f"mysql+mysqlconnector://{name}:{PASSWORD}@127.0.0.1:{port}/{name}"


@pytest.fixture(scope="module")
def tracking(flask_app, database_name, relay):
    """The server's tracking store on MySQL through the relay (built once: the schema takes seconds)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(handlers, "_tracking_store", None)   # MLflow's per-process store, built from the env
    patch.setenv("_MLFLOW_SERVER_FILE_STORE", mysql_uri(database_name, relay.port))
    patch.setenv("_MLFLOW_SERVER_ARTIFACT_ROOT", "mlflow-artifacts:/")
    client = flask_app.test_client()
    experiment = client.post("/api/2.0/mlflow/experiments/create", json={"name": "faults"})
    assert experiment.status_code == 200, experiment.get_data(as_text=True)
    yield client, experiment.json["experiment_id"]
    patch.undo()


def new_run(client, experiment_id):
    answer = client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": experiment_id})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["run"]["info"]["run_id"]


def log_metric(client, run_id, step):
    return client.post("/api/2.0/mlflow/runs/log-metric", json={
        "run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 1_700_000_000_000 + step, "step": step})


# ------------------------------------------------------------------ a database away for a moment

@needs_mariadb
def test_a_refused_database_is_answered_503_and_the_retry_is_stored(tracking, relay):
    client, experiment_id = tracking
    run_id = new_run(client, experiment_id)
    assert log_metric(client, run_id, 0).status_code == 200
    relay.cut()                 # the pooled connections die; a new one is refused (2003)
    try:
        during = log_metric(client, run_id, 1)
    finally:
        relay.restore()
    assert during.status_code == 503, during.get_data(as_text=True)
    assert during.json["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert "[SQL:" not in during.get_data(as_text=True)
    assert log_metric(client, run_id, 1).status_code == 200     # what MLflow's client does next
    history = client.get("/api/2.0/mlflow/metrics/get-history", query_string={"run_id": run_id, "metric_key": "loss"})
    assert sorted(metric["step"] for metric in history.json["metrics"]) == [0, 1]


@needs_mariadb
def test_client_errors_keep_their_answer(tracking):
    client, _ = tracking
    again = client.post("/api/2.0/mlflow/experiments/create", json={"name": "faults"})
    assert again.status_code == 400 and again.json["error_code"] == "RESOURCE_ALREADY_EXISTS"
    missing = log_metric(client, uuid.uuid4().hex, 0)
    assert missing.status_code == 404 and missing.json["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.fixture()
def engine(database_name):
    database.install_engine_hook()
    made = sqlalchemy.create_engine(mysql_uri(database_name, 3306), pool_pre_ping=True)
    yield made
    made.dispose()


def raised(engine, statement, *setup):
    with engine.connect() as connection:
        for text in setup:
            connection.execute(sqlalchemy.text(text))
        with pytest.raises(sqlalchemy.exc.DBAPIError) as info:
            connection.execute(sqlalchemy.text(statement))
    return info.value


@needs_mariadb
def test_what_is_transient_from_the_real_database(engine):
    """Errors from MariaDB itself: bad SQL, a value too long and a duplicate key are the client's; a lock
    wait timeout ("try restarting transaction") passes, and is raised as an OperationalError."""
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE t (k INT PRIMARY KEY, v VARCHAR(3))"))
        connection.execute(sqlalchemy.text("INSERT INTO t VALUES (1, 'a')"))
    for statement in ("SELEC 1", "INSERT INTO t VALUES (2, 'toolong')", "INSERT INTO t VALUES (1, 'b')"):
        error = raised(engine, statement, "SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
        assert not database.transient(error), error
    with engine.connect() as holder:
        holder.execute(sqlalchemy.text("SELECT * FROM t WHERE k = 1 FOR UPDATE"))
        waited = raised(engine, "SELECT * FROM t WHERE k = 1 FOR UPDATE",
                        "SET SESSION innodb_lock_wait_timeout = 1")
        holder.rollback()
    assert isinstance(waited, sqlalchemy.exc.OperationalError) and database.error_number(waited.orig) == 1205
    assert database.transient(waited)


def test_a_refused_connection_is_an_operational_error():
    """mysql-connector's InterfaceError 2003 (what MLflow answers 400) becomes SQLAlchemy's
    OperationalError (what MLflow's sessions answer 503). A port nobody listens on: no database needed."""
    database.install_engine_hook()
    with TcpRelay(3306) as closed:
        closed.cut()
        refused = sqlalchemy.create_engine(mysql_uri("nobody", closed.port), pool_pre_ping=True)
        with pytest.raises(sqlalchemy.exc.OperationalError) as info:
            refused.connect()
    assert database.error_number(info.value.orig) == 2003 and database.transient(info.value)


def test_the_apps_answer_a_raw_transient_error_503_and_others_500():
    """What fails outside MLflow's sessions (a store built on a worker's first request) reaches the apps'
    handlers: a refused database is 503, bad SQL keeps the 500 it had."""
    import flask
    app = flask.Flask("faults")
    app.register_error_handler(sqlalchemy.exc.SQLAlchemyError, boundary.answer_unavailable)
    closed_port = 9   # discard: nobody listens on it on loopback
    refused = sqlalchemy.create_engine(mysql_uri("nobody", closed_port))
    broken = sqlalchemy.create_engine("sqlite://")

    @app.route("/refused")
    def use_refused():
        refused.connect()

    @app.route("/broken")
    def use_broken():
        with broken.connect() as connection:
            connection.execute(sqlalchemy.text("SELEC 1"))

    client = app.test_client()
    answer = client.get("/refused")
    assert answer.status_code == 503 and answer.json["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert client.get("/broken").status_code == 500


# ------------------------------------------------------------------ a full artifact volume

@pytest.fixture()
def full_volume(tmp_path):
    """A 1 MiB tmpfs: a filesystem that fills up for real (needs the right to mount, root here and in CI)."""
    volume = tmp_path / "artifacts"
    volume.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(volume)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield volume
    subprocess.run(["umount", "-l", str(volume)], check=True)


@pytest.fixture()
def artifact_server(flask_app, full_volume, monkeypatch):
    """The server proxying artifacts to the full volume (MLflow's repository built anew from the env)."""
    monkeypatch.setattr(handlers, "_artifact_repo", None)
    monkeypatch.setenv("_MLFLOW_SERVER_SERVE_ARTIFACTS", "true")
    monkeypatch.setenv("_MLFLOW_SERVER_ARTIFACT_DESTINATION", str(full_volume))
    (full_volume / "1" / "run" / "artifacts").mkdir(parents=True)    # the run has a small artifact already
    (full_volume / "1" / "run" / "artifacts" / "small.txt").write_text("kept")
    return flask_app, full_volume


UPLOAD = "/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model/weights/blob.bin"


def listed(client, path):
    answer = client.get("/api/2.0/mlflow-artifacts/artifacts", query_string={"path": path})
    return sorted(item["path"] for item in answer.json.get("files", []))


def everything_under(volume):
    return sorted(str(path.relative_to(volume)) for path in volume.rglob("*"))


def assert_answered_507_and_nothing_left(status, body, volume, client):
    assert status == 507, body
    assert body.count("\n") == 0
    error = json.loads(body)
    assert "no space left on the server's artifact store" in error["message"] and "blob.bin" in error["message"]
    assert listed(client, "1/run/artifacts") == ["small.txt"]
    assert everything_under(volume) == ["1", "1/run", "1/run/artifacts", "1/run/artifacts/small.txt"]


def test_a_full_volume_is_answered_507_under_gunicorn(artifact_server):
    """Flask's upload route (what gunicorn serves)."""
    app, volume = artifact_server
    client = app.test_client()
    answer = client.put(UPLOAD, data=b"x" * (2 * MIB))
    assert_answered_507_and_nothing_left(answer.status_code, answer.get_data(as_text=True), volume, client)
    assert client.put(UPLOAD, data=b"fits").status_code == 200     # space is back once the upload is gone
    assert (volume / "1/run/artifacts/model/weights/blob.bin").read_bytes() == b"fits"


async def asgi_put(app, path, body, chunk=256 * 1024):
    """One PUT through an ASGI app, the body in chunks as uvicorn hands it over: (status, body)."""
    parts = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    incoming = [{"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
                for i, part in enumerate(parts)]
    sent = []

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"localhost"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 5000)}
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body").decode()


def test_a_full_volume_is_answered_507_under_uvicorn(artifact_server):
    """FastAPI's own streaming upload route (what uvicorn serves), in front of the Flask app."""
    from mlflow.server.fastapi_app import create_fastapi_app
    app, volume = artifact_server
    asgi = boundary.install_asgi_handlers(create_fastapi_app(app))
    status, body = asyncio.run(asgi_put(asgi, UPLOAD, b"x" * (2 * MIB)))
    assert_answered_507_and_nothing_left(status, body, volume, app.test_client())
    assert asyncio.run(asgi_put(asgi, UPLOAD, b"fits"))[0] == 200


def test_sqlite_busy_or_away_is_transient_and_bad_sql_is_not(tmp_path):
    locked = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'mlflow.db'}", connect_args={"timeout": 0})
    away = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'gone' / 'mlflow.db'}")
    with locked.connect() as holder:
        holder.execute(sqlalchemy.text("CREATE TABLE t (k INT)"))
        holder.execute(sqlalchemy.text("INSERT INTO t VALUES (1)"))     # holds the write lock
        busy = raised(locked, "INSERT INTO t VALUES (2)")
        bad = raised(locked, "SELEC 1")
    with pytest.raises(sqlalchemy.exc.OperationalError) as unopened:
        away.connect()
    assert database.transient(busy) and database.transient(unopened.value) and not database.transient(bad)
