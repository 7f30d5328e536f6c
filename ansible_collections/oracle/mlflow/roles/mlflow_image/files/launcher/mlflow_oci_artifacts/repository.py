"""OciArtifactRepository: MLflow artifacts as objects named <prefix><artifact path> in a bucket.

What it does differently from oci-mlflow, and why:
- one ObjectStorageClient per process: the instance and resource principal signers refresh their own
  tokens, so a client (and signer) per operation would only add a token fetch to every call;
- proxied uploads stream: MLflow hands a StreamUploadMixin repository the request body, which goes
  to Object Storage part by part (multipart past one part), never to the server's temp space;
- files above MLFLOW_OCI_MULTIPART_THRESHOLD_MB go up in parallel parts (the SDK's UploadManager);
- downloads stream to the file MLflow asks for, after checking it has room: MLflow spools every
  proxied download in the server's TMPDIR, and a full disk should be a clear error, not a truncated
  file;
- retries are the SDK's default strategy (OCI_SDK_DEFAULT_RETRY_ENABLED=false turns them off).
"""

import asyncio
import contextlib
import errno
import os
import posixpath
import threading
import typing
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from mlflow.entities import FileInfo
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INVALID_PARAMETER_VALUE, NOT_IMPLEMENTED, PERMISSION_DENIED, RESOURCE_DOES_NOT_EXIST,
    TEMPORARILY_UNAVAILABLE,
)
from mlflow.store.artifact.artifact_repo import ArtifactRepository, StreamUploadMixin

from mlflow_boundary import policy
from mlflow_launcher.artifacts import bucket_refusal
from mlflow_launcher.config import IAM_TYPES, ConfigError, load_oci_transfer, parse_oci_uri
from mlflow_launcher.oci_identity import make_client, one_line

VARIABLE = "MLFLOW_ARTIFACTS_DESTINATION"   # what the identity errors name
CHUNK = 1024 * 1024                         # read/write unit of the streams
OCI_TIMEOUT = (10, 120)                     # connect, read seconds per request (a part is one)
LIST_LIMIT = 1000                           # names per listing page (OCI's maximum)
# Errors that retrying cannot fix. MLflow clients retry 500 and 503 for minutes, which would only
# hide the message: a server that cannot do this as configured answers 501.
MISCONFIGURED = NOT_IMPLEMENTED

_LOCK = threading.Lock()
_SHARED = {}


class _Oci(typing.NamedTuple):
    client: object          # oci.object_storage.ObjectStorageClient
    uploads: object         # oci.object_storage.UploadManager on that client
    iam_type: str


def _iam_type():
    iam_type = os.environ.get("OCIFS_IAM_TYPE") or os.environ.get("OCI_IAM_TYPE") or "api_key"
    if iam_type not in IAM_TYPES:
        raise MlflowException(f"OCIFS_IAM_TYPE: {iam_type!r}: use one of {', '.join(IAM_TYPES)}",
                              MISCONFIGURED)
    return iam_type


def _shared():
    """The process's client and upload manager (a forked worker makes its own)."""
    import oci  # noqa: PLC0415 - keep `import mlflow_oci_artifacts` cheap for entry point scans
    with _LOCK:
        if _SHARED.get("pid") != os.getpid():
            iam_type = _iam_type()
            try:
                client = make_client(oci.object_storage.ObjectStorageClient, iam_type,
                                     os.environ, VARIABLE, timeout=OCI_TIMEOUT)[0]
            except ConfigError as exc:
                raise MlflowException(f"{exc.variable}: {exc.message}", MISCONFIGURED) from None
            transfer = load_oci_transfer(os.environ)
            uploads = oci.object_storage.UploadManager(
                client, allow_parallel_uploads=True, parallel_process_count=transfer.parallelism)
            _SHARED.update(pid=os.getpid(), oci=_Oci(client, uploads, iam_type), iam_type=iam_type)
        return _SHARED["oci"]


class OciArtifactRepository(ArtifactRepository, StreamUploadMixin):
    """Artifacts under oci://bucket@namespace/prefix; artifact paths are '/'-separated."""

    def __init__(self, artifact_uri, tracking_uri=None, registry_uri=None):
        super().__init__(artifact_uri, tracking_uri, registry_uri)
        try:
            location = parse_oci_uri(artifact_uri, "artifact URI")
            self._transfer = load_oci_transfer(os.environ)
        except ConfigError as exc:
            raise MlflowException(f"{exc.variable}: {exc.message}", INVALID_PARAMETER_VALUE) from None
        # In the server, the boundary holds here too, whoever builds the repository (the app's
        # registry wrapper refuses first); a client process has no server roots and no boundary.
        if policy.in_server_process(os.environ):
            try:
                policy.check(artifact_uri, policy.allowed_roots(os.environ))
            except policy.Outside as exc:
                raise MlflowException(exc.message, INVALID_PARAMETER_VALUE) from None
        self._location = location
        self._bucket, self._namespace, self._root = (location.bucket, location.namespace,
                                                     location.prefix)

    # ------------------------------------------------------------ names and errors

    def _name(self, artifact_path):
        """The object name of an artifact path ('' = the root prefix itself)."""
        path = (artifact_path or "").strip("/")
        if any(part in (".", "..") for part in path.split("/")):
            raise MlflowException(f"invalid artifact path {artifact_path!r}", INVALID_PARAMETER_VALUE)
        return self._root + path

    def _where(self):
        return f"oci://{self._bucket}@{self._namespace}/{self._root}"

    @contextlib.contextmanager
    def _oci_errors(self, what):
        """OCI failures as one-line MlflowExceptions saying what to fix, with a fitting status."""
        import oci  # noqa: PLC0415
        try:
            yield
        except oci.exceptions.ServiceError as exc:
            iam_type = _SHARED.get("iam_type", "configured")
            if exc.status == 404 and "bucket" in str(exc.code).lower():
                raise MlflowException(bucket_refusal(self._where(), self._location, exc.code, iam_type),
                                      RESOURCE_DOES_NOT_EXIST) from None
            if exc.status == 404:
                raise MlflowException(f"{what}: not found in {self._where()} (OCI 404 {exc.code})",
                                      RESOURCE_DOES_NOT_EXIST) from None
            if exc.status in (401, 403):
                raise MlflowException(
                    f"{what}: OCI refused the {iam_type} credentials ({exc.status} {exc.code}); "
                    "check OCIFS_IAM_TYPE and the key/principal's policies", PERMISSION_DENIED) from None
            raise MlflowException(f"{what}: OCI answered {exc.status} {exc.code}: "
                                  f"{' '.join(str(exc.message).split())[:200]}") from None
        except (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout) as exc:
            raise MlflowException(f"{what}: Object Storage is unreachable from the server: "
                                  f"{one_line(exc)}", TEMPORARILY_UNAVAILABLE) from None

    # ------------------------------------------------------------ uploads

    def log_artifact(self, local_file, artifact_path=None):
        name = self._name(posixpath.join(artifact_path or "", os.path.basename(local_file)))
        self._upload_file(local_file, name)

    def _upload_file(self, local_file, name):
        shared = _shared()
        size = os.path.getsize(local_file)
        with self._oci_errors(f"upload of {name}"):
            if size > self._transfer.multipart_threshold:
                shared.uploads.upload_file(self._namespace, self._bucket, name, local_file,
                                           part_size=self._transfer.part_size)
            else:
                with open(local_file, "rb") as body:
                    shared.client.put_object(self._namespace, self._bucket, name, body,
                                             content_length=size)

    def log_artifacts(self, local_dir, artifact_path=None):
        jobs = []
        for directory, _dirs, files in os.walk(local_dir):
            relative = os.path.relpath(directory, local_dir)
            relative = "" if relative == "." else relative.replace(os.sep, "/")
            for filename in files:
                name = self._name(posixpath.join(artifact_path or "", relative, filename))
                jobs.append(self.thread_pool.submit(self._upload_file,
                                                    os.path.join(directory, filename), name))
        for job in jobs:
            job.result()

    def log_artifact_from_stream(self, stream, artifact_file_name, artifact_path=None):
        upload = self._stream_upload(artifact_file_name, artifact_path)
        try:
            while chunk := stream.read(CHUNK):
                upload.write(chunk)
            upload.finish()
        except BaseException:
            upload.abort()
            raise

    async def log_artifact_from_async_stream(self, chunks, artifact_file_name, artifact_path=None):
        upload = self._stream_upload(artifact_file_name, artifact_path)
        try:
            async for chunk in chunks:
                # Only a chunk that completes a part blocks (on the part upload): off the loop.
                if upload.completes_part(len(chunk)):
                    await asyncio.to_thread(upload.write, chunk)
                else:
                    upload.write(chunk)
            await asyncio.to_thread(upload.finish)
        except BaseException:
            await asyncio.to_thread(upload.abort)
            raise

    def stream_writer(self, artifact_file):
        """A writer for bytes produced here (the launcher's backups): write(), then finish() or abort()."""
        return self._stream_upload(posixpath.basename(artifact_file), posixpath.dirname(artifact_file))

    def _stream_upload(self, artifact_file_name, artifact_path):
        name = self._name(posixpath.join(artifact_path or "",
                                         posixpath.basename(artifact_file_name)))
        client = _shared().client
        return _StreamUpload(self, client, name)

    # ------------------------------------------------------------ listing and deleting

    def _pages(self, prefix, delimiter=None):
        """(objects, prefixes) of each page of a listing."""
        client = _shared().client
        start = None
        while True:
            with self._oci_errors(f"listing of {prefix or '/'}"):
                page = client.list_objects(self._namespace, self._bucket, prefix=prefix,
                                           delimiter=delimiter, start=start,
                                           limit=LIST_LIMIT, fields="name,size").data
            yield page.objects or [], page.prefixes or []
            start = page.next_start_with
            if not start:
                return

    def _directory(self, path):
        """The object name prefix of a directory path ('' = the root prefix itself)."""
        directory = self._name(path)
        return directory + "/" if directory and not directory.endswith("/") else directory

    def list_artifacts(self, path=None):
        directory = self._directory(path)
        infos = []
        for objects, prefixes in self._pages(directory, delimiter="/"):
            infos += [FileInfo(o.name[len(self._root):], False, o.size) for o in objects
                      if o.name != directory]   # a console-made "folder" object is no artifact
            infos += [FileInfo(p[len(self._root):].rstrip("/"), True, None) for p in prefixes]
        return sorted(infos, key=lambda info: info.path)

    def _holds_objects(self, path):
        """Whether `path` is a directory: one object under it answers (a listing of one)."""
        directory = self._directory(path)
        with self._oci_errors(f"listing of {directory or '/'}"):
            page = _shared().client.list_objects(self._namespace, self._bucket, prefix=directory, limit=1,
                                                 fields="name").data
        return bool(page.objects)

    def delete_artifacts(self, artifact_path=None):
        base = self._name(artifact_path)
        inside = base.rstrip("/") + "/" if base else ""
        names = [o.name for objects, _prefixes in self._pages(base) for o in objects
                 if o.name == base or o.name.startswith(inside)]
        client = _shared().client

        def delete(name):
            with self._oci_errors(f"deletion of {name}"):
                client.delete_object(self._namespace, self._bucket, name)
        for job in [self.thread_pool.submit(delete, name) for name in names]:
            job.result()

    # ------------------------------------------------------------ downloads

    def download_artifacts(self, artifact_path, dst_path=None):
        """As MLflow's, except that the server never fetches a whole prefix: it sends one file per
        request, so a directory asked of it (a model version's get-artifact with path=<dir>) is
        refused after one listing, not after downloading every object under it."""
        if policy.in_server_process(os.environ) and self._holds_objects(artifact_path):
            raise MlflowException(f"{artifact_path!r} is a directory of {self._where()}: the server sends "
                                  "files one at a time; list it and ask for each file", INVALID_PARAMETER_VALUE)
        return super().download_artifacts(artifact_path, dst_path)

    def _download_file(self, remote_file_path, local_path):
        client = _shared().client
        name = self._name(remote_file_path)
        with self._oci_errors(f"artifact {remote_file_path}"):
            response = client.get_object(self._namespace, self._bucket, name)
        raw = response.data.raw
        try:
            size = int(response.headers.get("content-length") or 0)
            _check_room(os.path.dirname(os.path.abspath(local_path)), size, remote_file_path)
            with self._oci_errors(f"artifact {remote_file_path}"), open(local_path, "wb") as out:
                for chunk in raw.stream(CHUNK, decode_content=False):
                    out.write(chunk)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                # Concurrent downloads can pass the check together: free the space at once.
                with contextlib.suppress(OSError):
                    os.remove(local_path)
                raise MlflowException(_no_room(os.path.dirname(local_path), size, remote_file_path),
                                      MISCONFIGURED) from None
            raise
        finally:
            response.data.close()


def _free(directory):
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize


def _no_room(directory, size, path):
    return (f"cannot download {path} ({size / 2**20:.1f} MiB): the server's temp space "
            f"{directory} has {_free(directory) / 2**20:.1f} MiB free. MLflow spools proxied "
            "downloads there: give MLFLOW_TMPDIR (default: <data dir>/tmp) room for the largest "
            "artifact")


def _check_room(directory, size, path):
    if size > _free(directory):
        raise MlflowException(_no_room(directory, size, path), MISCONFIGURED)


class _StreamUpload:
    """A stream of unknown length into one object: a single PUT if it ends within the first part,
    else a multipart upload with up to `parallelism` parts in flight (memory: parallelism + 1
    parts), committed in order, aborted on any error."""

    def __init__(self, repo, client, name):
        self.repo, self.client, self.name = repo, client, name
        self.part_size = repo._transfer.part_size
        self.parallelism = repo._transfer.parallelism
        self.buffer = bytearray()
        self.upload_id = None
        self.pool = None
        self.pending = set()
        self.sent = 0
        self.etags = {}

    def completes_part(self, length):
        return len(self.buffer) + length >= self.part_size

    def write(self, data):
        self.buffer += data
        while len(self.buffer) >= self.part_size:
            part = bytes(self.buffer[:self.part_size])
            del self.buffer[:self.part_size]
            self._send(part)

    def _send(self, part):
        from oci.object_storage.models import CreateMultipartUploadDetails  # noqa: PLC0415
        repo = self.repo
        if self.upload_id is None:
            with repo._oci_errors(f"upload of {self.name}"):
                self.upload_id = self.client.create_multipart_upload(
                    repo._namespace, repo._bucket,
                    CreateMultipartUploadDetails(object=self.name)).data.upload_id
            self.pool = ThreadPoolExecutor(self.parallelism, thread_name_prefix="oci-part")
        while len(self.pending) >= self.parallelism:   # back-pressure on the request body
            done, self.pending = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()
        self.sent += 1
        self.pending.add(self.pool.submit(self._upload_part, self.sent, part))

    def _upload_part(self, number, part):
        repo = self.repo
        with repo._oci_errors(f"upload of {self.name} (part {number})"):
            response = self.client.upload_part(repo._namespace, repo._bucket, self.name,
                                               self.upload_id, number, part)
        self.etags[number] = response.headers["etag"]

    def finish(self):
        from oci.object_storage.models import (  # noqa: PLC0415
            CommitMultipartUploadDetails, CommitMultipartUploadPartDetails,
        )
        repo = self.repo
        if self.upload_id is None:
            with repo._oci_errors(f"upload of {self.name}"):
                self.client.put_object(repo._namespace, repo._bucket, self.name, bytes(self.buffer))
            return
        if self.buffer:
            self._send(bytes(self.buffer))
            self.buffer = bytearray()
        for future in self.pending:
            future.result()
        self.pending = set()
        parts = [CommitMultipartUploadPartDetails(part_num=n, etag=e) for n, e in sorted(self.etags.items())]
        with repo._oci_errors(f"upload of {self.name}"):
            self.client.commit_multipart_upload(repo._namespace, repo._bucket, self.name,
                                                self.upload_id,
                                                CommitMultipartUploadDetails(parts_to_commit=parts))
        self.pool.shutdown()

    def abort(self):
        """Best effort: uncommitted parts would otherwise be billed until OCI expires them."""
        if self.pool is not None:
            wait(self.pending)
            self.pool.shutdown()
        if self.upload_id is not None:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(self.repo._namespace, self.repo._bucket,
                                                   self.name, self.upload_id)
