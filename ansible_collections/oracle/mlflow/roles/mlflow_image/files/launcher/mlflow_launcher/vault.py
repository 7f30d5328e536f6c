"""Read the server's secrets from OCI Vault: the MySQL credentials (DB_SECRET_OCID, oracle-ads format) and
the logins' admin password and secret key (MLFLOW_AUTH_ADMIN_PASSWORD_OCID, MLFLOW_FLASK_SERVER_SECRET_KEY_OCID).

The `oci` SDK is imported inside the functions that use it.
"""

import base64
import binascii
import dataclasses
import functools
import json
import os
import re

from .config import DBNAME_RE, ConfigError, MysqlTarget, _check_host, check_auth_password
from .oci_identity import make_client, one_line

OCI_TIMEOUT = (10, 30)           # connect, read seconds for the Vault call

# The exact keys oracle-ads MySQLDBSecretKeeper writes and accepts (it raises on any other key).
ADS_REQUIRED_KEYS = ("user_name", "password", "host")
ADS_OPTIONAL_KEYS = ("port", "database")
VAULT = "DB_SECRET_OCID"


def _vault_error(message, variable=VAULT):
    return ConfigError(variable, message)


def read_secret_bundle(secret_ocid, iam_type, environ, variable=VAULT):
    """The decoded bytes of the secret's CURRENT version, read with the OCIFS_IAM_TYPE identity;
    errors name `variable`, the setting that holds the OCID."""
    fail = functools.partial(ConfigError, variable)
    try:
        import oci  # noqa: PLC0415
    except ImportError:
        raise fail("this image has no oci SDK; give the value itself instead of a Vault "
                   "secret") from None
    retry = oci.retry.RetryStrategyBuilder(
        max_attempts_check=True, max_attempts=3, total_elapsed_time_check=True,
        total_elapsed_time_seconds=30, retry_max_wait_between_calls_seconds=5,
        retry_base_sleep_time_seconds=1, service_error_check=True).get_retry_strategy()
    client, region = make_client(oci.secrets.SecretsClient, iam_type, environ, variable,
                                 retry_strategy=retry, timeout=OCI_TIMEOUT)
    try:
        bundle = client.get_secret_bundle(secret_ocid, stage="CURRENT").data
    except oci.exceptions.ServiceError as exc:
        if exc.status == 404:
            raise fail(f"{secret_ocid}: secret not found or not authorized (OCI 404 "
                       f"{exc.code}): check the OCID and that a policy lets the {iam_type} "
                       "principal read secret-bundles in its compartment") from None
        if exc.status in (401, 403):
            raise fail(f"{secret_ocid}: OCI refused the {iam_type} credentials ({exc.status} "
                       f"{exc.code}); check OCIFS_IAM_TYPE and the key/principal") from None
        raise fail(f"{secret_ocid}: OCI answered {exc.status} {exc.code}: "
                   f"{' '.join(str(exc.message).split())[:200]}") from None
    except (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout, OSError) as exc:
        raise fail(f"{secret_ocid}: OCI Vault is unreachable from the container "
                   f"(region {region}): {one_line(exc)}") from None
    content = getattr(bundle, "secret_bundle_content", None)
    if getattr(content, "content_type", None) != "BASE64" or content.content is None:
        raise fail(f"{secret_ocid}: the secret bundle has no BASE64 content")
    try:
        return base64.b64decode(content.content, validate=True)
    except (binascii.Error, ValueError):
        raise fail(f"{secret_ocid}: the secret bundle content is not base64") from None


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


def read_secret_text(secret_ocid, iam_type, environ, variable, read=read_secret_bundle):
    """A secret whose whole content is one value (a password, a key), as text. A final newline, which
    `echo ... | base64` puts there, is not part of it."""
    data = read(secret_ocid, iam_type, environ, variable)
    try:
        text = data.decode("utf-8").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        raise _vault_error(f"{secret_ocid}: the content is not UTF-8 text", variable) from None
    if not text:
        raise _vault_error(f"{secret_ocid}: the secret is empty", variable)
    return text


def resolve_auth(config, read=read_secret_bundle, environ=None):
    """Config with the logins' Vault secrets read (unchanged when MLFLOW_AUTH is off or none is used);
    the secret key goes to the server's environment, the admin password stays in the launcher."""
    auth = config.auth
    if auth is None or (auth.admin_password_ocid is None and auth.secret_key_ocid is None):
        return config
    environ = os.environ if environ is None else environ
    password, key = auth.admin_password, auth.secret_key
    if auth.admin_password_ocid:
        name = "MLFLOW_AUTH_ADMIN_PASSWORD_OCID"
        password = read_secret_text(auth.admin_password_ocid, config.iam_type, environ, name, read)
        try:
            check_auth_password(name, password)
        except ConfigError as exc:
            raise _vault_error(f"{auth.admin_password_ocid}: the password in the secret {exc.message}",
                               name) from None
    if auth.secret_key_ocid:
        key = read_secret_text(auth.secret_key_ocid, config.iam_type, environ,
                               "MLFLOW_FLASK_SERVER_SECRET_KEY_OCID", read)
    child_env = dict(config.child_env, MLFLOW_FLASK_SERVER_SECRET_KEY=key)
    return dataclasses.replace(config, child_env=child_env,
                               auth=dataclasses.replace(auth, admin_password=password, secret_key=key))
