"""The optional docker --env-file (MLFLOW_ENV_FILE, default /run/mlflow/mlflow.env)."""

import os

from .config import DEFAULT_ENV_FILE, ConfigError


def _readable(path):
    return os.access(path, os.R_OK)


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
