"""mlflow_oci_artifacts against the OCI emulator, in process, with the real SDK and MLflow.

Each identity signs real Object Storage calls; the bytes are read back from the emulated bucket.
The container-level behaviour (the entry point, the proxied server, temp space) is in
tests/e2e/test_oci_artifacts.py.
"""
import asyncio
import io
import os

import pytest
from mlflow.exceptions import MlflowException

from oci_emulator import realm

BUCKET = "mlflow-artifacts"
MIB = 1024 * 1024


@pytest.fixture
def repository_module():
    import mlflow_oci_artifacts.repository as module
    module._SHARED.clear()   # the per-process client is per identity here: each test makes its own
    yield module
    module._SHARED.clear()


@pytest.fixture
def make_repo(oci_emulator_env, clean_oci_emulator, repository_module, monkeypatch):
    """A repository on a fresh bucket; small parts so that multipart paths run on small data."""
    clean_oci_emulator.state.add_bucket(BUCKET)
    monkeypatch.setenv("MLFLOW_OCI_MULTIPART_THRESHOLD_MB", "1")
    monkeypatch.setenv("MLFLOW_OCI_PART_SIZE_MB", "1")
    monkeypatch.setenv("MLFLOW_OCI_UPLOAD_PARALLELISM", "3")

    def make(iam_type="api_key", prefix="runs/"):
        monkeypatch.setenv("OCIFS_IAM_TYPE", iam_type)
        if iam_type == "resource_principal":
            for name, value in clean_oci_emulator.resource_principal_env.items():
                monkeypatch.setenv(name, value)
        return repository_module.OciArtifactRepository(f"oci://{BUCKET}@{realm.NAMESPACE}/{prefix}")
    return make


def new_dir(path):
    path.mkdir()
    return str(path)


def payload(size, seed=1):
    return bytes((i * 31 + seed) % 251 for i in range(size))


def os_calls(emu, method=None):
    return [e for e in emu.requests_for("object_storage")
            if method is None or e["method"] == method]


@pytest.mark.parametrize("iam_type,principal_id", [("api_key", realm.USER),
                                                   ("instance_principal", realm.INSTANCE),
                                                   ("resource_principal", realm.RESOURCE)])
def test_each_identity_logs_lists_and_downloads(make_repo, clean_oci_emulator, tmp_path,
                                                iam_type, principal_id):
    repo = make_repo(iam_type)
    source = tmp_path / "model.txt"
    source.write_bytes(b"weights")
    repo.log_artifact(str(source), "model")
    assert [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts("model")] == \
        [("model/model.txt", False, 7)]
    out = repo.download_artifacts("model/model.txt", new_dir(tmp_path / "out"))
    assert open(out, "rb").read() == b"weights"
    assert clean_oci_emulator.state.objects(BUCKET) == {"runs/model/model.txt": 7}
    signers = {(e["principal"]["type"], e["principal"]["id"]) for e in os_calls(clean_oci_emulator)}
    assert signers == {(iam_type, principal_id)}


def test_tree_listing_and_download(make_repo, clean_oci_emulator, tmp_path):
    repo = make_repo()
    tree = tmp_path / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    files = {"a.txt": b"a", "sub/b.bin": payload(1000), "sub/deeper/c.json": b"{}"}
    for relative, data in files.items():
        (tree / relative).write_bytes(data)
    repo.log_artifacts(str(tree), "outputs")
    assert [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts()] == [("outputs", True, None)]
    assert [(f.path, f.is_dir, f.file_size) for f in repo.list_artifacts("outputs")] == \
        [("outputs/a.txt", False, 1), ("outputs/sub", True, None)]
    assert repo.list_artifacts("outputs/a.txt") == []
    got = repo.download_artifacts("outputs", new_dir(tmp_path / "dl"))
    for relative, data in files.items():
        assert open(os.path.join(got, relative), "rb").read() == data
    assert set(clean_oci_emulator.state.objects(BUCKET, "runs/outputs/")) == \
        {f"runs/outputs/{r}" for r in files}


def test_listing_follows_pages(make_repo, repository_module, monkeypatch, tmp_path):
    repo = make_repo()
    for i in range(5):
        (tmp_path / f"f{i}").write_bytes(b"x" * i)
        repo.log_artifact(str(tmp_path / f"f{i}"), "many")
    monkeypatch.setattr(repository_module, "LIST_LIMIT", 2)
    assert [(f.path, f.file_size) for f in repo.list_artifacts("many")] == \
        [(f"many/f{i}", i) for i in range(5)]


def test_large_file_goes_up_in_parallel_parts(make_repo, clean_oci_emulator, tmp_path):
    repo = make_repo()
    data = payload(int(3.5 * MIB))
    (tmp_path / "big.bin").write_bytes(data)
    repo.log_artifact(str(tmp_path / "big.bin"))
    emu = clean_oci_emulator
    parts = [e for e in os_calls(emu, "PUT") if "/u/" in e["path"]]
    assert len(parts) == 4, parts
    assert emu.state.object_bytes(BUCKET, "runs/big.bin") == data
    out = repo.download_artifacts("big.bin", new_dir(tmp_path / "out"))
    assert open(out, "rb").read() == data


def test_streams_are_uploaded_without_a_temp_file(make_repo, clean_oci_emulator):
    """What the proxied server calls: the request body goes to Object Storage part by part."""
    repo = make_repo()
    emu = clean_oci_emulator
    small, large = payload(1000), payload(int(2.5 * MIB), seed=7)
    repo.log_artifact_from_stream(io.BytesIO(small), "small.txt", "s")
    assert not [e for e in os_calls(emu) if "/u/" in e["path"]]   # one PUT, no multipart

    async def chunks():
        for start in range(0, len(large), 100_000):
            yield large[start:start + 100_000]
    asyncio.run(repo.log_artifact_from_async_stream(chunks(), "dir/ignored/large.bin", "s"))
    assert emu.state.object_bytes(BUCKET, "runs/s/small.txt") == small
    assert emu.state.object_bytes(BUCKET, "runs/s/large.bin") == large
    assert len([e for e in os_calls(emu, "PUT") if "/u/" in e["path"]]) == 3
    repo.log_artifact_from_stream(io.BytesIO(b""), "empty", "s")
    assert emu.state.object_bytes(BUCKET, "runs/s/empty") == b""


def test_failed_stream_aborts_the_multipart_upload(make_repo, clean_oci_emulator):
    repo = make_repo()

    class Broken(io.RawIOBase):
        sent = 0

        def read(self, size=-1):
            self.sent += 1
            if self.sent > 3:
                raise ConnectionResetError("client went away")
            return payload(MIB)
    with pytest.raises(ConnectionResetError):
        repo.log_artifact_from_stream(Broken(), "cut.bin")
    emu = clean_oci_emulator
    assert [e["status"] for e in os_calls(emu, "DELETE") if "/u/" in e["path"]] == [204]
    assert "runs/cut.bin" not in emu.state.objects(BUCKET)


def test_delete_file_and_directory_only(make_repo, clean_oci_emulator, tmp_path):
    repo = make_repo()
    for name in ("a", "ab"):
        (tmp_path / name).write_bytes(b"1")
        repo.log_artifact(str(tmp_path / name), "d")
        repo.log_artifact(str(tmp_path / name))
    repo.delete_artifacts("d/a")
    repo.delete_artifacts("a")
    assert list(clean_oci_emulator.state.objects(BUCKET)) == ["runs/ab", "runs/d/ab"]
    repo.delete_artifacts("d")
    assert list(clean_oci_emulator.state.objects(BUCKET)) == ["runs/ab"]


def test_missing_bucket_and_missing_artifact(oci_emulator_env, repository_module, monkeypatch,
                                             tmp_path):
    monkeypatch.setenv("OCIFS_IAM_TYPE", "api_key")
    repo = repository_module.OciArtifactRepository(f"oci://no-such-bucket@{realm.NAMESPACE}/p")
    (tmp_path / "f").write_bytes(b"1")
    with pytest.raises(MlflowException) as info:
        repo.log_artifact(str(tmp_path / "f"))
    assert info.value.get_http_status_code() == 404
    assert info.value.message.startswith(f"oci://no-such-bucket@{realm.NAMESPACE}/p/: bucket "
                                         "'no-such-bucket' not found in namespace")
    with pytest.raises(MlflowException) as info:
        repo.list_artifacts()
    assert "bucket 'no-such-bucket' not found" in info.value.message


def test_refused_credentials_and_bad_key_path(make_repo, clean_oci_emulator, tmp_path):
    clean_oci_emulator.state.deny("instance_principal", status=403, service="object_storage")
    repo = make_repo("instance_principal")
    with pytest.raises(MlflowException) as info:
        repo.list_artifacts()
    assert info.value.get_http_status_code() == 403
    assert "OCI refused the instance_principal credentials (403" in info.value.message


def test_api_key_with_a_host_key_path_names_the_destination(make_repo, oci_emulator_env,
                                                            repository_module, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".oci").mkdir(parents=True)
    config = open(os.path.join(oci_emulator_env["HOME"], ".oci", "config")).read()
    (home / ".oci" / "config").write_text(config.replace("~/.oci/", "/home/jdoe/.oci/"))
    monkeypatch.setenv("HOME", str(home))
    repo = make_repo()
    with pytest.raises(MlflowException) as info:
        repo.list_artifacts()
    assert info.value.get_http_status_code() == 501   # not retried by MLflow clients
    assert info.value.message.startswith("MLFLOW_ARTIFACTS_DESTINATION: the OCI config ")
    assert "host path that does not exist in the container; write key_file=~/.oci/" in info.value.message
