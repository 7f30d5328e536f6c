"""Object Storage through the unmodified SDK (`ObjectStorageClient`, `UploadManager`): buckets,
objects, listings, ranges, multipart uploads, refusals, every signing principal, and the request
log naming who signed each call."""

from __future__ import annotations

import base64
import hashlib
import os

import oci
import pytest
import requests

from . import realm

NO_RETRY = oci.retry.NoneRetryStrategy()
NS = realm.NAMESPACE
MIB = 1024 * 1024


def storage_client(signer=None) -> oci.object_storage.ObjectStorageClient:
    if signer is None:
        return oci.object_storage.ObjectStorageClient(oci.config.from_file(), retry_strategy=NO_RETRY)
    return oci.object_storage.ObjectStorageClient({"region": realm.REGION}, signer=signer, retry_strategy=NO_RETRY)


def refusal(call, *args, **kwargs) -> oci.exceptions.ServiceError:
    with pytest.raises(oci.exceptions.ServiceError) as failure:
        call(*args, **kwargs)
    return failure.value


def md5_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 - OCI's checksum


@pytest.fixture
def emu(oci_emulator_env, clean_oci_emulator):
    return clean_oci_emulator


@pytest.fixture
def client(emu) -> oci.object_storage.ObjectStorageClient:
    return storage_client()


@pytest.fixture
def bucket(emu) -> str:
    emu.state.add_bucket("artifacts")
    return "artifacts"


# -- buckets ------------------------------------------------------------------------------------------
def test_bucket_lifecycle(emu, client):
    details = oci.object_storage.models.CreateBucketDetails(name="mlflow", compartment_id=realm.COMPARTMENT,
                                                            metadata={"team": "ml"})
    created = client.create_bucket(NS, details)

    assert (created.data.name, created.data.namespace, created.data.compartment_id, created.data.created_by) == (
        "mlflow", NS, realm.COMPARTMENT, realm.USER)
    assert created.data.metadata == {"team": "ml"} and created.headers["etag"] == created.data.etag
    again = refusal(client.create_bucket, NS, details)
    assert (again.status, again.code) == (409, "BucketAlreadyExists")

    fetched = client.get_bucket(NS, "mlflow", fields=["approximateCount", "approximateSize"]).data
    assert (fetched.id, fetched.approximate_count, fetched.approximate_size) == (created.data.id, 0, 0)
    assert client.head_bucket(NS, "mlflow").status == 200
    assert [b.name for b in client.list_buckets(NS, realm.COMPARTMENT).data] == ["mlflow"]
    assert client.list_buckets(NS, "ocid1.compartment.octest..other").data == []

    client.put_object(NS, "mlflow", "x", b"x")
    not_empty = refusal(client.delete_bucket, NS, "mlflow")
    assert (not_empty.status, not_empty.code) == (409, "BucketNotEmpty")
    client.delete_object(NS, "mlflow", "x")
    assert client.delete_bucket(NS, "mlflow").status == 204
    assert emu.state.bucket("mlflow") is None
    missing = refusal(client.get_bucket, NS, "mlflow")
    assert (missing.status, missing.code) == (404, "BucketNotFound")
    assert refusal(client.head_bucket, NS, "mlflow").status == 404


def test_list_buckets_pages(emu, client):
    for name in ("b1", "b2", "b3"):
        emu.state.add_bucket(name)

    first = client.list_buckets(NS, realm.COMPARTMENT, limit=2)
    second = client.list_buckets(NS, realm.COMPARTMENT, limit=2, page=first.next_page)

    assert [b.name for b in first.data] + [b.name for b in second.data] == ["b1", "b2", "b3"]
    assert second.next_page is None
    everything = oci.pagination.list_call_get_all_results(client.list_buckets, NS, realm.COMPARTMENT, limit=1)
    assert len(everything.data) == 3


def test_a_wrong_namespace_is_not_found(emu, client, bucket):
    assert (refusal(client.get_bucket, "otherns", bucket).code, refusal(client.list_buckets, "otherns",
                                                                        realm.COMPARTMENT).code) == (
        "BucketNotFound", "NamespaceNotFound")
    assert refusal(client.get_object, "otherns", bucket, "x").status == 404


# -- objects ------------------------------------------------------------------------------------------
def test_put_get_head_delete(emu, client, bucket):
    body = os.urandom(3000)

    put = client.put_object(NS, bucket, "runs/1/model.pkl", body, content_type="application/x-pickle",
                            opc_meta={"owner": "ml"})

    assert put.headers["opc-content-md5"] == md5_base64(body)
    assert emu.state.object_bytes(bucket, "runs/1/model.pkl") == body
    got = client.get_object(NS, bucket, "runs/1/model.pkl")
    assert got.data.content == body
    assert (got.headers["etag"], got.headers["content-type"], got.headers["opc-meta-owner"]) == (
        put.headers["etag"], "application/x-pickle", "ml")
    head = client.head_object(NS, bucket, "runs/1/model.pkl").headers
    assert (head["content-length"], head["etag"], head["opc-content-md5"], head["content-type"]) == (
        "3000", put.headers["etag"], md5_base64(body), "application/x-pickle")
    assert head["last-modified"].endswith("GMT")

    assert client.delete_object(NS, bucket, "runs/1/model.pkl").status == 204
    for call in (client.get_object, client.delete_object):
        missing = refusal(call, NS, bucket, "runs/1/model.pkl")
        assert (missing.status, missing.code) == (404, "ObjectNotFound")
    assert refusal(client.head_object, NS, bucket, "runs/1/model.pkl").status == 404
    assert emu.state.objects(bucket) == {}


def test_overwrite_changes_the_etag_and_conditions_hold(client, bucket):
    first = client.put_object(NS, bucket, "a", b"one").headers["etag"]
    second = client.put_object(NS, bucket, "a", b"two").headers["etag"]

    assert first != second
    assert refusal(client.put_object, NS, bucket, "a", b"3", if_none_match="*").status == 412
    assert refusal(client.put_object, NS, bucket, "a", b"3", if_match=first).code == "IfMatchFailed"
    assert refusal(client.get_object, NS, bucket, "a", if_none_match=second).status == 304  # the SDK raises on 304


def test_content_md5_is_checked(emu, client, bucket):
    wrong = refusal(client.put_object, NS, bucket, "x", b"body", content_md5=md5_base64(b"other"))

    assert (wrong.status, wrong.code) == (400, "UnmatchedContentMD5")
    assert emu.state.objects(bucket) == {}
    assert client.put_object(NS, bucket, "x", b"body", content_md5=md5_base64(b"body")).status == 200


@pytest.mark.parametrize(("header", "status", "expected", "content_range"), [
    ("bytes=2-5", 206, b"2345", "bytes 2-5/10"),
    ("bytes=7-", 206, b"789", "bytes 7-9/10"),
    ("bytes=-3", 206, b"789", "bytes 7-9/10"),
    ("bytes=8-100", 206, b"89", "bytes 8-9/10"),
])
def test_ranged_gets(client, bucket, header, status, expected, content_range):
    client.put_object(NS, bucket, "digits", b"0123456789")

    got = client.get_object(NS, bucket, "digits", range=header)

    assert (got.status, got.data.content, got.headers["content-range"]) == (status, expected, content_range)
    assert got.headers["content-length"] == str(len(expected))


def test_unsatisfiable_range(client, bucket):
    client.put_object(NS, bucket, "digits", b"0123456789")

    refused = refusal(client.get_object, NS, bucket, "digits", range="bytes=10-")

    assert (refused.status, refused.code) == (416, "InvalidRange")


def test_list_with_prefix_delimiter_fields_and_pages(emu, client, bucket):
    for name in ("runs/1/a", "runs/1/b", "runs/2/c", "runs/top", "other"):
        emu.state.put_object(bucket, name, name)

    folded = client.list_objects(NS, bucket, prefix="runs/", delimiter="/", fields="name,size,md5,timeCreated").data
    assert [o.name for o in folded.objects] == ["runs/top"] and folded.prefixes == ["runs/1/", "runs/2/"]
    assert (folded.objects[0].size, folded.objects[0].md5) == (8, md5_base64(b"runs/top"))
    assert folded.objects[0].time_created is not None and folded.objects[0].etag is None

    names, start = [], None
    while True:
        page = client.list_objects(NS, bucket, prefix="runs/", limit=2, start=start).data
        names += [o.name for o in page.objects]
        if not page.next_start_with:
            break
        start = page.next_start_with
    assert names == ["runs/1/a", "runs/1/b", "runs/2/c", "runs/top"]
    assert [o.name for o in client.list_objects(NS, bucket, start="runs/1/b", end="runs/2/c").data.objects] == [
        "runs/1/b"]
    assert emu.state.objects(bucket, "runs/1/") == {"runs/1/a": 8, "runs/1/b": 8}


def test_rename(emu, client, bucket):
    emu.state.put_object(bucket, "tmp/x", b"data")

    details = oci.object_storage.models.RenameObjectDetails(source_name="tmp/x", new_name="final/x")
    assert client.rename_object(NS, bucket, details).status == 200

    assert emu.state.objects(bucket) == {"final/x": 4}


# -- multipart ----------------------------------------------------------------------------------------
def test_upload_manager_multipart_round_trip(emu, client, bucket, tmp_path):
    data = os.urandom(5 * MIB + 123)
    source = tmp_path / "model.bin"
    source.write_bytes(data)
    manager = oci.object_storage.UploadManager(client, allow_parallel_uploads=True, parallel_process_count=3)

    manager.upload_file(NS, bucket, "models/model.bin", str(source), part_size=MIB, content_type="application/x-bin")
    with source.open("rb") as stream:
        manager.upload_stream(NS, bucket, "models/streamed.bin", stream, part_size=MIB)

    assert emu.state.objects(bucket, "models/") == {"models/model.bin": len(data), "models/streamed.bin": len(data)}
    for name in ("models/model.bin", "models/streamed.bin"):
        assert client.get_object(NS, bucket, name).data.content == data
    head = client.head_object(NS, bucket, "models/model.bin").headers
    assert head["opc-multipart-md5"].endswith("-6") and head["content-type"] == "application/x-bin"
    assert emu.state.uploads == {}
    assert {e["path"].split("/u/")[0] for e in emu.requests if e["method"] == "PUT"} == {f"/n/{NS}/b/{bucket}"}


def test_raw_multipart_api_and_abort(emu, client, bucket):
    details = oci.object_storage.models.CreateMultipartUploadDetails(object="big", content_type="text/plain")
    upload = client.create_multipart_upload(NS, bucket, details).data
    parts = [client.upload_part(NS, bucket, "big", upload.upload_id, n, body, content_md5=md5_base64(body))
             for n, body in ((1, b"hello "), (2, b"world"), (3, b"unused"))]

    listed = client.list_multipart_upload_parts(NS, bucket, "big", upload.upload_id).data
    assert [(p.part_number, p.size, p.etag) for p in listed] == [
        (1, 6, parts[0].headers["etag"]), (2, 5, parts[1].headers["etag"]), (3, 6, parts[2].headers["etag"])]
    assert [u.upload_id for u in client.list_multipart_uploads(NS, bucket).data] == [upload.upload_id]
    commit = oci.object_storage.models.CommitMultipartUploadDetails(parts_to_commit=[
        oci.object_storage.models.CommitMultipartUploadPartDetails(part_num=n, etag=p.headers["etag"])
        for n, p in ((1, parts[0]), (2, parts[1]))])
    committed = client.commit_multipart_upload(NS, bucket, "big", upload.upload_id, commit)

    part_digests = b"".join(hashlib.md5(b).digest() for b in (b"hello ", b"world"))  # noqa: S324
    digests = hashlib.md5(part_digests).digest()  # noqa: S324 - OCI's multipart checksum
    assert committed.headers["opc-multipart-md5"] == base64.b64encode(digests).decode() + "-2"
    assert emu.state.object_bytes(bucket, "big") == b"hello world"
    assert refusal(client.commit_multipart_upload, NS, bucket, "big", upload.upload_id, commit).code == "UploadNotFound"

    second = client.create_multipart_upload(NS, bucket, details).data
    client.upload_part(NS, bucket, "big", second.upload_id, 1, b"discarded")
    assert client.abort_multipart_upload(NS, bucket, "big", second.upload_id).status == 204
    assert emu.state.uploads == {} and emu.state.object_bytes(bucket, "big") == b"hello world"


# -- refusals, principals and the log -------------------------------------------------------------------
@pytest.mark.parametrize("subject", ["api_key", realm.USER, "artifacts", realm.COMPARTMENT])
def test_a_denial_looks_like_a_missing_bucket(emu, client, bucket, subject):
    emu.state.put_object(bucket, "x", b"x")
    emu.state.deny(subject, service="object_storage")

    for call, args in ((client.get_object, ("x",)), (client.put_object, ("y", b"y")), (client.get_bucket, ())):
        refused = refusal(call, NS, bucket, *args)
        assert (refused.status, refused.code) == (404, "BucketNotFound")
    assert client.get_namespace().data == NS, "GetNamespace needs no policy"
    assert emu.state.objects(bucket) == {"x": 1}


def test_denials_can_be_401_or_403_and_scoped_to_a_service(emu, client, bucket):
    emu.state.deny("api_key", status=403, service="vault")
    assert client.get_bucket(NS, bucket).status == 200

    emu.state.deny(bucket, status=403)
    assert (refusal(client.get_bucket, NS, bucket).status, refusal(client.get_bucket, NS, bucket).code) == (
        403, "NotAuthorized")
    emu.state.deny("api_key", status=401, service="object_storage")
    assert refusal(client.list_buckets, NS, realm.COMPARTMENT).status == 401
    with pytest.raises(ValueError, match="service"):
        emu.state.deny("api_key", service="compute")


def test_instance_principal_uploads_and_the_log_names_it(emu, bucket):
    signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
    client = storage_client(signer)

    client.put_object(NS, bucket, "ip.txt", b"from the instance")

    assert client.get_object(NS, bucket, "ip.txt").data.content == b"from the instance"
    calls = emu.requests_for("object_storage")
    assert [(e["method"], e["path"], e["status"]) for e in calls] == [
        ("PUT", f"/n/{NS}/b/{bucket}/o/ip.txt", 200), ("GET", f"/n/{NS}/b/{bucket}/o/ip.txt", 200)]
    assert {e["principal"]["type"] for e in calls} == {"instance_principal"}
    assert {e["principal"]["id"] for e in calls} == {realm.INSTANCE}


def test_resource_principal_lists_and_the_log_names_it(emu, bucket, monkeypatch):
    for name, value in emu.resource_principal_env.items():
        monkeypatch.setenv(name, value)
    emu.state.put_object(bucket, "rp.txt", "x")
    client = storage_client(oci.auth.signers.get_resource_principals_signer())

    assert [o.name for o in client.list_objects(NS, bucket).data.objects] == ["rp.txt"]

    [entry] = emu.requests_for("object_storage")
    assert entry["principal"] == {"type": "resource_principal", "id": realm.RESOURCE, "credential": "security_token"}
    assert entry["service"] == "object_storage" and entry["path"] == f"/n/{NS}/b/{bucket}/o"


def test_unsigned_calls_are_refused(emu, bucket):
    emu.state.put_object(bucket, "x", b"x")

    response = requests.get(f"{emu.url}/n/{NS}/b/{bucket}/o/x", proxies={"http": None}, timeout=10)

    assert (response.status_code, response.json()["code"]) == (401, "NotAuthenticated")


def test_seed_a_bucket_over_http(emu, client):
    response = requests.post(f"{emu.url}/_emulator/seed/bucket", proxies={"http": None}, timeout=10, json={
        "name": "seeded", "objects": {"a/b.txt": "text"},
        "objects_base64": {"bin": base64.b64encode(b"\0\1").decode()}})

    assert response.json() | {"id": None} == {"name": "seeded", "namespace": NS, "id": None,
                                              "compartment_id": realm.COMPARTMENT,
                                              "objects": {"a/b.txt": 4, "bin": 2}}
    assert client.get_object(NS, "seeded", "a/b.txt").data.content == b"text"
    log = requests.get(f"{emu.url}/_emulator/requests", params={"service": "object_storage"},
                       proxies={"http": None}, timeout=10).json()
    assert [e["principal"]["type"] for e in log] == ["api_key"]
