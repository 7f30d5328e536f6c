"""Object Storage as the emulated cloud keeps it: buckets of objects, and multipart uploads in flight.

Object bodies are kept in memory as immutable `bytes`, one per object: a 100 MB artifact costs
100 MB of RAM and no copies on the way out (GetObject answers a memoryview slice). Tests run
against one process-local emulator and throw it away, so a spill-to-disk store would only add
I/O to every upload without making a test possible that is impossible now.

Checksums follow OCI: `opc-content-md5` is base64 of the body's MD5 for objects uploaded in one
piece; an object committed from a multipart upload has instead `opc-multipart-md5`, base64 of the
MD5 of the concatenated part digests, followed by `-<number of parts>`. ETags are opaque (OCI's
are UUIDs, never the MD5), and change with every write.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field

from . import realm


def md5_base64(data: bytes | memoryview) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 - OCI's checksum, not security


def new_etag() -> str:
    return str(uuid.uuid4())


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_bucket_id(name: str) -> str:
    unique = "aaaaaaaa" + hashlib.sha256(f"{name}/{uuid.uuid4()}".encode()).hexdigest()[:52]
    return f"ocid1.bucket.{realm.REALM_KEY.lower()}.{realm.REGION_KEY.lower()}.{unique}"


@dataclass
class StoredObject:
    """One object: its bytes and what OCI answers about them."""

    name: str
    data: bytes
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)  # opc-meta-* headers, names lower-case
    content_headers: dict[str, str] = field(default_factory=dict)  # content-encoding, cache-control, ...
    multipart_md5: str | None = None
    etag: str = field(default_factory=new_etag)
    version_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time_created: dt.datetime = field(default_factory=now)
    time_modified: dt.datetime = field(default_factory=now)
    md5: str = ""

    def __post_init__(self) -> None:
        if not self.md5:
            self.md5 = self.multipart_md5 or md5_base64(self.data)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class UploadPart:
    number: int
    data: bytes
    md5: str
    etag: str = field(default_factory=new_etag)


@dataclass
class MultipartUpload:
    """An upload between CreateMultipartUpload and its commit or abort."""

    id: str
    bucket: str
    object: str
    content_type: str
    metadata: dict[str, str]
    content_headers: dict[str, str]
    parts: dict[int, UploadPart] = field(default_factory=dict)
    time_created: dt.datetime = field(default_factory=now)

    def assemble(self, wanted: dict[int, str]) -> StoredObject:
        """The object made of the parts `wanted` ({part number: ETag}), in part-number order.
        Raises KeyError naming the part when a part is missing or its ETag differs."""
        chosen = []
        for number in sorted(wanted):
            part = self.parts.get(number)
            if part is None or part.etag != wanted[number]:
                raise KeyError(number)
            chosen.append(part)
        digests = b"".join(base64.b64decode(part.md5) for part in chosen)
        multipart_md5 = f"{md5_base64(digests)}-{len(chosen)}"
        data = chosen[0].data if len(chosen) == 1 else b"".join(part.data for part in chosen)
        return StoredObject(self.object, data, self.content_type, dict(self.metadata), dict(self.content_headers),
                            multipart_md5=multipart_md5)


@dataclass
class Bucket:
    name: str
    compartment_id: str
    namespace: str = realm.NAMESPACE
    created_by: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    id: str = ""
    etag: str = field(default_factory=new_etag)
    time_created: dt.datetime = field(default_factory=now)
    objects: dict[str, StoredObject] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.id = self.id or new_bucket_id(self.name)
