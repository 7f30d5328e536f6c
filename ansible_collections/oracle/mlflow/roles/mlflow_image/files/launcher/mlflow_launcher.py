#!/usr/bin/env python
"""Turn the image's env contract into an `mlflow server` command.

Stdlib only, except where a feature needs the image's packages: the `oci` SDK (DB_SECRET_OCID) and
mysql-connector (the database wait) are imported inside the functions that use them.

Usage: mlflow-launcher [serve|healthcheck|print-command] [extra mlflow server args]

This is the only place that knows how the contract (MLFLOW_HOST, BACKEND_PROVIDER, DB*, ...)
maps onto `mlflow server`; roles and playbooks only write variables. Secrets never reach argv:
the backend URI travels to MLflow in the MLFLOW_BACKEND_STORE_URI env var, which its CLI reads.
Every configuration error is one line on stderr and exit code 2, naming the variable to fix.
"""

import base64
import binascii
import configparser
import dataclasses
import ipaddress
import json
import os
import re
import shlex
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_MLFLOW_BIN = "/opt/mlflow/bin/mlflow"
DEFAULT_ENV_FILE = "/run/mlflow/mlflow.env"
DEFAULT_DATA_DIR = "/mlflow"
MAX_WORKERS = 64  # each worker is ~250 MiB; more than this is a typo, not a plan
HEALTH_TIMEOUT = 4
PROG = "mlflow-launcher"
DEFAULT_DB_WAIT = 60             # MLFLOW_DB_WAIT_SECONDS
MAX_DB_WAIT = 3600
OCI_TIMEOUT = (10, 30)           # connect, read seconds for the Vault call
ROOT_OCI_DIR = "/root/.oci"      # where the upstream guide mounts the API key config

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
    "MLFLOW_DB_WAIT_SECONDS",
)

# Options the launcher owns: passing them as extra args would bypass validation, put a
# password in argv, or (for --allowed-hosts with gunicorn) make MLflow refuse to start.
MANAGED_OPTIONS = {
    "--host": "MLFLOW_HOST", "-h": "MLFLOW_HOST",
    "--port": "MLFLOW_PORT", "-p": "MLFLOW_PORT",
    "--workers": "MLFLOW_WORKERS", "-w": "MLFLOW_WORKERS",
    "--backend-store-uri": "MLFLOW_BACKEND_STORE_URI",
    "--gunicorn-opts": "MLFLOW_GUNICORN_OPTS", "--uvicorn-opts": "MLFLOW_UVICORN_OPTS",
    "--serve-artifacts": "MLFLOW_SERVE_ARTIFACTS", "--no-serve-artifacts": "MLFLOW_SERVE_ARTIFACTS",
    "--artifacts-destination": "MLFLOW_ARTIFACTS_DESTINATION",
    "--default-artifact-root": "MLFLOW_DEFAULT_ARTIFACT_ROOT",
    "--allowed-hosts": "MLFLOW_SERVER_ALLOWED_HOSTS",
    "--cors-allowed-origins": "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS",
}

HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                         r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
SECRET_OCID_RE = re.compile(r"^ocid1\.vaultsecret\.[a-z0-9]+\.[a-z0-9-]*\.[a-z0-9]{1,255}$")
OCI_URI_RE = re.compile(r"^oci://(?P<bucket>[^@/]*)@(?P<namespace>[^/]*)(?P<prefix>/.*)?$")
BUCKET_RE = re.compile(r"^[A-Za-z0-9._-]{1,256}$")
NAMESPACE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DBNAME_RE = re.compile(r"^[A-Za-z0-9_$-]{1,64}$")
SECRET_KEY_RE = re.compile(r"PASSWORD|SECRET|TOKEN|PASSPHRASE")


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


def _redact_env(name, value):
    if SECRET_KEY_RE.search(name):
        return "***"
    return redact_uri(value) if "://" in value else value


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


# ---------------------------------------------------------------- env file

def read_env_file(path):
    """Parse a docker --env-file: KEY=VALUE lines, value literal, '#' comments, blanks skipped."""
    unreadable = ConfigError("MLFLOW_ENV_FILE", f"{path} is not readable by uid {os.getuid()}; "
                             "on the host, make it owned by that uid with mode 0600")
    if not _readable(path):
        raise unreadable
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8").removeprefix("\ufeff")
    except PermissionError:
        raise unreadable from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("MLFLOW_ENV_FILE", f"cannot read {path}: {exc}") from None
    values = {}
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r").lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key or any(c.isspace() for c in key):
            raise ConfigError("MLFLOW_ENV_FILE",
                              f"{path} line {number}: expected KEY=VALUE with no spaces in KEY")
        values[key] = value
    return values


def merged_environ(environ):
    """The process env over the optional env file: variables set by `docker run -e` win."""
    path = environ.get("MLFLOW_ENV_FILE")
    if path and not os.path.exists(path):  # asked for explicitly: a missing file is a mistake
        raise ConfigError("MLFLOW_ENV_FILE", f"{path} does not exist; fix the path or unset it")
    path = path or DEFAULT_ENV_FILE
    if not os.path.exists(path):
        return dict(environ)
    return {**read_env_file(path), **environ}


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


# ---------------------------------------------------------------- OCI Vault (DB_SECRET_OCID)

# The exact keys oracle-ads MySQLDBSecretKeeper writes and accepts (it raises on any other key).
ADS_REQUIRED_KEYS = ("user_name", "password", "host")
ADS_OPTIONAL_KEYS = ("port", "database")
VAULT = "DB_SECRET_OCID"


def _vault_error(message):
    return ConfigError(VAULT, message)


def _oci_config_dir(environ):
    """$HOME/.oci (the image user's), else /root/.oci (the upstream guide's mount) if readable."""
    home = environ.get("HOME") or os.path.expanduser("~")
    tried = []
    for directory in (os.path.join(home, ".oci"), ROOT_OCI_DIR):
        config = os.path.join(directory, "config")
        if directory in tried:
            continue
        tried.append(directory)
        if os.path.exists(config):
            if not _readable(config):
                raise _vault_error(f"OCIFS_IAM_TYPE=api_key: {config} is not readable by uid "
                                   f"{os.getuid()}; on the host, make the mounted .oci directory "
                                   "readable by that uid")
            return directory
    root_note = "" if os.getuid() == 0 else \
        f" ({ROOT_OCI_DIR}, the upstream guide's mount, is readable only by root)"
    raise _vault_error(f"OCIFS_IAM_TYPE=api_key needs an OCI config: mount a directory with "
                       f"config and key at {tried[0]} (read-only){root_note}, or use "
                       "instance_principal / resource_principal")


def _expand_home(path, oci_dir):
    """`~` in the config means the home the .oci directory lives in (/root for /root/.oci)."""
    if path == "~" or path.startswith("~/"):
        return os.path.dirname(oci_dir) + path[1:]
    return path


def load_api_key_config(environ, profile="DEFAULT"):
    """The SDK config dict of ~/.oci/config [DEFAULT], with key_file resolved inside the container."""
    oci_dir = _oci_config_dir(environ)
    path = os.path.join(oci_dir, "config")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise _vault_error(f"cannot read the OCI config {path}: {exc}") from None
    if profile != "DEFAULT" and not parser.has_section(profile) or \
            profile == "DEFAULT" and not parser.defaults():
        raise _vault_error(f"the OCI config {path} has no [{profile}] profile")
    values = dict(parser.defaults()) if profile == "DEFAULT" else dict(parser[profile])
    missing = [k for k in ("user", "fingerprint", "tenancy", "region", "key_file") if not values.get(k)]
    if missing:
        raise _vault_error(f"the OCI config {path} [{profile}] lacks {', '.join(missing)}")
    key_file = values["key_file"]
    resolved = _expand_home(key_file, oci_dir)
    if not os.path.isfile(resolved):
        if os.path.isabs(key_file):
            raise _vault_error(f"the OCI config {path} has key_file={key_file}, a host path that "
                               "does not exist in the container; write key_file=~/.oci/<key file> "
                               "and mount the key in the same directory as the config")
        raise _vault_error(f"the OCI config {path}: key_file {key_file} ({resolved}) does not exist")
    if not _readable(resolved):
        raise _vault_error(f"the OCI config {path}: key_file {resolved} is not readable by uid "
                           f"{os.getuid()}")
    values["key_file"] = resolved
    return values


def _oci_client_args(iam_type, environ):
    """(config, signer) for the OCIFS_IAM_TYPE identity."""
    import oci  # noqa: PLC0415 - only the Vault path needs the SDK
    if iam_type == "api_key":
        config = load_api_key_config(environ)
        try:
            oci.config.validate_config(config)
        except oci.exceptions.InvalidConfig as exc:
            raise _vault_error(f"the OCI config is invalid: {exc}") from None
        return config, None
    try:
        if iam_type == "instance_principal":
            signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        else:
            signer = oci.auth.signers.get_resource_principals_signer()
    except Exception as exc:  # noqa: BLE001 - the SDK raises many kinds here; report one line
        detail = " ".join(str(exc).split())[:300]
        raise _vault_error(f"cannot get {iam_type} credentials (OCIFS_IAM_TYPE): "
                           f"{type(exc).__name__}: {detail}") from None
    return {"region": signer.region}, signer


def read_secret_bundle(secret_ocid, iam_type, environ):
    """The decoded bytes of the secret's CURRENT version, read with the OCIFS_IAM_TYPE identity."""
    try:
        import oci  # noqa: PLC0415
    except ImportError:
        raise _vault_error("this image has no oci SDK; set MLFLOW_BACKEND_STORE_URI or "
                           "DBUSERNAME, DBPASSWORD, DBHOST instead") from None
    config, signer = _oci_client_args(iam_type, environ)
    retry = oci.retry.RetryStrategyBuilder(
        max_attempts_check=True, max_attempts=3, total_elapsed_time_check=True,
        total_elapsed_time_seconds=30, retry_max_wait_between_calls_seconds=5,
        retry_base_sleep_time_seconds=1, service_error_check=True).get_retry_strategy()
    kwargs = {"signer": signer} if signer is not None else {}
    try:
        client = oci.secrets.SecretsClient(config, retry_strategy=retry, timeout=OCI_TIMEOUT,
                                           **kwargs)
    except Exception as exc:  # noqa: BLE001 - a bad key or region; report one line
        detail = " ".join(str(exc).split())[:300]
        raise _vault_error(f"cannot set up the OCI client with OCIFS_IAM_TYPE={iam_type}: "
                           f"{type(exc).__name__}: {detail}") from None
    try:
        bundle = client.get_secret_bundle(secret_ocid, stage="CURRENT").data
    except oci.exceptions.ServiceError as exc:
        if exc.status == 404:
            raise _vault_error(f"{secret_ocid}: secret not found or not authorized (OCI 404 "
                               f"{exc.code}): check the OCID and that a policy lets the {iam_type} "
                               "principal read secret-bundles in its compartment") from None
        if exc.status in (401, 403):
            raise _vault_error(f"{secret_ocid}: OCI refused the {iam_type} credentials ({exc.status} "
                               f"{exc.code}); check OCIFS_IAM_TYPE and the key/principal") from None
        raise _vault_error(f"{secret_ocid}: OCI answered {exc.status} {exc.code}: "
                           f"{' '.join(str(exc.message).split())[:200]}") from None
    except (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout, OSError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise _vault_error(f"{secret_ocid}: OCI Vault is unreachable from the container "
                           f"(region {config.get('region')}): {type(exc).__name__}: {detail}") from None
    content = getattr(bundle, "secret_bundle_content", None)
    if getattr(content, "content_type", None) != "BASE64" or content.content is None:
        raise _vault_error(f"{secret_ocid}: the secret bundle has no BASE64 content")
    try:
        return base64.b64decode(content.content, validate=True)
    except (binascii.Error, ValueError):
        raise _vault_error(f"{secret_ocid}: the secret bundle content is not base64") from None


def parse_ads_secret(data, secret_ocid="the secret"):
    """A MysqlTarget from the oracle-ads MySQLDBSecretKeeper JSON (exact keys, like ADS)."""
    expected = (f"{secret_ocid}: not the expected JSON (oracle-ads MySQLDBSecretKeeper: "
                f"{', '.join(ADS_REQUIRED_KEYS + ADS_OPTIONAL_KEYS)})")
    try:
        values = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, ValueError):
        raise _vault_error(f"{expected}: the content is not JSON") from None
    if not isinstance(values, dict):
        raise _vault_error(f"{expected}: the content is a JSON {type(values).__name__}, "
                           "not an object")
    extra = sorted(k for k in values if k not in ADS_REQUIRED_KEYS + ADS_OPTIONAL_KEYS)
    if extra:
        raise _vault_error(f"{expected}: unexpected key {', '.join(map(repr, extra))}")
    for key in ADS_REQUIRED_KEYS:
        if key not in values:
            raise _vault_error(f"{expected}: missing key {key!r}")
        if not isinstance(values[key], str) or not values[key]:
            raise _vault_error(f"{expected}: {key!r} must be a non-empty string")
    port = values.get("port")
    port = "3306" if port is None or port == "" else port
    if isinstance(port, bool) or not re.fullmatch(r"[0-9]{1,5}", str(port)) \
            or not 1 <= int(port) <= 65535:
        raise _vault_error(f"{expected}: 'port' {port!r} is not a port number")
    database = values.get("database") or "mlflow"
    if not isinstance(database, str) or not DBNAME_RE.match(database):
        raise _vault_error(f"{expected}: 'database' {database!r}: use letters, digits, '_', '$' "
                           "or '-' (max 64)")
    host = values["host"].strip()
    try:
        _check_host(VAULT, host)
    except ConfigError as exc:
        raise _vault_error(f"{expected}: 'host' {exc.message}") from None
    return MysqlTarget(values["user_name"], values["password"], host, int(port), database, VAULT)


def resolve_backend(config, read=read_secret_bundle, environ=None):
    """Config with the Vault secret turned into the backend URI (unchanged without DB_SECRET_OCID)."""
    if config.db_secret_ocid is None:
        return config
    environ = os.environ if environ is None else environ
    target = parse_ads_secret(read(config.db_secret_ocid, config.iam_type, environ),
                              config.db_secret_ocid)
    child_env = dict(config.child_env, MLFLOW_BACKEND_STORE_URI=target.uri)
    return dataclasses.replace(config, backend_uri=target.uri, child_env=child_env, mysql=target)


# ---------------------------------------------------------------- database wait

# mysql-connector / MySQL error numbers.
CANNOT_CONNECT = {2002, 2003, 2005, 2006, 2013, 2055}  # socket, host, unknown host, gone, lost
ACCESS_DENIED = {1044, 1045, 1698}   # db access denied, access denied, no password (socket auth)
UNKNOWN_DATABASE = {1049}


def classify_db_error(exc):
    """'unreachable', 'access_denied', 'unknown_database' or 'other' for a connector error."""
    errno = getattr(exc, "errno", None)
    if errno in CANNOT_CONNECT or isinstance(exc, (TimeoutError, ConnectionError)):
        return "unreachable"
    if errno in ACCESS_DENIED:
        return "access_denied"
    if errno in UNKNOWN_DATABASE:
        return "unknown_database"
    return "other"


def _mysql_connect(target, timeout):
    import mysql.connector  # noqa: PLC0415 - only BACKEND_PROVIDER=mysql needs it
    connection = mysql.connector.connect(
        user=target.user, password=target.password, host=target.host, port=target.port,
        database=target.database, connection_timeout=max(1, int(timeout)), use_pure=True)
    connection.close()


def _netloc(target):
    return f"[{target.host}]:{target.port}" if ":" in target.host else f"{target.host}:{target.port}"


def wait_for_database(target, seconds, connect=_mysql_connect, clock=time.monotonic,
                      sleep=time.sleep):
    """Connect until it works or `seconds` pass, retrying only while the server cannot be reached;
    then fail with one line that tells unreachable, access denied and unknown database apart."""
    deadline = clock() + seconds
    delay, attempts = 1.0, 0
    while True:
        attempts += 1
        try:
            connect(target, max(1.0, min(5.0, deadline - clock())))
            return attempts
        except Exception as exc:  # noqa: BLE001 - classified below; anything else is reported
            kind = classify_db_error(exc)
            error = exc
        if kind != "unreachable" or clock() + delay > deadline:
            break
        sleep(delay)
        delay = min(delay * 2, 5.0)
    source = target.source
    if kind == "unreachable":
        raise ConfigError(source, f"database unreachable: cannot connect to {_netloc(target)} "
                                  f"within {seconds} s ({attempts} attempts; MLFLOW_DB_WAIT_SECONDS)")
    if kind == "access_denied" and getattr(error, "errno", None) == 1044:
        # MySQL answers 1044 for a database the user has no grant on, whether it exists or not.
        raise ConfigError(source, f"database access denied for '{target.user}'@'{target.host}' "
                                  f"to database {target.database!r}: grant the user access to it "
                                  "(or fix the database name: MySQL hides unknown ones from users "
                                  "without rights on them)")
    if kind == "access_denied":
        raise ConfigError(source, f"database access denied for '{target.user}'@'{target.host}' "
                                  f"(database {target.database!r}): check the user, its password and "
                                  "its grants")
    if kind == "unknown_database":
        raise ConfigError(source, f"unknown database {target.database!r} on {_netloc(target)}: "
                                  f"create it (CHARACTER SET utf8mb4) or fix the database name")
    detail = " ".join(str(error).replace(target.password, "***").split())[:300] \
        if target.password else " ".join(str(error).split())[:300]
    raise ConfigError(source, f"cannot use the database on {_netloc(target)}: {detail}")


# ---------------------------------------------------------------- artifacts

def _oci_artifact_store(name, uri, iam_type):
    """Accept an oci:// artifact location. Replace this function to add oci-mlflow support."""
    raise ConfigError(name, f"{uri}: oci:// artifact stores are not supported by this image yet; "
                            "use a local path on the data volume")


def _check_oci_uri(name, uri, iam_type):
    match = OCI_URI_RE.match(uri)
    if not match:
        raise ConfigError(name, f"{uri!r}: write oci://bucket@namespace/prefix")
    if not BUCKET_RE.match(match["bucket"]):
        raise ConfigError(name, f"{uri!r}: bucket {match['bucket']!r} is not a valid bucket name")
    if not NAMESPACE_RE.match(match["namespace"]):
        raise ConfigError(name, f"{uri!r}: {match['namespace']!r} is not an Object Storage "
                                "namespace (lowercase letters and digits)")
    return _oci_artifact_store(name, uri, iam_type)


def _artifact_location(name, value, iam_type, allow_remote):
    """Validate an artifact location; returns the local dir to prepare, or None if remote."""
    if value.startswith("oci://"):
        return _check_oci_uri(name, value, iam_type)
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


def _artifacts(environ, data_dir, iam_type):
    """Returns (serve, destination, root, local dirs, warnings)."""
    serve = _bool(environ, "MLFLOW_SERVE_ARTIFACTS", True)
    destination = _get(environ, "MLFLOW_ARTIFACTS_DESTINATION")
    root = _get(environ, "MLFLOW_DEFAULT_ARTIFACT_ROOT")
    dirs, warnings = [], []
    if serve:
        destination = destination or os.path.join(data_dir, "artifacts")
        local = _artifact_location("MLFLOW_ARTIFACTS_DESTINATION", destination, iam_type, False)
        if local:
            dirs.append(("MLFLOW_ARTIFACTS_DESTINATION", local))
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
    local = _artifact_location("MLFLOW_DEFAULT_ARTIFACT_ROOT", root, iam_type, True)
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


def _child_env(environ, backend_uri, iam_type, job_execution, lists):
    env = {k: v for k, v in environ.items() if k not in CONSUMED_VARS}
    env["MLFLOW_BACKEND_STORE_URI"] = backend_uri
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
    serve, destination, root, artifact_dirs, artifact_warnings = _artifacts(
        environ, data_dir, iam_type)
    lists = {name: _csv_list(environ, name, warnings) for name in
             ("MLFLOW_SERVER_ALLOWED_HOSTS", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS")}
    job_execution = _bool(environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", False)
    return Config(
        host=host, port=port, workers=workers, server=server, server_opts=server_opts,
        backend_uri=backend_uri, serve_artifacts=serve, artifacts_destination=destination,
        default_artifact_root=root,
        child_env=_child_env(environ, backend_uri, iam_type, job_execution, lists),
        local_dirs=tuple(dirs + artifact_dirs), sqlite_file=sqlite_file,
        warnings=tuple(warnings + artifact_warnings),
        mlflow_bin=_get(environ, "MLFLOW_LAUNCHER_MLFLOW_BIN") or DEFAULT_MLFLOW_BIN,
        iam_type=iam_type, db_secret_ocid=secret_ocid, mysql=mysql, db_wait=db_wait,
    )


def check_extra_args(extra_args):
    """Refuse extra args for options the env contract owns (one source of truth)."""
    for arg in extra_args:
        option = arg.split("=", 1)[0]
        if option in MANAGED_OPTIONS:
            raise ConfigError(option, f"set {MANAGED_OPTIONS[option]} instead of passing {option}")


def build_command(config, extra_args=()):
    """Returns (argv, child_env). Allowed hosts and CORS origins go through the env only:
    MLflow 3.17 refuses them as CLI options together with --gunicorn-opts."""
    argv = [config.mlflow_bin, "server", "--host", config.host, "--port", str(config.port),
            "--workers", str(config.workers)]
    if config.server_opts is not None:
        argv += [f"--{config.server}-opts", config.server_opts]
    if config.serve_artifacts:
        argv += ["--serve-artifacts", "--artifacts-destination", config.artifacts_destination]
    else:
        argv.append("--no-serve-artifacts")
    argv += ["--default-artifact-root", config.default_artifact_root, *extra_args]
    return argv, dict(config.child_env)


def _writable(path):
    return os.access(path, os.W_OK | os.X_OK)


def _readable(path):
    return os.access(path, os.R_OK)


def prepare_dirs(config):
    """Create the local data directories and prove this uid can write them."""
    uid = os.getuid()
    hint = f"on the host, chown -R {uid} the directory mounted there"
    for variable, path in config.local_dirs:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise ConfigError(variable, f"cannot create {path} as uid {uid} "
                                        f"({exc.strerror}); {hint}") from None
        if not _writable(path):
            raise ConfigError(variable, f"{path} is not writable by uid {uid}; {hint}")
    if config.sqlite_file and os.path.exists(config.sqlite_file) \
            and not os.access(config.sqlite_file, os.R_OK | os.W_OK):
        raise ConfigError("MLFLOW_BACKEND_STORE_URI",
                          f"{config.sqlite_file} is not writable by uid {uid}; {hint}")


def log_line(config):
    artifacts = config.artifacts_destination if config.serve_artifacts \
        else config.default_artifact_root
    return (f"{PROG}: starting mlflow server: host={config.host} port={config.port} "
            f"workers={config.workers} server={config.server} "
            f"backend={redact_uri(config.backend_uri)} "
            f"serve_artifacts={'yes' if config.serve_artifacts else 'no'} artifacts={artifacts}")


# ---------------------------------------------------------------- subcommands

def health_url(environ):
    """The URL a local probe uses: wildcard binds are reached over loopback."""
    host = _get(environ, "MLFLOW_HOST") or "0.0.0.0"
    port = load_port(environ)
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    _check_host("MLFLOW_HOST", host)
    if ":" in host:
        host = f"[{host.replace('%', '%25')}]"
    return f"http://{host}:{port}/health"


def healthcheck(environ):
    url = health_url(environ)
    # No proxies: HTTP(S)_PROXY may be set for OCI traffic, the probe is local.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=HEALTH_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"{PROG}: unhealthy: {url}: {reason}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{PROG}: unhealthy: {url}: HTTP {status}", file=sys.stderr)
        return 1
    print(f"{PROG}: healthy: {url}")
    return 0


def _print_warnings(config):
    for warning in config.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)


def print_command(config, extra_args, process_env):
    _print_warnings(config)
    argv, env = build_command(config, extra_args)
    added = {k: _redact_env(k, v) for k, v in sorted(env.items()) if process_env.get(k) != v}
    removed = sorted(k for k in process_env if k not in env)
    argv = [redact_uri(a) if "://" in a else a for a in argv]
    print(json.dumps({"argv": argv, "env": added, "unset": removed}, indent=2))
    return 0


def serve(config, extra_args):
    prepare_dirs(config)
    config = resolve_backend(config)
    if config.mysql is not None and config.db_wait > 0:
        wait_for_database(config.mysql, config.db_wait)
    argv, env = build_command(config, extra_args)
    _print_warnings(config)
    print(log_line(config), file=sys.stderr, flush=True)
    try:
        # exec, not subprocess: dumb-init's signals then reach MLflow directly.
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        print(f"{PROG}: error: MLFLOW_LAUNCHER_MLFLOW_BIN: cannot run {argv[0]}: {exc.strerror}",
              file=sys.stderr)
        return 127


COMMANDS = ("serve", "healthcheck", "print-command")


def main(argv):
    if argv and not argv[0].startswith("-"):
        command, extra_args = argv[0], list(argv[1:])
    else:
        command, extra_args = "serve", list(argv)
    if command not in COMMANDS:
        print(f"{PROG}: error: unknown command {command!r}; use one of {', '.join(COMMANDS)}",
              file=sys.stderr)
        return 2
    try:
        environ = merged_environ(os.environ)
        if command == "healthcheck":
            return healthcheck(environ)
        check_extra_args(extra_args)
        config = load_config(environ)
        if command == "print-command":
            return print_command(config, extra_args, os.environ)
        # The env file configures this process as well: the OCI SDK reads proxies, the CA bundle
        # and region metadata from the environment when the launcher fetches the database secret.
        os.environ.update(environ)
        return serve(config, extra_args)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc.variable}: {exc.message}", file=sys.stderr)
        # Docker reserves health exit code 2: a broken config is simply "unhealthy".
        return 1 if command == "healthcheck" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
