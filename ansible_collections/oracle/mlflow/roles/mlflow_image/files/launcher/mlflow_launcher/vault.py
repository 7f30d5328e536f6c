"""Read the MySQL credentials from an OCI Vault secret (DB_SECRET_OCID, oracle-ads format).

The `oci` SDK is imported inside the functions that use it.
"""

import base64
import binascii
import configparser
import dataclasses
import json
import os
import re

from .config import DBNAME_RE, ConfigError, MysqlTarget, _check_host
from .envfile import _readable

OCI_TIMEOUT = (10, 30)           # connect, read seconds for the Vault call
ROOT_OCI_DIR = "/root/.oci"      # where the upstream guide mounts the API key config

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
