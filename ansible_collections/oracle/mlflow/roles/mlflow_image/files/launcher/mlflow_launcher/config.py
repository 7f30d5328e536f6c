"""The env contract: ConfigError, Config, load_config and the validators of each variable.

load_config turns a plain mapping into a Config and touches neither disk nor network.
"""

import dataclasses
import ipaddress
import os
import re
import shlex
import urllib.parse

DEFAULT_MLFLOW_BIN = "/opt/mlflow/bin/mlflow"
DEFAULT_DATA_DIR = "/mlflow"
MAX_WORKERS = 64  # each worker is ~250 MiB; more than this is a typo, not a plan
PROG = "mlflow-launcher"
DEFAULT_DB_WAIT = 60             # MLFLOW_DB_WAIT_SECONDS
MAX_DB_WAIT = 3600

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
IAM_TYPES = ("api_key", "instance_principal", "resource_principal")
PROVIDERS = ("sqlite", "mysql")
DB_PART_VARS = ("DBUSERNAME", "DBPASSWORD", "DBHOST")

# Consumed here and turned into argv (or into MLFLOW_BACKEND_STORE_URI): dropped from the
# child's env so MLflow's CLI, which reads several of them itself, has one source of truth,
# and so the MySQL credentials do not linger in the server's environment.
CONSUMED_VARS = (
    "MLFLOW_HOST", "MLFLOW_PORT", "MLFLOW_WORKERS", "MLFLOW_SERVE_ARTIFACTS",
    "MLFLOW_GUNICORN_OPTS", "MLFLOW_UVICORN_OPTS",
    "MLFLOW_DEFAULT_ARTIFACT_ROOT", "MLFLOW_ARTIFACTS_DESTINATION",
    "DBUSERNAME", "DBPASSWORD", "DBHOST", "DBPORT", "DBNAME", "DB_SECRET_OCID",
    "MLFLOW_DB_WAIT_SECONDS", "MLFLOW_TMPDIR",
)

# Options the launcher owns: passing them as extra args would bypass validation, put a

HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                         r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
SECRET_OCID_RE = re.compile(r"^ocid1\.vaultsecret\.[a-z0-9]+\.[a-z0-9-]*\.[a-z0-9]{1,255}$")
OCI_URI_RE = re.compile(r"^oci://(?P<bucket>[^@/]*)@(?P<namespace>[^/]*)(?P<prefix>/.*)?$")
BUCKET_RE = re.compile(r"^[A-Za-z0-9._-]{1,256}$")
NAMESPACE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DBNAME_RE = re.compile(r"^[A-Za-z0-9_$-]{1,64}$")


class ConfigError(Exception):
    """A variable of the env contract is missing or wrong; the message says how to fix it."""

    def __init__(self, variable, message):
        super().__init__(f"{variable}: {message}")
        self.variable = variable
        self.message = message


@dataclasses.dataclass(frozen=True)
class Config:
    host: str
    port: int
    workers: int
    server: str                      # "uvicorn" or "gunicorn"
    server_opts: str | None          # value for --uvicorn-opts / --gunicorn-opts
    backend_uri: str = dataclasses.field(repr=False)  # may hold a password: env only, never argv
    serve_artifacts: bool
    artifacts_destination: str | None
    default_artifact_root: str
    child_env: dict = dataclasses.field(repr=False)   # full environment for the mlflow process
    local_dirs: tuple = ()           # (variable, path) pairs that must be writable dirs
    sqlite_file: str | None = None
    warnings: tuple = ()
    mlflow_bin: str = DEFAULT_MLFLOW_BIN
    iam_type: str = "api_key"
    db_secret_ocid: str | None = None  # backend_uri is resolved from Vault at serve time
    mysql: "MysqlTarget | None" = dataclasses.field(default=None, repr=False)  # for the wait
    db_wait: int = DEFAULT_DB_WAIT
    tmpdir: str | None = None        # the server's TMPDIR: where proxied downloads are spooled


@dataclasses.dataclass(frozen=True)
class MysqlTarget:
    """What the database wait connects with; `source` is the variable the credentials came from."""
    user: str
    password: str = dataclasses.field(repr=False)
    host: str
    port: int
    database: str
    source: str

    @property
    def uri(self):
        # Credentials are URL-encoded: 'p@ss:w/rd' would otherwise break the URI.
        user = urllib.parse.quote(self.user, safe="")
        password = urllib.parse.quote(self.password, safe="")
        netloc_host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mysql+mysqlconnector://{user}:{password}@{netloc_host}:{self.port}/{self.database}"


# ---------------------------------------------------------------- small helpers

def _get(environ, name, strip=True):
    """The value of `name`, or None when unset or empty (an env file line `X=` means unset)."""
    value = environ.get(name)
    if value is not None and strip:
        value = value.strip()
    return value or None


def _int(environ, name, default, low, high):
    raw = _get(environ, name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not low <= int(raw) <= high:
        raise ConfigError(name, f"{raw!r} is not a whole number between {low} and {high}")
    return int(raw)


def _bool(environ, name, default):
    raw = _get(environ, name)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ConfigError(name, f"{raw!r} is not a boolean; use one of "
                            f"{'/'.join(TRUE_WORDS)} or {'/'.join(FALSE_WORDS)}")


def redact_uri(uri):
    """Replace the password of `scheme://user:password@host` with ***.

    Splits at the last '@' so a password with an unencoded '@' or '/' is still hidden.
    """
    scheme, sep, rest = uri.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return uri
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{hostpart}"


def redacted_line(error, *secrets, limit=300):
    """An error's text on one line and at most `limit` characters, each non-empty secret as ***."""
    text = str(error)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:limit]


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _check_host(name, value):
    if value.startswith("[") and value.endswith("]"):
        raise ConfigError(name, f"{value!r}: write IPv6 addresses without brackets, e.g. '::'")
    numeric = re.fullmatch(r"[0-9.]+", value)  # '256.1.1.1' is a bad IP, not a hostname
    if not (_is_ip(value) or HOSTNAME_RE.match(value) and not numeric):
        raise ConfigError(name, f"{value!r} is neither an IP address nor a valid hostname")
    return value


# ---------------------------------------------------------------- listen address

def load_host(environ):
    host = _get(environ, "MLFLOW_HOST")
    if host is None:
        raise ConfigError("MLFLOW_HOST", "is required; set MLFLOW_HOST=0.0.0.0 to listen on all "
                                         "interfaces (127.0.0.1 for local access only)")
    return _check_host("MLFLOW_HOST", host)


def load_port(environ):
    return _int(environ, "MLFLOW_PORT", 5000, 1, 65535)


def _server_opts(environ):
    """uvicorn is MLflow's default server; any gunicorn options switch to gunicorn (upstream)."""
    gunicorn = _get(environ, "MLFLOW_GUNICORN_OPTS")
    uvicorn = _get(environ, "MLFLOW_UVICORN_OPTS")
    if gunicorn and uvicorn:
        raise ConfigError("MLFLOW_GUNICORN_OPTS", "MLFLOW_GUNICORN_OPTS and MLFLOW_UVICORN_OPTS "
                          "are both set; the server is either gunicorn or uvicorn, unset one")
    name, server, opts = (("MLFLOW_GUNICORN_OPTS", "gunicorn", gunicorn) if gunicorn
                          else ("MLFLOW_UVICORN_OPTS", "uvicorn", uvicorn))
    if opts is not None:
        try:
            shlex.split(opts)
        except ValueError as exc:
            raise ConfigError(name, f"cannot be split like a shell command line: {exc}") from None
    return server, opts


# ---------------------------------------------------------------- backend store

def _check_mysql_uri(uri):
    name = "MLFLOW_BACKEND_STORE_URI"
    shown = redact_uri(uri)
    scheme = uri.partition("://")[0]
    if scheme == "mysql" or scheme.startswith("mysql+") and scheme != "mysql+mysqlconnector":
        raise ConfigError(name, f"{shown}: only the mysql+mysqlconnector driver is installed; "
                                "write mysql+mysqlconnector://user:password@host:port/database")
    if scheme != "mysql+mysqlconnector":
        raise ConfigError(name, f"{shown}: BACKEND_PROVIDER=mysql needs a "
                                "mysql+mysqlconnector://user:password@host:port/database URI")
    parts = urllib.parse.urlsplit(uri)
    try:
        parts.port
    except ValueError:
        raise ConfigError(name, f"{shown}: the port is not a number between 0 and 65535") from None
    parts_found = (("user", parts.username), ("host", parts.hostname), ("database", parts.path.strip("/")))
    missing = [label for label, value in parts_found if not value]
    if missing:
        raise ConfigError(name, f"{shown}: missing {', '.join(missing)}; URL-encode special "
                                "characters in the password (urllib.parse.quote)")
    return uri


def _mysql_target_from_parts(environ):
    missing = [name for name in DB_PART_VARS if _get(environ, name, strip=False) is None]
    if missing:
        raise ConfigError(missing[0], f"{', '.join(missing)} must be set when MySQL is configured "
                                      "from DBUSERNAME, DBPASSWORD, DBHOST (DBPORT, DBNAME)")
    host = _check_host("DBHOST", _get(environ, "DBHOST"))
    port = _int(environ, "DBPORT", 3306, 1, 65535)
    database = _get(environ, "DBNAME") or "mlflow"
    if not DBNAME_RE.match(database):
        raise ConfigError("DBNAME", f"{database!r}: use letters, digits, '_', '$' or '-' (max 64)")
    return MysqlTarget(environ["DBUSERNAME"], environ["DBPASSWORD"], host, port, database, "DBHOST")


def _target_from_uri(uri):
    """The connection parts of a checked mysql+mysqlconnector URI (None if it has no host)."""
    parts = urllib.parse.urlsplit(uri)
    try:
        port = parts.port or 3306
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return MysqlTarget(urllib.parse.unquote(parts.username or ""),
                       urllib.parse.unquote(parts.password or ""), parts.hostname, port,
                       urllib.parse.unquote(parts.path.lstrip("/")) or "", "MLFLOW_BACKEND_STORE_URI")


def _mysql_backend(environ, iam_type):
    sources = {
        "MLFLOW_BACKEND_STORE_URI": _get(environ, "MLFLOW_BACKEND_STORE_URI") is not None,
        "DB_SECRET_OCID": _get(environ, "DB_SECRET_OCID") is not None,
        "DBUSERNAME/DBPASSWORD/DBHOST": any(_get(environ, n, False) for n in DB_PART_VARS),
    }
    chosen = [name for name, present in sources.items() if present]
    if len(chosen) > 1:
        raise ConfigError("BACKEND_PROVIDER", f"mysql takes exactly one credential source but "
                          f"{' and '.join(chosen)} are set; unset all but one")
    if not chosen:
        raise ConfigError("BACKEND_PROVIDER", "mysql needs credentials: set "
                          "MLFLOW_BACKEND_STORE_URI, or DB_SECRET_OCID, or DBUSERNAME, "
                          "DBPASSWORD and DBHOST (optional DBPORT, DBNAME)")
    if chosen[0] == "MLFLOW_BACKEND_STORE_URI":
        uri = _check_mysql_uri(_get(environ, "MLFLOW_BACKEND_STORE_URI"))
        return uri, _target_from_uri(uri), None
    if chosen[0] == "DB_SECRET_OCID":
        ocid = _get(environ, "DB_SECRET_OCID")
        if not SECRET_OCID_RE.match(ocid):
            raise ConfigError("DB_SECRET_OCID", f"{ocid!r} is not a Vault secret OCID "
                              "(ocid1.vaultsecret.<realm>.<region>.<unique id>)")
        # Read at serve time (resolve_backend): load_config touches neither disk nor network.
        return f"vault:{ocid}", None, ocid
    target = _mysql_target_from_parts(environ)
    return target.uri, target, None


def _sqlite_backend(environ, data_dir):
    """Returns (uri, database file, variable that chose it)."""
    uri = _get(environ, "MLFLOW_BACKEND_STORE_URI")
    if uri is None:
        path = os.path.join(data_dir, "mlflow.db")
        return f"sqlite:///{path}", path, "MLFLOW_DATA_DIR"
    name = "MLFLOW_BACKEND_STORE_URI"
    if uri.startswith("mysql"):
        raise ConfigError(name, f"{redact_uri(uri)} is a MySQL URI; set BACKEND_PROVIDER=mysql")
    path = uri[len("sqlite:///"):].split("?", 1)[0] if uri.startswith("sqlite:///") else ""
    if not path.startswith("/"):
        raise ConfigError(name, f"{redact_uri(uri)}: with BACKEND_PROVIDER=sqlite use an absolute "
                                "sqlite file, e.g. sqlite:////mlflow/mlflow.db (four slashes)")
    return uri, path, name


# ---------------------------------------------------------------- artifacts

@dataclasses.dataclass(frozen=True)
class OciLocation:
    bucket: str
    namespace: str
    prefix: str                      # object name prefix, no leading slash, '' or ending in '/'


def parse_oci_uri(uri, name="MLFLOW_ARTIFACTS_DESTINATION"):
    """oci://bucket@namespace/prefix -> OciLocation; the one parser of these URIs (the artifact
    repository uses it too). Object names are the prefix plus the artifact path."""
    match = OCI_URI_RE.match(uri)
    if not match:
        raise ConfigError(name, f"{uri!r}: write oci://bucket@namespace/prefix")
    if not BUCKET_RE.match(match["bucket"]):
        raise ConfigError(name, f"{uri!r}: bucket {match['bucket']!r} is not a valid bucket name "
                                "(letters, digits, '-', '_', '.')")
    if not NAMESPACE_RE.match(match["namespace"]):
        raise ConfigError(name, f"{uri!r}: {match['namespace']!r} is not an Object Storage "
                                "namespace (lowercase letters and digits)")
    prefix = (match["prefix"] or "").strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise ConfigError(name, f"{uri!r}: the prefix has an empty, '.' or '..' segment")
    return OciLocation(match["bucket"], match["namespace"], prefix + "/" if prefix else "")


@dataclasses.dataclass(frozen=True)
class OciTransfer:
    """How the oci:// artifact repository moves bytes (MLFLOW_OCI_* knobs, validated here once)."""
    multipart_threshold: int         # bytes: files above this are uploaded in parts
    part_size: int                   # bytes per part (also what a streamed upload buffers)
    parallelism: int                 # parts in flight per upload


def load_oci_transfer(environ):
    mib = 1024 * 1024
    # OCI allows 10,000 parts per object: 16 MiB parts cap an object at ~156 GiB, and a streamed
    # upload holds parallelism + 1 parts in memory (80 MiB by default, per upload in flight).
    part = _int(environ, "MLFLOW_OCI_PART_SIZE_MB", 16, 1, 5 * 1024)
    threshold = _int(environ, "MLFLOW_OCI_MULTIPART_THRESHOLD_MB", 128, 1, 50 * 1024)
    parallelism = _int(environ, "MLFLOW_OCI_UPLOAD_PARALLELISM", 4, 1, 32)
    return OciTransfer(threshold * mib, part * mib, parallelism)


def _artifact_location(name, value, allow_remote):
    """Validate an artifact location; returns the local dir to prepare, or None if remote."""
    if value.startswith("oci://"):
        parse_oci_uri(value, name)   # served by mlflow_oci_artifacts; nothing local to prepare
        return None
    if value.startswith("file://"):
        if not value.startswith("file:///"):
            raise ConfigError(name, f"{value!r}: write file:///absolute/path (three slashes)")
        return urllib.parse.unquote(value[len("file://"):])
    if value.startswith("/"):
        return value
    if allow_remote and value.startswith(("mlflow-artifacts:", "http://", "https://")):
        return None
    allowed = "an absolute path, file:///path or oci://bucket@namespace/prefix"
    if allow_remote:
        allowed += ", mlflow-artifacts:/ or an http(s) URL"
    raise ConfigError(name, f"{value!r} is not supported; use {allowed}")


def _artifacts(environ, data_dir):
    """Returns (serve, destination, root, local dirs, warnings)."""
    serve = _bool(environ, "MLFLOW_SERVE_ARTIFACTS", True)
    destination = _get(environ, "MLFLOW_ARTIFACTS_DESTINATION")
    root = _get(environ, "MLFLOW_DEFAULT_ARTIFACT_ROOT")
    dirs, warnings = [], []
    if serve:
        destination = destination or os.path.join(data_dir, "artifacts")
        local = _artifact_location("MLFLOW_ARTIFACTS_DESTINATION", destination, False)
        if local:
            dirs.append(("MLFLOW_ARTIFACTS_DESTINATION", local))
        if root and root.startswith("oci://"):
            # The upstream guide sets both to the same oci:// URI; new runs then point clients at
            # the bucket itself, bypassing the proxy this server was asked to be.
            warnings.append("MLFLOW_DEFAULT_ARTIFACT_ROOT: with an oci:// root, clients read and "
                            "write Object Storage themselves (OCI credentials and an oci:// "
                            "artifact plugin on every client); unset it to proxy artifacts "
                            "through the server (mlflow-artifacts:/)")
        root = root or "mlflow-artifacts:/"
    else:
        if destination:
            warnings.append("MLFLOW_ARTIFACTS_DESTINATION: ignored because "
                            "MLFLOW_SERVE_ARTIFACTS is off")
        destination = None
        root = root or os.path.join(data_dir, "artifacts")
        if root.startswith("mlflow-artifacts:"):
            raise ConfigError("MLFLOW_DEFAULT_ARTIFACT_ROOT", f"{root!r} needs the server to proxy "
                              "artifacts; set MLFLOW_SERVE_ARTIFACTS=1 or use a storage location")
    local = _artifact_location("MLFLOW_DEFAULT_ARTIFACT_ROOT", root, True)
    if local:
        dirs.append(("MLFLOW_DEFAULT_ARTIFACT_ROOT", local))
    return serve, destination, root, dirs, warnings


# ---------------------------------------------------------------- everything else

def _csv_list(environ, name, warnings):
    """Normalise a comma-separated list; MLflow reads these from its env (see build_command)."""
    raw = _get(environ, name)
    if raw is None:
        return None
    items = [item.strip() for item in raw.split(",")]
    if not all(items):
        raise ConfigError(name, f"{raw!r} has an empty entry; write a comma-separated list")
    if "*" in items:
        warnings.append(f"{name}: '*' accepts any value; list the real names in production")
    return ",".join(items)


def _tmpdir(environ, data_dir):
    """MLFLOW_TMPDIR, else TMPDIR, else <data dir>/tmp.

    MLflow spools every proxied download from a remote store to a temp file before sending it, so
    the temp space must hold the largest artifact: by default it is on the data volume, not in the
    container's writable layer (or a small tmpfs).
    """
    name = "MLFLOW_TMPDIR" if _get(environ, "MLFLOW_TMPDIR") else "TMPDIR"
    path = _get(environ, name) or os.path.join(data_dir, "tmp")
    if not path.startswith("/"):
        raise ConfigError(name, f"{path!r} must be an absolute path")
    return path


def _child_env(environ, backend_uri, iam_type, job_execution, lists, tmpdir):
    env = {k: v for k, v in environ.items() if k not in CONSUMED_VARS}
    env["MLFLOW_BACKEND_STORE_URI"] = backend_uri
    env["TMPDIR"] = tmpdir
    # Job execution costs +1.6 GiB and queues in /dev/shm: on only when asked for.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "true" if job_execution else "false"
    env["OCIFS_IAM_TYPE"] = env["OCI_IAM_TYPE"] = iam_type  # oci-mlflow reads either name
    for name, value in lists.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def load_config(environ):
    """Validate the whole contract from a plain mapping; touches neither disk nor network."""
    environ = dict(environ)
    warnings = []
    data_dir = _get(environ, "MLFLOW_DATA_DIR") or DEFAULT_DATA_DIR
    if not data_dir.startswith("/"):
        raise ConfigError("MLFLOW_DATA_DIR", f"{data_dir!r} must be an absolute path")
    host, port = load_host(environ), load_port(environ)
    workers = _int(environ, "MLFLOW_WORKERS", 4, 1, MAX_WORKERS)
    server, server_opts = _server_opts(environ)
    iam_type = _get(environ, "OCIFS_IAM_TYPE") or "api_key"
    if iam_type not in IAM_TYPES:
        raise ConfigError("OCIFS_IAM_TYPE", f"{iam_type!r}: use one of {', '.join(IAM_TYPES)}")
    provider = (_get(environ, "BACKEND_PROVIDER") or "sqlite").lower()
    sqlite_file, dirs, mysql, secret_ocid = None, [], None, None
    db_wait = _int(environ, "MLFLOW_DB_WAIT_SECONDS", DEFAULT_DB_WAIT, 0, MAX_DB_WAIT)
    if provider == "mysql":
        backend_uri, mysql, secret_ocid = _mysql_backend(environ, iam_type)
    elif provider == "sqlite":
        backend_uri, sqlite_file, variable = _sqlite_backend(environ, data_dir)
        dirs.append((variable, os.path.dirname(sqlite_file)))
    else:
        raise ConfigError("BACKEND_PROVIDER", f"{provider!r}: use one of {', '.join(PROVIDERS)}")
    serve, destination, root, artifact_dirs, artifact_warnings = _artifacts(environ, data_dir)
    if any(location and location.startswith("oci://") for location in (destination, root)):
        load_oci_transfer(environ)   # a bad knob fails here, not at the first upload
    tmpdir = _tmpdir(environ, data_dir)
    lists = {name: _csv_list(environ, name, warnings) for name in
             ("MLFLOW_SERVER_ALLOWED_HOSTS", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS")}
    job_execution = _bool(environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", False)
    return Config(
        host=host, port=port, workers=workers, server=server, server_opts=server_opts,
        backend_uri=backend_uri, serve_artifacts=serve, artifacts_destination=destination,
        default_artifact_root=root,
        child_env=_child_env(environ, backend_uri, iam_type, job_execution, lists, tmpdir),
        local_dirs=tuple(dirs + artifact_dirs + [("MLFLOW_TMPDIR", tmpdir)]), sqlite_file=sqlite_file,
        warnings=tuple(warnings + artifact_warnings),
        mlflow_bin=_get(environ, "MLFLOW_LAUNCHER_MLFLOW_BIN") or DEFAULT_MLFLOW_BIN,
        iam_type=iam_type, db_secret_ocid=secret_ocid, mysql=mysql, db_wait=db_wait,
        tmpdir=tmpdir,
    )
