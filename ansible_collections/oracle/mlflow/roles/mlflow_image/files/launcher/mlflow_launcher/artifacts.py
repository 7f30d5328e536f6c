"""oci:// artifact stores at start: the identity loads and the bucket answers.

The server builds its artifact repository at the first artifact request, so without this check a
wrong key path, principal or bucket would only show as a failed request, once per client call.
The wording of the bucket error is shared with the repository (mlflow_oci_artifacts), which
reports the same problem when it arises later (a bucket deleted while the server runs).
"""

import dataclasses
import os

from .config import ConfigError, parse_oci_uri
from .oci_identity import make_client, one_line

OCI_TIMEOUT = (10, 30)           # connect, read seconds for the start-up check


def bucket_refusal(uri, location, code, iam_type):
    """The message for OCI's 404 on a bucket: it does not exist, or no policy lets us see it.
    `code` is None for a HEAD (no body to carry it)."""
    status = f"OCI 404 {code}" if code else "OCI 404"
    return (f"{uri}: bucket {location.bucket!r} not found in namespace {location.namespace!r} or "
            f"not authorized ({status}): create it, or let the {iam_type} principal manage "
            "objects in it (OCIFS_IAM_TYPE)")


def oci_artifact_store(config):
    """(variable, uri) of the oci:// location the server itself writes to, or None."""
    if config.serve_artifacts:
        candidates = (("MLFLOW_ARTIFACTS_DESTINATION", config.artifacts_destination),)
    else:
        candidates = (("MLFLOW_DEFAULT_ARTIFACT_ROOT", config.default_artifact_root),)
    return next(((name, uri) for name, uri in candidates if uri and uri.startswith("oci://")), None)


def check_oci_artifact_store(config, environ=None):
    """Config, with a warning if OCI is unreachable (the tracking server is still useful, and
    artifact calls will say what is wrong); ConfigError if the oci:// store cannot be used.
    Called by `serve` like resolve_backend: config = check_oci_artifact_store(config)."""
    warnings = _problems(config, os.environ if environ is None else environ)
    return dataclasses.replace(config, warnings=config.warnings + tuple(warnings)) if warnings else config


def _problems(config, environ):
    store = oci_artifact_store(config)
    if store is None:
        return []
    import oci  # noqa: PLC0415 - only oci:// stores need the SDK
    name, uri = store
    location = parse_oci_uri(uri, name)
    client, region = make_client(oci.object_storage.ObjectStorageClient, config.iam_type, environ,
                                 name, timeout=OCI_TIMEOUT,
                                 retry_strategy=oci.retry.NoneRetryStrategy())
    try:
        client.head_bucket(location.namespace, location.bucket)
    except oci.exceptions.ServiceError as exc:
        if exc.status == 404:
            raise ConfigError(name, bucket_refusal(uri, location, exc.code, config.iam_type)) from None
        if exc.status in (401, 403):
            raise ConfigError(name, f"{uri}: OCI refused the {config.iam_type} credentials "
                                    f"({exc.status} {exc.code}); check OCIFS_IAM_TYPE and the "
                                    "key/principal") from None
        return [f"{name}: {uri}: OCI answered {exc.status} {exc.code} at start"]
    except (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout, OSError) as exc:
        return [f"{name}: {uri}: Object Storage is unreachable from the container (region "
                f"{region}): {one_line(exc)}; artifact calls will fail until it is reachable"]
    return []
