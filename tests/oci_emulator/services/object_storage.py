"""Object Storage, API 20160918, as `oci.object_storage.ObjectStorageClient`, its `UploadManager`
and ocifs use it. `{ns}` must be the tenancy's namespace (realm.NAMESPACE).

    GET    /n/                                   GetNamespace (any authenticated principal; no policy)
    GET    /n/{ns}                               GetNamespaceMetadata           OBJECTSTORAGE_NAMESPACE_READ (tenancy)
    GET    /n/{ns}/b/?compartmentId=             ListBuckets (limit, page -> opc-next-page)       BUCKET_INSPECT
    POST   /n/{ns}/b/                            CreateBucket (409 BucketAlreadyExists)           BUCKET_CREATE
    GET    /n/{ns}/b/{bucket}                    GetBucket (fields=approximateCount,approximateSize)  BUCKET_READ
    HEAD   /n/{ns}/b/{bucket}                    HeadBucket                                       BUCKET_INSPECT
    DELETE /n/{ns}/b/{bucket}                    DeleteBucket (409 BucketNotEmpty with objects or uploads)  BUCKET_DELETE
    GET    /n/{ns}/b/{bucket}/o/                 ListObjects (prefix, delimiter -> prefixes, start, end,
                                                 startAfter, limit, fields -> nextStartWith)      OBJECT_INSPECT
    PUT    /n/{ns}/b/{bucket}/o/{object}         PutObject (Content-MD5 checked, if-match / if-none-match: *)
                                                 OBJECT_CREATE, or OBJECT_OVERWRITE for an object that is there
    GET    /n/{ns}/b/{bucket}/o/{object}         GetObject (Range: bytes=a-b | a- | -n -> 206; 416)  OBJECT_READ
    HEAD   /n/{ns}/b/{bucket}/o/{object}         HeadObject (content-length, etag, last-modified, md5s, type)  OBJECT_READ
    DELETE /n/{ns}/b/{bucket}/o/{object}         DeleteObject (404 ObjectNotFound when missing)   OBJECT_DELETE
    POST   /n/{ns}/b/{bucket}/actions/renameObject   RenameObject                     OBJECT_CREATE, OBJECT_DELETE
    POST   /n/{ns}/b/{bucket}/u/                 CreateMultipartUpload                            OBJECT_CREATE
    GET    /n/{ns}/b/{bucket}/u/                 ListMultipartUploads                             OBJECT_READ
    PUT    /n/{ns}/b/{bucket}/u/{object}?uploadId=&uploadPartNum=   UploadPart                    OBJECT_CREATE
    POST   /n/{ns}/b/{bucket}/u/{object}?uploadId=                  CommitMultipartUpload (partsToCommit)  OBJECT_CREATE
    DELETE /n/{ns}/b/{bucket}/u/{object}?uploadId=                  AbortMultipartUpload          OBJECT_DELETE
    GET    /n/{ns}/b/{bucket}/u/{object}?uploadId=                  ListMultipartUploadParts      OBJECT_INSPECT

Errors use OCI's codes: 404 NamespaceNotFound / BucketNotFound / ObjectNotFound / UploadNotFound,
409 BucketAlreadyExists / BucketNotEmpty, 400 UnmatchedContentMD5 (a Content-MD5 that does not
match the body), 412 IfMatchFailed / IfNoneMatchFailed, 416 InvalidRange. `State.deny` refuses
(service "object_storage"): by principal type or OCID, bucket name or the bucket's compartment; a
denied call gets the same 404 a missing bucket does, or 401 / 403 when asked.

While policies are enforced (State.enforce_policies), instance and resource principals need the
permission each operation names above (iam_language.PERMISSIONS says which verb on which resource
type grants it) in the bucket's compartment, with target.bucket.name for conditions;
refused, they get BucketNotFound (NotAuthorizedOrNotFound for ListBuckets and CreateBucket), as from OCI.
Storage model and checksums: buckets.py.

Seeds: `bucket` ({name, compartment_id?, metadata?, objects?: {name: text}, objects_base64?: {name: base64}}).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
import uuid
from typing import TYPE_CHECKING

from .. import realm
from ..buckets import Bucket, MultipartUpload, StoredObject, UploadPart, md5_base64
from ..iam import authorize
from ..routing import ApiError, Request, Response, Route, not_authenticated, not_found
from ..signature import signed
from ..vault_secrets import timestamp

if TYPE_CHECKING:
    import datetime as dt

    from ..state import State

SERVICE = "object_storage"  # as State.deny(service=...) and the request log name it
HOSTS = (realm.service_host("objectstorage"), f"objectstorage.{realm.REGION}.oraclecloud.com", *realm.LOOPBACK_HOSTS)
MAX_PAGE = 1000
MAX_PART_NUMBER = 10000
BUCKET_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
OBJECT_FIELDS = ("name", "size", "etag", "md5", "timeCreated", "timeModified", "storageTier", "archivalState")
CONTENT_HEADERS = ("content-encoding", "content-language", "content-disposition", "cache-control")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


# -- lookups, each after the policy check, so a denial looks exactly like a missing resource ------------
def _refuse(status: int, missing: ApiError) -> ApiError:
    if status == 401:
        return not_authenticated("The required information to complete authentication was not provided or was "
                                 "incorrect (denied by the emulator).")
    if status == 403:
        return ApiError(403, "NotAuthorized",
                        "You are not authorized to perform this operation (denied by the emulator).")
    return missing


def _bucket_not_found(namespace: str, name: str) -> ApiError:
    return ApiError(404, "BucketNotFound", f"Either the bucket named '{name}' does not exist in the namespace "
                                           f"'{namespace}' or you are not authorized to access it")


def _namespace(request: Request, state: State, compartment_id: str | None = None,
               permission: str | None = None, bucket_name: str | None = None) -> str:
    """The namespace in the path, for calls on the namespace itself (list and create buckets), after the
    `deny` and policy checks (`permission` in `compartment_id`; the tenancy when None)."""
    namespace = request.params["ns"]
    status = state.denial(request.principal, compartment_id, service=SERVICE)
    if status is not None:
        raise _refuse(status, not_found())
    if namespace != state.namespace:
        raise ApiError(404, "NamespaceNotFound", f"You do not have authorization to perform this request, or "
                                                 f"the namespace '{namespace}' could not be found.")
    if permission and not authorize(request, state, permission, compartment_id, bucket_name=bucket_name):
        raise not_found()
    return namespace


def _bucket(request: Request, state: State, *permissions: str) -> Bucket:
    """The bucket in the path, after the `deny` and policy checks (each of `permissions` in the bucket's
    compartment); a wrong namespace, a missing bucket and a refusal all answer BucketNotFound."""
    namespace, name = request.params["ns"], request.params["bucket"]
    bucket = state.bucket(name) if namespace == state.namespace else None
    status = state.denial(request.principal, name, bucket.compartment_id if bucket else None, service=SERVICE)
    if status is not None or bucket is None:
        raise _refuse(status or 404, _bucket_not_found(namespace, name))
    _authorize(request, state, bucket, *permissions)
    return bucket


def _authorize(request: Request, state: State, bucket: Bucket, *permissions: str) -> None:
    for permission in permissions:
        if not authorize(request, state, permission, bucket.compartment_id, bucket_name=bucket.name):
            raise _bucket_not_found(bucket.namespace, bucket.name)


def _object(bucket: Bucket, name: str) -> StoredObject:
    stored = bucket.objects.get(name)
    if stored is None:
        raise ApiError(404, "ObjectNotFound", f"The object '{name}' was not found in the bucket '{bucket.name}'")
    return stored


def _upload(request: Request, bucket: Bucket, state: State) -> MultipartUpload:
    upload_id = request.arg("uploadId")
    if not upload_id:
        raise ApiError(400, "MissingUploadId", "uploadId is required.")
    upload = state.uploads.get(upload_id)
    if upload is None or upload.bucket != bucket.name or upload.object != request.params["object"]:
        raise ApiError(404, "UploadNotFound", f"No multipart upload {upload_id} for object "
                                              f"'{request.params['object']}' in bucket '{bucket.name}'.")
    return upload


def _int_arg(request: Request, name: str, default: int, maximum: int, code: str = "InvalidParameter") -> int:
    value = request.arg(name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ApiError(400, code, f"{name} must be an integer from 1 to {maximum}, not {value!r}.")
    return int(value)


def _http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


# -- namespace and buckets ----------------------------------------------------------------------------
def get_namespace(request: Request, state: State) -> Response:
    """The tenancy's namespace, as a JSON string (that is what OCI returns)."""
    return Response.json(state.namespace)


def get_namespace_metadata(request: Request, state: State) -> Response:
    namespace = _namespace(request, state, realm.TENANCY, "OBJECTSTORAGE_NAMESPACE_READ")
    return Response.json({"namespace": namespace, "defaultS3CompartmentId": realm.COMPARTMENT,
                          "defaultSwiftCompartmentId": realm.COMPARTMENT})


def _bucket_summary(bucket: Bucket) -> dict:
    return {"namespace": bucket.namespace, "name": bucket.name, "compartmentId": bucket.compartment_id,
            "createdBy": bucket.created_by, "timeCreated": timestamp(bucket.time_created), "etag": bucket.etag,
            "freeformTags": {}, "definedTags": {}}


def _bucket_json(bucket: Bucket, fields: set[str]) -> dict:
    body = _bucket_summary(bucket) | {
        "metadata": bucket.metadata, "publicAccessType": "NoPublicAccess", "storageTier": "Standard",
        "objectEventsEnabled": False, "versioning": "Disabled", "replicationEnabled": False, "isReadOnly": False,
        "autoTiering": "Disabled", "kmsKeyId": None, "id": bucket.id, "approximateCount": None,
        "approximateSize": None}
    if "approximateCount" in fields:
        body["approximateCount"] = len(bucket.objects)
    if "approximateSize" in fields:
        body["approximateSize"] = sum(o.size for o in bucket.objects.values())
    return body


def _bucket_response(bucket: Bucket, request: Request) -> Response:
    fields = set(",".join(request.query.get("fields", [])).split(","))
    headers = {"etag": bucket.etag, "location": f"/n/{bucket.namespace}/b/{bucket.name}"}
    return Response.json(_bucket_json(bucket, fields), headers=headers)


def list_buckets(request: Request, state: State) -> Response:
    compartment_id = request.arg("compartmentId")
    if not compartment_id:
        raise ApiError(400, "MissingCompartmentId", "compartmentId is required.")
    _namespace(request, state, compartment_id, "BUCKET_INSPECT")
    limit = _int_arg(request, "limit", MAX_PAGE, MAX_PAGE, "InvalidLimit")
    page = request.arg("page") or ""
    with state.lock:
        names = sorted(n for n, b in state.buckets.items() if b.compartment_id == compartment_id and n >= page)
        summaries = [_bucket_summary(state.buckets[n]) for n in names[:limit]]
    headers = {"opc-next-page": names[limit]} if len(names) > limit else {}
    return Response.json(summaries, headers=headers)


def create_bucket(request: Request, state: State) -> Response:
    details = request.json()
    name, compartment_id = details.get("name"), details.get("compartmentId")
    if not compartment_id:
        raise ApiError(400, "MissingCompartmentId", "compartmentId is required.")
    _namespace(request, state, compartment_id)
    if not isinstance(name, str) or not BUCKET_NAME.fullmatch(name):
        raise ApiError(400, "InvalidBucketName", "Bucket names are 1 to 256 letters, digits, '-', '_' or '.'.")
    status = state.denial(request.principal, name, service=SERVICE)
    if status is not None:
        raise _refuse(status, not_found())
    if not authorize(request, state, "BUCKET_CREATE", compartment_id, bucket_name=name):
        raise not_found()
    with state.lock:
        if state.bucket(name) is not None:
            raise ApiError(409, "BucketAlreadyExists", f"Either the bucket '{name}' in namespace "
                                                       f"'{state.namespace}' already exists or you are not "
                                                       "authorized to create it")
        bucket = state.add_bucket(name, compartment_id=compartment_id, metadata=details.get("metadata"),
                                  created_by=request.principal.id)
    return _bucket_response(bucket, request)


def get_bucket(request: Request, state: State) -> Response:
    permission = "BUCKET_INSPECT" if request.method == "HEAD" else "BUCKET_READ"
    return _bucket_response(_bucket(request, state, permission), request)


def delete_bucket(request: Request, state: State) -> Response:
    with state.lock:
        bucket = _bucket(request, state, "BUCKET_DELETE")
        _check_if_match(request, bucket.etag)
        if bucket.objects or any(u.bucket == bucket.name for u in state.uploads.values()):
            raise ApiError(409, "BucketNotEmpty", f"Bucket named '{bucket.name}' is not empty. Delete all objects "
                                                  "and multipart uploads first.")
        del state.buckets[bucket.name]
    return Response(204)


# -- objects ------------------------------------------------------------------------------------------
def _check_if_match(request: Request, etag: str | None) -> None:
    """If-Match must name the current ETag; If-None-Match: * that nothing is there yet."""
    if_match, if_none_match = request.headers.get("if-match"), request.headers.get("if-none-match")
    if if_match and if_match != etag:
        raise ApiError(412, "IfMatchFailed", f"The If-Match header {if_match} does not match the current ETag.")
    if if_none_match == "*" and etag is not None:
        raise ApiError(412, "IfNoneMatchFailed", "If-None-Match is '*' but the object exists.")


def _upload_headers(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The opc-meta-* and content-* headers a write keeps with the object."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    metadata = {name: value for name, value in headers.items() if name.startswith("opc-meta-")}
    return metadata, {name: headers[name] for name in CONTENT_HEADERS if name in headers}


def _checked_body(request: Request) -> str:
    """The body's base64 MD5, after checking the Content-MD5 the client sent, if any."""
    digest = md5_base64(request.body)
    sent = request.headers.get("content-md5")
    if sent is not None:
        try:
            if len(base64.b64decode(sent, validate=True)) != 16:
                raise ValueError(sent)
        except (binascii.Error, ValueError):
            raise ApiError(400, "InvalidContentMD5", f"Content-MD5 {sent!r} is not a base64 MD5 digest.") from None
        if sent != digest:
            raise ApiError(400, "UnmatchedContentMD5", f"The computed MD5 of the request body ({digest}) does not "
                                                       f"match the Content-MD5 header ({sent}).")
    return digest


def _object_headers(stored: StoredObject) -> dict[str, str]:
    headers = {"etag": stored.etag, "last-modified": _http_date(stored.time_modified), "accept-ranges": "bytes",
               "version-id": stored.version_id, "storage-tier": "Standard",
               **stored.content_headers, **stored.metadata}
    if stored.multipart_md5:
        headers["opc-multipart-md5"] = stored.multipart_md5
    else:
        headers["opc-content-md5"] = stored.md5
    return headers


def put_object(request: Request, state: State) -> Response:
    bucket = _bucket(request, state)
    _authorize(request, state, bucket, "OBJECT_OVERWRITE" if request.params["object"] in bucket.objects
               else "OBJECT_CREATE")
    digest = _checked_body(request)
    metadata, content_headers = _upload_headers(request)
    stored = StoredObject(request.params["object"], request.body,
                          request.headers.get("content-type") or "application/octet-stream",
                          metadata, content_headers, md5=digest)
    with state.lock:
        previous = bucket.objects.get(stored.name)
        _check_if_match(request, previous.etag if previous else None)
        bucket.objects[stored.name] = stored
    return Response(200, headers={"etag": stored.etag, "opc-content-md5": digest, "version-id": stored.version_id,
                                  "last-modified": _http_date(stored.time_modified)})


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of `Range: bytes=...`, None for no (or an unparsable) range, as HTTP says;
    ApiError 416 when nothing of the object is in it."""
    found = _RANGE.fullmatch(header.strip()) if header else None
    if found is None or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if first == "":
        first, last = max(0, size - int(last)), size - 1 if int(last) > 0 else -1
    else:
        first, last = int(first), min(int(last), size - 1) if last else size - 1
    if first > last or first >= size:
        raise ApiError(416, "InvalidRange", f"The range {header} is not satisfiable for an object of {size} bytes.")
    return first, last


def get_object(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_READ")
    with state.lock:
        stored = _object(bucket, request.params["object"])
    headers = _object_headers(stored)
    if_match, if_none_match = request.headers.get("if-match"), request.headers.get("if-none-match")
    if if_match and if_match != stored.etag:
        raise ApiError(412, "IfMatchFailed", f"The If-Match header {if_match} does not match the current ETag.")
    if if_none_match in (stored.etag, "*"):
        return Response(304, headers=headers)
    if request.method == "HEAD":
        return Response(200, b"", stored.content_type, headers | {"Content-Length": str(stored.size)})
    try:
        span = _byte_range(request.headers.get("range"), stored.size)
    except ApiError as error:
        response = Response.error(error)
        response.headers["Content-Range"] = f"bytes */{stored.size}"
        return response
    if span is None:
        return Response(200, stored.data, stored.content_type, headers)
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{stored.size}"
    return Response(206, memoryview(stored.data)[first:last + 1], stored.content_type, headers)


def delete_object(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_DELETE")
    with state.lock:
        stored = _object(bucket, request.params["object"])
        _check_if_match(request, stored.etag)
        del bucket.objects[stored.name]
    return Response(204, headers={"last-modified": _http_date(stored.time_modified)})


def rename_object(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_CREATE", "OBJECT_DELETE")
    details = request.json()
    source, new = details.get("sourceName"), details.get("newName")
    if not source or not new:
        raise ApiError(400, "InvalidParameter", "sourceName and newName are required.")
    if source == new:
        raise ApiError(400, "SourceNameSameAsNewName", "sourceName and newName are the same.")
    with state.lock:
        stored = _object(bucket, source)
        if details.get("srcObjIfMatchETag") not in (None, stored.etag):
            raise ApiError(412, "IfMatchFailed", "srcObjIfMatchETag does not match the source object.")
        target = bucket.objects.get(new)
        if details.get("newObjIfMatchETag") not in (None, target.etag if target else None):
            raise ApiError(412, "IfMatchFailed", "newObjIfMatchETag does not match the object named newName.")
        if details.get("newObjIfNoneMatchETag") == "*" and target is not None:
            raise ApiError(412, "IfNoneMatchFailed", "An object named newName exists.")
        del bucket.objects[source]
        stored.name = new
        bucket.objects[new] = stored
    return Response(200, headers={"etag": stored.etag, "last-modified": _http_date(stored.time_modified),
                                  "version-id": stored.version_id})


def _listing_entries(request: Request, bucket: Bucket) -> list[tuple[str, str | StoredObject]]:
    """(name, object) and (first name, prefix) entries in name order: objects under `prefix` between
    `start` (inclusive) / `startAfter` and `end` (exclusive), names below a `delimiter` folded."""
    prefix, delimiter = request.arg("prefix") or "", request.arg("delimiter")
    start, start_after, end = request.arg("start"), request.arg("startAfter"), request.arg("end")
    entries: list[tuple[str, str | StoredObject]] = []
    folded: set[str] = set()
    for name in sorted(bucket.objects):
        if (not name.startswith(prefix) or (start and name < start) or (start_after and name <= start_after)
                or (end and name >= end)):
            continue
        cut = name.find(delimiter, len(prefix)) if delimiter else -1
        if cut < 0:
            entries.append((name, bucket.objects[name]))
        elif name[:cut + len(delimiter)] not in folded:
            folded.add(name[:cut + len(delimiter)])
            entries.append((name, name[:cut + len(delimiter)]))
    return entries


def _object_summary(stored: StoredObject, fields: set[str]) -> dict:
    every = {"name": stored.name, "size": stored.size, "etag": stored.etag, "md5": stored.md5,
             "timeCreated": timestamp(stored.time_created), "timeModified": timestamp(stored.time_modified),
             "storageTier": "Standard", "archivalState": None}
    return {key: value for key, value in every.items() if key == "name" or key in fields}


def list_objects(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_INSPECT")
    fields = {f.strip() for f in ",".join(request.query.get("fields", [])).split(",") if f.strip()}
    if fields - set(OBJECT_FIELDS):
        raise ApiError(400, "InvalidParameter", f"fields must be among {', '.join(OBJECT_FIELDS)}.")
    limit = _int_arg(request, "limit", MAX_PAGE, MAX_PAGE, "InvalidLimit")
    if request.arg("delimiter") not in (None, "/"):
        raise ApiError(400, "InvalidParameter", "The only supported delimiter is '/'.")
    with state.lock:
        entries = _listing_entries(request, bucket)
        page = entries[:limit]
        body = {"objects": [_object_summary(e, fields) for _, e in page if isinstance(e, StoredObject)],
                "prefixes": [e for _, e in page if isinstance(e, str)]}
    if len(entries) > limit:
        body["nextStartWith"] = entries[limit][0]
    return Response.json(body)


# -- multipart uploads --------------------------------------------------------------------------------
def _upload_json(upload: MultipartUpload) -> dict:
    return {"namespace": realm.NAMESPACE, "bucket": upload.bucket, "object": upload.object, "uploadId": upload.id,
            "timeCreated": timestamp(upload.time_created), "storageTier": "Standard"}


def create_multipart_upload(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_CREATE")
    details = request.json()
    if not details.get("object"):
        raise ApiError(400, "MissingObjectName", "object is required.")
    metadata = {(k if k.lower().startswith("opc-meta-") else f"opc-meta-{k}").lower(): v
                for k, v in (details.get("metadata") or {}).items()}
    content_headers = {header: details[key] for header, key in zip(
        CONTENT_HEADERS, ("contentEncoding", "contentLanguage", "contentDisposition", "cacheControl"), strict=True)
        if details.get(key)}
    upload = MultipartUpload(str(uuid.uuid4()), bucket.name, details["object"],
                             details.get("contentType") or "application/octet-stream", metadata, content_headers)
    with state.lock:
        state.uploads[upload.id] = upload
    location = f"/n/{bucket.namespace}/b/{bucket.name}/u/{upload.object}?uploadId={upload.id}"
    return Response.json(_upload_json(upload), headers={"location": location})


def upload_part(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_CREATE")
    number = _int_arg(request, "uploadPartNum", 0, MAX_PART_NUMBER, "InvalidUploadPartNumber")
    if not number:
        raise ApiError(400, "InvalidUploadPartNumber", "uploadPartNum is required.")
    part = UploadPart(number, request.body, _checked_body(request))
    with state.lock:
        _upload(request, bucket, state).parts[number] = part
    return Response(200, headers={"etag": part.etag, "opc-content-md5": part.md5})


def commit_multipart_upload(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_CREATE")
    details = request.json()
    try:
        wanted = {int(p["partNum"]): str(p["etag"]) for p in details.get("partsToCommit") or []}
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "InvalidParameter", "partsToCommit must be a list of {partNum, etag}.") from None
    if not wanted:
        raise ApiError(400, "InvalidParameter", "partsToCommit must name at least one part.")
    with state.lock:
        upload = _upload(request, bucket, state)
        try:
            stored = upload.assemble(wanted)
        except KeyError as missing:
            raise ApiError(400, "InvalidUploadPart",
                           f"Part {missing.args[0]} was not uploaded with that ETag.") from None
        bucket.objects[stored.name] = stored
        del state.uploads[upload.id]
    return Response(200, headers={"etag": stored.etag, "opc-multipart-md5": stored.multipart_md5 or "",
                                  "last-modified": _http_date(stored.time_modified)})


def abort_multipart_upload(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_DELETE")
    with state.lock:
        del state.uploads[_upload(request, bucket, state).id]
    return Response(204)


def list_multipart_uploads(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_READ")
    with state.lock:
        uploads = sorted((u for u in state.uploads.values() if u.bucket == bucket.name),
                         key=lambda u: (u.object, u.time_created))
        return Response.json([_upload_json(u) for u in uploads])


def list_multipart_upload_parts(request: Request, state: State) -> Response:
    bucket = _bucket(request, state, "OBJECT_INSPECT")
    with state.lock:
        parts = sorted(_upload(request, bucket, state).parts.values(), key=lambda p: p.number)
        return Response.json([{"partNumber": p.number, "etag": p.etag, "md5": p.md5, "size": len(p.data)}
                              for p in parts])


# -- seeds ----------------------------------------------------------------------------------------------
def _seed_objects(body: dict) -> dict[str, bytes]:
    objects: dict[str, bytes] = {}
    for key, decode in (("objects", str.encode), ("objects_base64", base64.b64decode)):
        given = body.get(key) or {}
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise ApiError(400, "InvalidParameter", f"{key} must map object names to strings")
        try:
            objects |= {name: decode(value) for name, value in given.items()}
        except (binascii.Error, ValueError):
            raise ApiError(400, "InvalidParameter", f"{key} has a value that is not base64") from None
    return objects


def seed_bucket(state: State, body: dict) -> dict:
    """{"name", "compartment_id"?, "metadata"?, "objects"?: {name: text}, "objects_base64"?: {name: base64}}
    -> {"name", "namespace", "id", "compartment_id", "objects": {name: size}}; an existing bucket is kept
    (its objects of the same names overwritten)."""
    name = body.get("name")
    if not isinstance(name, str) or not BUCKET_NAME.fullmatch(name):
        raise ApiError(400, "InvalidParameter", "name must be a bucket name")
    objects = _seed_objects(body)
    bucket = state.add_bucket(name, compartment_id=body.get("compartment_id", realm.COMPARTMENT),
                              metadata=body.get("metadata"))
    for object_name, content in objects.items():
        state.put_object(name, object_name, content)
    return {"name": bucket.name, "namespace": bucket.namespace, "id": bucket.id,
            "compartment_id": bucket.compartment_id, "objects": state.objects(name)}


_NS, _BUCKET, _OBJECT = r"/n/(?P<ns>[^/]+)", r"/b/(?P<bucket>[^/]+)", r"/(?P<object>.+)"


def _route(methods: str, path: str, handler) -> Route:
    return Route(methods, path, handler, signed, HOSTS)


ROUTES = [
    _route("GET", r"/n/?", get_namespace),
    _route("GET", rf"{_NS}/?", get_namespace_metadata),
    _route("GET", rf"{_NS}/b/?", list_buckets),
    _route("POST", rf"{_NS}/b/?", create_bucket),
    _route("GET|HEAD", rf"{_NS}{_BUCKET}/?", get_bucket),
    _route("DELETE", rf"{_NS}{_BUCKET}/?", delete_bucket),
    _route("GET", rf"{_NS}{_BUCKET}/o/?", list_objects),
    _route("PUT", rf"{_NS}{_BUCKET}/o{_OBJECT}", put_object),
    _route("GET|HEAD", rf"{_NS}{_BUCKET}/o{_OBJECT}", get_object),
    _route("DELETE", rf"{_NS}{_BUCKET}/o{_OBJECT}", delete_object),
    _route("POST", rf"{_NS}{_BUCKET}/actions/renameObject", rename_object),
    _route("POST", rf"{_NS}{_BUCKET}/u/?", create_multipart_upload),
    _route("GET", rf"{_NS}{_BUCKET}/u/?", list_multipart_uploads),
    _route("PUT", rf"{_NS}{_BUCKET}/u{_OBJECT}", upload_part),
    _route("POST", rf"{_NS}{_BUCKET}/u{_OBJECT}", commit_multipart_upload),
    _route("DELETE", rf"{_NS}{_BUCKET}/u{_OBJECT}", abort_multipart_upload),
    _route("GET", rf"{_NS}{_BUCKET}/u{_OBJECT}", list_multipart_upload_parts),
]
SEEDERS = {"bucket": seed_bucket}
