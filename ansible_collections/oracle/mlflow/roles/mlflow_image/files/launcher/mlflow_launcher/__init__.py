"""Turn the image's env contract into an `mlflow server` command.

Stdlib only, except where a feature needs the image's packages: the `oci` SDK (DB_SECRET_OCID,
oci:// artifact stores) and mysql-connector (the database wait) are imported inside the functions
that use them.

Usage: mlflow-launcher [serve|db-upgrade|db-create|backup|restore|healthcheck|print-command] [args]
(the image runs `python -m mlflow_launcher`).

This is the only place that knows how the contract (MLFLOW_HOST, BACKEND_PROVIDER, DB*, ...)
maps onto `mlflow server`; roles and playbooks only write variables. Secrets never reach argv:
the backend URI travels to MLflow in the MLFLOW_BACKEND_STORE_URI env var, which its CLI reads.
Every configuration error is one line on stderr and exit code 2, naming the variable to fix.

One job per module: config (the env contract), envfile, command (argv, directories), oci_identity
(OCIFS_IAM_TYPE, for every OCI client), artifacts (the oci:// store at start), vault
(DB_SECRET_OCID), database (the wait), schema (db-upgrade), provision (db-create), backup (backup,
restore), health (healthcheck), cli (main). The names below are re-exported for callers and tests;
to replace one of them, patch the module that uses it.
"""

from .artifacts import check_oci_artifact_store
from .cli import COMMANDS, main, print_command, serve
from .command import MANAGED_OPTIONS, build_command, check_extra_args, log_line, prepare_dirs
from .config import (
    CONSUMED_VARS, DEFAULT_DATA_DIR, DEFAULT_DB_WAIT, DEFAULT_MLFLOW_BIN, MAX_DB_WAIT, MAX_WORKERS,
    PROG, Config, ConfigError, MysqlTarget, load_config, load_host, load_port, redact_uri,
)
from .database import classify_db_error, wait_for_database
from .envfile import DEFAULT_ENV_FILE, merged_environ, read_env_file
from .health import HEALTH_TIMEOUT, health_url, healthcheck
from .oci_identity import ROOT_OCI_DIR, client_args, load_api_key_config, make_client
from .vault import OCI_TIMEOUT, parse_ads_secret, read_secret_bundle, resolve_backend

__all__ = [
    "COMMANDS", "CONSUMED_VARS", "Config", "ConfigError", "DEFAULT_DATA_DIR", "DEFAULT_DB_WAIT",
    "DEFAULT_ENV_FILE", "DEFAULT_MLFLOW_BIN", "HEALTH_TIMEOUT", "MANAGED_OPTIONS", "MAX_DB_WAIT",
    "MAX_WORKERS", "MysqlTarget", "OCI_TIMEOUT", "PROG", "ROOT_OCI_DIR", "build_command",
    "check_extra_args", "check_oci_artifact_store", "classify_db_error", "client_args",
    "health_url", "healthcheck", "load_api_key_config", "load_config", "load_host", "load_port",
    "log_line", "main", "make_client", "merged_environ",
    "parse_ads_secret", "prepare_dirs", "print_command", "read_env_file", "read_secret_bundle",
    "redact_uri", "resolve_backend", "serve", "wait_for_database",
]
