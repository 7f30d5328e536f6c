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
import contextlib
import os
import re

from .config import OCI_API_KEY_FIELDS, ConfigError
from .envfile import _readable

ROOT_OCI_DIR = "/root/.oci"      # where the upstream guide mounts the API key config
IAM_VARIABLE = "OCIFS_IAM_TYPE"


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


@contextlib.contextmanager
def _home(path):
    """HOME set to `path` while the SDK reads the config: it expands `~` in key_file with HOME."""
    saved = os.environ.get("HOME")
    os.environ["HOME"] = path
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = saved


def load_api_key_config(environ, profile="DEFAULT", variable=IAM_VARIABLE):
    """The SDK config dict of ~/.oci/config [profile], with key_file resolved inside the container.

    Read by the SDK's own reader (oci.config.from_file, as on the host), with `~` meaning the home the
    .oci directory lives in (/root for the upstream guide's /root/.oci mount).
    """
    import oci  # noqa: PLC0415 - only the OCI features need the SDK
    oci_dir = oci_config_dir(environ, variable)
    path = os.path.join(oci_dir, "config")
    home = os.path.dirname(oci_dir)
    try:
        with _home(home):
            values = oci.config.from_file(file_location=path, profile_name=profile)
    except oci.exceptions.ProfileNotFound:
        raise ConfigError(variable, f"the OCI config {path} has no [{profile}] profile") from None
    except oci.exceptions.InvalidKeyFilePath as exc:
        raise ConfigError(variable, _key_file_problem(path, str(exc), home)) from None
    except (OSError, UnicodeDecodeError, configparser.Error, ValueError) as exc:
        raise ConfigError(variable, f"cannot read the OCI config {path}: {one_line(exc)}") from None
    missing = [k for k in OCI_API_KEY_FIELDS if not values.get(k)]
    if missing:
        raise ConfigError(variable, f"the OCI config {path} [{profile}] lacks {', '.join(missing)}")
    key_file = values["key_file"]
    if key_file == "~" or key_file.startswith("~/"):
        values["key_file"] = home + key_file[1:]     # as the SDK just expanded it
    if not _readable(values["key_file"]):
        raise ConfigError(variable, f"the OCI config {path}: key_file {values['key_file']} is not "
                                    f"readable by uid {os.getuid()}")
    return values


def _key_file_problem(path, sdk_message, home):
    """The SDK names the expanded key_file it did not find: a path outside the config's home is a
    host path that was mounted as is."""
    match = re.search(r"key_file's value '([^']*)'", sdk_message)
    key_file = match.group(1) if match else "?"
    if not key_file.startswith(home.rstrip("/") + "/"):
        return (f"the OCI config {path} has key_file={key_file}, a host path that does not exist in "
                "the container; write key_file=~/.oci/<key file> and mount the key in the same "
                "directory as the config")
    return f"the OCI config {path}: key_file {key_file} does not exist"


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
