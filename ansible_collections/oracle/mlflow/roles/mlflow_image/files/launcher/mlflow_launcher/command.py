"""The `mlflow server` command line, the local directories it needs and its start-up log line."""

import errno
import os
import socket

from .config import PROG, ConfigError, redact_uri

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
# The server app: MLflow's own, with the artifact boundary (mlflow_boundary, an mlflow.app entry point).
APP_NAME = "oci-mlflow"


def check_extra_args(extra_args):
    """Refuse extra args for options the env contract owns (one source of truth)."""
    for arg in extra_args:
        option = arg.split("=", 1)[0]
        if option == "--app-name":
            raise ConfigError(option, f"the server always runs the image's app ({APP_NAME}: MLflow's app "
                              "with the artifact boundary); MLFLOW_ARTIFACTS_ALLOWED_ROOTS widens the boundary")
        if option in MANAGED_OPTIONS:
            raise ConfigError(option, f"set {MANAGED_OPTIONS[option]} instead of passing {option}")


def build_command(config, extra_args=()):
    """Returns (argv, child_env). Allowed hosts and CORS origins go through the env only:
    MLflow 3.17 refuses them as CLI options together with --gunicorn-opts."""
    argv = [config.mlflow_bin, "server", "--host", config.host, "--port", str(config.port),
            "--workers", str(config.workers), "--app-name", APP_NAME]
    argv += [f"--{config.server}-opts", config.server_opts]
    if config.serve_artifacts:
        argv += ["--serve-artifacts", "--artifacts-destination", config.artifacts_destination]
    else:
        argv.append("--no-serve-artifacts")
    argv += ["--default-artifact-root", config.default_artifact_root, *extra_args]
    return argv, dict(config.child_env)


def _writable(path):
    return os.access(path, os.W_OK | os.X_OK)


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


def check_port_free(config):
    """Refuse to start when another process holds the listening address: MLflow would log the bind
    error and exit 0, which a restart policy turns into a silent loop."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As uvicorn binds: SO_REUSEADDR, so a port in TIME_WAIT is not taken for a busy one.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((config.host, config.port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError("MLFLOW_PORT", f"{config.host}:{config.port} is already in use by another "
                              "process on this host; stop it, or set another MLFLOW_PORT") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ConfigError("MLFLOW_HOST", f"{config.host} is not an address of this host "
                              "(or of the container's network); use one it has, or 0.0.0.0") from None
        raise ConfigError("MLFLOW_PORT", f"cannot listen on {config.host}:{config.port}: "
                          f"{exc.strerror or exc}") from None
    finally:
        probe.close()


def _free_space(path):
    """Free bytes for this uid under path, as text ('unknown' if it cannot be measured)."""
    try:
        stat = os.statvfs(path)
    except OSError:
        return "unknown free"
    return f"{stat.f_bavail * stat.f_frsize / 2**30:.1f} GiB free"


def log_line(config):
    artifacts = config.artifacts_destination if config.serve_artifacts \
        else config.default_artifact_root
    # The temp space bounds the largest artifact the server can proxy back to a client.
    tmpdir = f" tmpdir={config.tmpdir} ({_free_space(config.tmpdir)})" if config.tmpdir else ""
    return (f"{PROG}: starting mlflow server: host={config.host} port={config.port} "
            f"workers={config.workers} server={config.server} "
            f"backend={redact_uri(config.backend_uri)} "
            f"serve_artifacts={'yes' if config.serve_artifacts else 'no'} artifacts={artifacts}"
            f"{tmpdir}")
