"""Which artifact locations are inside the server's store: pure functions of the environment.

Inside: the server's artifacts destination and default artifact root (as `mlflow server` exports
them to its workers), and what MLFLOW_ARTIFACTS_ALLOWED_ROOTS adds; `*` there turns the boundary
off. `runs:/`, `models:/` and `mlflow-artifacts:/` (no host) are references the server resolves to a
stored location, which is checked when its repository is built in turn.
"""

import dataclasses
import os
import urllib.parse

from mlflow_launcher.config import ConfigError, parse_oci_uri

ALLOWED_ROOTS_VAR = "MLFLOW_ARTIFACTS_ALLOWED_ROOTS"
# What `mlflow server` exports to its workers (mlflow.server.constants; MLflow's own host policy
# reads the same two).
SERVER_ROOT_VARS = ("_MLFLOW_SERVER_ARTIFACT_DESTINATION", "_MLFLOW_SERVER_ARTIFACT_ROOT")
RESOLVED_SCHEMES = ("runs", "models")
WIDEN_HINT = f"{ALLOWED_ROOTS_VAR} (role: mlflow_server_artifacts_allowed_roots) widens it"


class Outside(Exception):
    """A location outside the store; the message names the allowed roots."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class Location:
    scheme: str                      # "oci" or "file"
    bucket: str = ""
    namespace: str = ""
    path: str = ""                   # oci: object prefix ('' or 'a/b/'); file: absolute, normalised

    def __str__(self):
        if self.scheme == "oci":
            return f"oci://{self.bucket}@{self.namespace}/{self.path}"
        return self.path

    def contains(self, other):
        if self.scheme != other.scheme:
            return False
        if self.scheme == "oci":
            return (self.bucket, self.namespace) == (other.bucket, other.namespace) and \
                other.path.startswith(self.path)
        return other.path == self.path or other.path.startswith(self.path.rstrip("/") + "/")


def parse_location(uri):
    """A storage location (oci:// or local), or None for a reference the server resolves; raises
    Outside for anything it cannot place (another scheme, a relative path, a malformed URI)."""
    parts = urllib.parse.urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme in RESOLVED_SCHEMES or scheme == "mlflow-artifacts" and not parts.netloc:
        return None
    if scheme == "oci":
        try:
            location = parse_oci_uri(uri, "artifact location")
        except ConfigError as exc:
            raise Outside(exc.message) from None
        return Location("oci", location.bucket, location.namespace, location.prefix)
    if scheme == "file" and parts.netloc in ("", "localhost"):
        path = urllib.parse.unquote(parts.path)
    elif scheme == "" and uri.startswith("/"):
        path = uri
    else:
        raise Outside(f"{uri!r}: this server stores artifacts only in oci:// and local locations")
    if "\0" in path:
        raise Outside(f"{uri!r}: a path cannot hold a NUL byte")
    # realpath: symlinks and '..' cannot lead out of a root that looks like a prefix.
    return Location("file", path=os.path.realpath(path))


def allowed_roots(environ):
    """The roots inside the store (a tuple of Location), or None when the boundary is off."""
    extra = [item.strip() for item in (environ.get(ALLOWED_ROOTS_VAR) or "").split(",") if item.strip()]
    if "*" in extra:
        return None
    roots = []
    for uri in [environ.get(name) for name in SERVER_ROOT_VARS] + extra:
        if not uri:
            continue
        try:
            location = parse_location(uri)
        except Outside:
            continue                 # not a store this server writes (http, s3...): nothing inside
        if location is not None and location not in roots:
            roots.append(location)
    return tuple(roots)


def check(uri, roots):
    """Raise Outside unless `uri` is inside one of `roots` (None: everything is)."""
    if roots is None:
        return
    location = parse_location(uri)
    if location is None or any(root.contains(location) for root in roots):
        return
    inside = ", ".join(str(root) for root in roots) or "none configured"
    raise Outside(f"artifact location {uri!r} is outside this server's artifact store ({inside}); "
                  f"the server reads and writes artifacts only there ({WIDEN_HINT})")


def in_server_process(environ):
    """Whether this process serves for `mlflow server` (it exports its artifact root to its workers)."""
    return SERVER_ROOT_VARS[1] in environ


def names_a_location(uri):
    """Whether a client-given value names a storage location (not a reference, not a relative name
    such as a prompt's placeholder source, which MLflow validates itself)."""
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    return bool(scheme) or uri.startswith("/")
