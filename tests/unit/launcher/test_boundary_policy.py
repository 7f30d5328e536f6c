"""The artifact boundary's policy (mlflow_boundary.policy) and the oci:// repository's share of it.

The app plugin itself needs MLflow's Flask server, which only the image has: tests/e2e/test_artifact_boundary.py
drives it there through every route."""
import asyncio
import os

import pytest
from mlflow.exceptions import MlflowException

from mlflow_boundary import policy
from oci_emulator import realm

DEST = "oci://mlflow-art@axaxns/team-a/mlflow/"
SERVER = {"_MLFLOW_SERVER_ARTIFACT_DESTINATION": DEST, "_MLFLOW_SERVER_ARTIFACT_ROOT": "mlflow-artifacts:/"}


def roots(**env):
    return policy.allowed_roots({**SERVER, **env})


@pytest.mark.parametrize("uri", [
    DEST, DEST + "1/abc/artifacts/model.pkl", "oci://mlflow-art@axaxns/team-a/mlflow",
    "runs:/abc/model", "models:/m/1", "models:/m-123", "mlflow-artifacts:/1/abc/artifacts",
])
def test_inside(uri):
    policy.check(uri, roots())


@pytest.mark.parametrize("uri,words", [
    ("oci://mlflow-art@axaxns/team-a/other/", "is outside this server's artifact store (oci://mlflow-art@axaxns/team-a/mlflow/)"),
    ("oci://mlflow-art@axaxns/team-a/mlflowX/x", "is outside"),
    ("oci://mlflow-art@axaxns/", "is outside"),
    ("oci://other-bucket@axaxns/team-a/mlflow/", "is outside"),
    ("oci://mlflow-art@otherns/team-a/mlflow/", "is outside"),
    ("oci://mlflow-art@axaxns/team-a/mlflow/../other", "'..' segment"),
    ("/home/mlflow", "is outside"),
    ("file:///mlflow", "is outside"),
    ("s3://bucket/x", "only in oci:// and local locations"),
    ("mlflow-artifacts://evil.example/x", "only in oci:// and local locations"),
    ("relative/path", "only in oci:// and local locations"),
])
def test_outside_names_the_allowed_root(uri, words):
    with pytest.raises(policy.Outside) as info:
        policy.check(uri, roots())
    assert words in info.value.message
    assert "MLFLOW_ARTIFACTS_ALLOWED_ROOTS" in info.value.message or "'..'" in info.value.message \
        or "only in oci://" in info.value.message


def test_local_store_and_its_escapes(tmp_path):
    store = tmp_path / "artifacts"
    (store / "1").mkdir(parents=True)
    (store / "1" / "link").symlink_to(tmp_path)
    local = policy.allowed_roots({"_MLFLOW_SERVER_ARTIFACT_DESTINATION": str(store),
                                  "_MLFLOW_SERVER_ARTIFACT_ROOT": "mlflow-artifacts:/"})
    policy.check(f"{store}/1/abc/artifacts", local)
    policy.check(f"file://{store}/1", local)
    for outside in (str(tmp_path), f"{store}/../x", f"file://{store}/1/link/x", f"{store}-2/1", f"{store}\0x"):
        with pytest.raises(policy.Outside):
            policy.check(outside, local)


def test_allowed_roots_widen_and_star_turns_it_off():
    wider = roots(MLFLOW_ARTIFACTS_ALLOWED_ROOTS="oci://shared@axaxns/common/, /srv/shared")
    policy.check("oci://shared@axaxns/common/x", wider)
    policy.check("/srv/shared/x", wider)
    with pytest.raises(policy.Outside):
        policy.check("oci://shared@axaxns/private/x", wider)
    assert roots(MLFLOW_ARTIFACTS_ALLOWED_ROOTS="*") is None
    policy.check("oci://anything@anyns/at/all", None)


def test_a_client_process_is_not_a_server():
    assert not policy.in_server_process({}) and policy.in_server_process(SERVER)


@pytest.mark.parametrize("value,names", [("oci://x@y/z", True), ("/abs", True), ("runs:/r/m", True),
                                         ("dummy-source", False), ("model", False)])
def test_what_names_a_location(value, names):
    assert policy.names_a_location(value) is names


# ---------------------------------------------------------------- the repository in a server process

BUCKET = "mlflow-artifacts"


@pytest.fixture
def server_repo(oci_emulator_env, clean_oci_emulator, monkeypatch):
    import mlflow_oci_artifacts.repository as module
    module._SHARED.clear()
    clean_oci_emulator.state.add_bucket(BUCKET)
    monkeypatch.setenv("OCIFS_IAM_TYPE", "api_key")
    monkeypatch.setenv("_MLFLOW_SERVER_ARTIFACT_DESTINATION", f"oci://{BUCKET}@{realm.NAMESPACE}/runs/")
    monkeypatch.setenv("_MLFLOW_SERVER_ARTIFACT_ROOT", "mlflow-artifacts:/")
    yield module
    module._SHARED.clear()


def test_the_repository_refuses_outside_locations_in_the_server(server_repo, clean_oci_emulator):
    server_repo.OciArtifactRepository(f"oci://{BUCKET}@{realm.NAMESPACE}/runs/1/x/artifacts")
    with pytest.raises(MlflowException) as info:
        server_repo.OciArtifactRepository(f"oci://{BUCKET}@{realm.NAMESPACE}/other/")
    assert info.value.get_http_status_code() == 400 and "is outside this server's artifact store" in info.value.message
    assert clean_oci_emulator.requests_for("object_storage") == []


def test_a_directory_is_refused_after_one_listing_in_the_server(server_repo, clean_oci_emulator, tmp_path):
    repo = server_repo.OciArtifactRepository(f"oci://{BUCKET}@{realm.NAMESPACE}/runs/")
    for i in range(5):
        clean_oci_emulator.state.put_object(BUCKET, f"runs/model/part-{i}", b"x" * 1000)
    seen = len(clean_oci_emulator.requests_for("object_storage"))
    with pytest.raises(MlflowException, match="is a directory"):
        repo.download_artifacts("model", str(tmp_path))
    calls = clean_oci_emulator.requests_for("object_storage")[seen:]
    assert [c["method"] for c in calls] == ["GET"] and "/o" in calls[0]["path"] and not os.listdir(tmp_path)
    clean_oci_emulator.state.put_object(BUCKET, "runs/file.txt", b"one file")
    assert open(repo.download_artifacts("file.txt", str(tmp_path)), "rb").read() == b"one file"


def test_a_client_process_downloads_directories(oci_emulator_env, clean_oci_emulator, monkeypatch, tmp_path):
    import mlflow_oci_artifacts.repository as module
    module._SHARED.clear()
    monkeypatch.setenv("OCIFS_IAM_TYPE", "api_key")
    clean_oci_emulator.state.add_bucket(BUCKET)
    clean_oci_emulator.state.put_object(BUCKET, "runs/model/a", b"a")
    repo = module.OciArtifactRepository(f"oci://{BUCKET}@{realm.NAMESPACE}/runs/")
    assert os.listdir(repo.download_artifacts("model", str(tmp_path))) == ["a"]
    module._SHARED.clear()


# ---------------------------------------------------------------- the app's request checks (pure parts)

from mlflow_boundary import app  # noqa: E402 - after the policy tests it builds on


@pytest.mark.parametrize("path,method,field", [
    ("/api/2.0/mlflow/experiments/create", "POST", "artifact_location"),
    ("/ajax-api/2.0/mlflow/experiments/create", "POST", "artifact_location"),
    ("/prefix/api/2.0/mlflow/model-versions/create", "POST", "source"),
    ("/api/2.0/mlflow/experiments/create", "GET", None),
    ("/api/2.0/mlflow/runs/create", "POST", None),
    ("/ajax-api/2.0/mlflow/upload-artifact", "POST", None),
])
def test_the_requests_that_store_a_location(path, method, field):
    assert app.location_field(path, method) == field


def test_location_refusal_names_the_field_and_leaves_references_to_mlflow():
    inside = roots()
    assert app.location_refusal("source", {"source": "oci://mlflow-art@axaxns/elsewhere/"}, inside).startswith(
        "source: artifact location 'oci://mlflow-art@axaxns/elsewhere/' is outside")
    for body in ({"source": "runs:/abc/model"}, {"source": "dummy-source"}, {"source": ""}, {}, None, ["x"],
                 {"source": DEST + "1/x"}):
        assert app.location_refusal("source", body, inside) is None, body
    assert app.location_refusal("artifact_location", {"artifact_location": "/srv"}, None) is None  # boundary off


def test_sql_is_cut_from_error_messages():
    message = ("(sqlite3.IntegrityError) FOREIGN KEY constraint failed\n[SQL: INSERT INTO runs (run_uuid) "
               "VALUES (?)]\n[parameters: ('abc', 'secret name')]\n(Background on this error at: https://sqlalche.me/e/gkpj)")
    assert app.without_sql(message) == ("(sqlite3.IntegrityError) FOREIGN KEY constraint failed "
                                        "(the database's own details are in the server log)")
    assert app.without_sql("Run with id=zzz not found") is None


def test_the_draining_health_answer_of_uvicorn(tmp_path):
    marker, calls, sent = tmp_path / "draining", [], []

    async def inner(scope, receive, send):
        calls.append(scope["path"])

    async def send(message):
        sent.append(message)

    draining = app.draining_asgi(inner, str(marker), "/mlflow/health")
    asyncio.run(draining({"type": "http", "path": "/mlflow/health"}, None, send))
    assert calls == ["/mlflow/health"] and sent == []           # not draining: the server answers
    marker.touch()
    asyncio.run(draining({"type": "http", "path": "/mlflow/health"}, None, send))
    asyncio.run(draining({"type": "http", "path": "/api/2.0/mlflow/experiments/search"}, None, send))
    asyncio.run(draining({"type": "lifespan", "path": "/mlflow/health"}, None, send))
    assert sent[0]["status"] == 503 and sent[1]["body"] == b"draining\n"
    assert calls == ["/mlflow/health", "/api/2.0/mlflow/experiments/search", "/mlflow/health"]
