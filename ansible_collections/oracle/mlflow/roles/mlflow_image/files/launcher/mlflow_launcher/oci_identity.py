"""The OCI identity of the container (OCIFS_IAM_TYPE), for every OCI client the image makes.

One place for the three identities of the upstream guide, shared by the Vault read (DB_SECRET_OCID)
and the oci:// artifact repository (mlflow_oci_artifacts):
- api_key: ~/.oci/config [DEFAULT] of the image user, else /root/.oci (the guide's mount);
- instance_principal: the instance metadata service;
- resource_principal: the OCI_RESOURCE_PRINCIPAL_* environment.

Errors are ConfigError naming `variable`, the setting that needed OCI (DB_SECRET_OCID,
MLFLOW_ARTIFACTS_DESTINATION, ...), so the one-line message says what the credentials were for.
The `oci` SDK is imported inside the functions that use it: the launcher stays stdlib-only otherwise.
"""

import configparser
import os

from .config import ConfigError
from .envfile import _readable

ROOT_OCI_DIR = "/root/.oci"      # where the upstream guide mounts the API key config
IAM_VARIABLE = "OCIFS_IAM_TYPE"
API_KEY_FIELDS = ("user", "fingerprint", "tenancy", "region", "key_file")


def one_line(exc, limit=300):
    """`Type: message` on one line: SDK errors span lines and would break the one-line contract."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:limit]}"


def oci_config_dir(environ, variable=IAM_VARIABLE):
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
                raise ConfigError(variable, f"OCIFS_IAM_TYPE=api_key: {config} is not readable by "
                                            f"uid {os.getuid()}; on the host, make the mounted .oci "
                                            "directory readable by that uid")
            return directory
    root_note = "" if os.getuid() == 0 else \
        (f" ({ROOT_OCI_DIR}, the upstream guide's mount, is readable only by root: to keep that "
         "mount, run the container with --user root)")
    raise ConfigError(variable, f"OCIFS_IAM_TYPE=api_key needs an OCI config: mount a directory "
                                f"with config and key at {tried[0]} (read-only){root_note}, or use "
                                "instance_principal / resource_principal")


def _expand_home(path, oci_dir):
    """`~` in the config means the home the .oci directory lives in (/root for /root/.oci)."""
    if path == "~" or path.startswith("~/"):
        return os.path.dirname(oci_dir) + path[1:]
    return path


def load_api_key_config(environ, profile="DEFAULT", variable=IAM_VARIABLE):
    """The SDK config dict of ~/.oci/config [profile], with key_file resolved inside the container."""
    oci_dir = oci_config_dir(environ, variable)
    path = os.path.join(oci_dir, "config")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ConfigError(variable, f"cannot read the OCI config {path}: {exc}") from None
    if profile != "DEFAULT" and not parser.has_section(profile) or \
            profile == "DEFAULT" and not parser.defaults():
        raise ConfigError(variable, f"the OCI config {path} has no [{profile}] profile")
    values = dict(parser.defaults()) if profile == "DEFAULT" else dict(parser[profile])
    missing = [k for k in API_KEY_FIELDS if not values.get(k)]
    if missing:
        raise ConfigError(variable, f"the OCI config {path} [{profile}] lacks {', '.join(missing)}")
    key_file = values["key_file"]
    resolved = _expand_home(key_file, oci_dir)
    if not os.path.isfile(resolved):
        if os.path.isabs(key_file):
            raise ConfigError(variable, f"the OCI config {path} has key_file={key_file}, a host path "
                                        "that does not exist in the container; write "
                                        "key_file=~/.oci/<key file> and mount the key in the same "
                                        "directory as the config")
        raise ConfigError(variable, f"the OCI config {path}: key_file {key_file} ({resolved}) "
                                    "does not exist")
    if not _readable(resolved):
        raise ConfigError(variable, f"the OCI config {path}: key_file {resolved} is not readable "
                                    f"by uid {os.getuid()}")
    values["key_file"] = resolved
    return values


def client_args(iam_type, environ, variable=IAM_VARIABLE):
    """(config, signer) for an SDK client with the OCIFS_IAM_TYPE identity (signer None: api_key).

    Build one client per process with these: the principal signers refresh their own tokens, so a
    signer per call would only add a token fetch (a metadata round trip) to every operation.
    """
    import oci  # noqa: PLC0415 - only the OCI features need the SDK
    if iam_type == "api_key":
        config = load_api_key_config(environ, variable=variable)
        try:
            oci.config.validate_config(config)
        except oci.exceptions.InvalidConfig as exc:
            raise ConfigError(variable, f"the OCI config is invalid: {exc}") from None
        return config, None
    try:
        if iam_type == "instance_principal":
            signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        else:
            signer = oci.auth.signers.get_resource_principals_signer()
    except Exception as exc:  # noqa: BLE001 - the SDK raises many kinds here; report one line
        raise ConfigError(variable, f"cannot get {iam_type} credentials (OCIFS_IAM_TYPE): "
                                    f"{one_line(exc)}") from None
    return {"region": signer.region}, signer


def make_client(client_class, iam_type, environ, variable=IAM_VARIABLE, **kwargs):
    """(client, region): an SDK client of `client_class` with the identity, and the region it
    talks to (for error messages). A bad key or region is a ConfigError."""
    config, signer = client_args(iam_type, environ, variable)
    if signer is not None:
        kwargs["signer"] = signer
    try:
        return client_class(config, **kwargs), config.get("region")
    except Exception as exc:  # noqa: BLE001 - a bad key or region; report one line
        raise ConfigError(variable, f"cannot set up the OCI client with OCIFS_IAM_TYPE={iam_type}: "
                                    f"{one_line(exc)}") from None
