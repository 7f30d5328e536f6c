"""The command line: serve (the default), db-upgrade, db-create, backup, restore, healthcheck and print-command."""

import dataclasses
import json
import os
import sys

from .artifacts import check_oci_artifact_store
from .backup import backup_command, describe_backup, make_targets, parse_keep, restore_command, take_backup
from .auth import prepare_logins
from .command import build_command, check_extra_args, check_port_free, log_line, prepare_dirs
from .config import PROG, SECRET_NAME_RE, ConfigError, auth_database_uri, load_config, redact_uri
from .database import wait_for_database
from .drain import new_marker, serve_draining
from .envfile import merged_environ
from .health import healthcheck
from .provision import db_create
from .schema import AUTH, print_report, upgrade_schema, with_auth
from .vault import resolve_auth, resolve_backend


def _redact_env(name, value):
    if SECRET_NAME_RE.search(name):
        return "***"
    return redact_uri(value) if "://" in value else value


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


def _ready_backend(config):
    """Local directories made, the Vault secrets read, the database answering: the config to use."""
    prepare_dirs(config)
    config = resolve_auth(resolve_backend(config))
    if config.mysql is not None and config.db_wait > 0:
        wait_for_database(config.mysql, config.db_wait)
    return config


DB_UPGRADE_OPTIONS = ("--backup-dir", "--backup-bucket", "--backup-keep")


def _db_upgrade_args(extra_args):
    """--check, and where to take the backup before a change (--backup-dir/--backup-bucket/--backup-keep)."""
    args, values = list(extra_args), {"--check": False}
    while args:
        option = args.pop(0)
        if option == "--check":
            values[option] = True
        elif option in DB_UPGRADE_OPTIONS and args:
            values[option] = args.pop(0)
        else:
            raise ConfigError(option, "db-upgrade takes only --check and --backup-dir, --backup-bucket, "
                                      "--backup-keep VALUE")
    return values


def _schema_reports(config, check, password):
    report = upgrade_schema(config.backend_uri, check=check, password=password)
    if config.auth is not None:   # after the tracking schema: it shares a MySQL database
        report = with_auth(report, upgrade_schema(auth_database_uri(config), check=check,
                                                  password=password, schema=AUTH))
    return report


def db_upgrade(config, extra_args):
    """Create or upgrade the schema once, before a server of this image is started on it; with a backup
    place, back up an existing database first whenever the step is about to change its schema."""
    options = _db_upgrade_args(extra_args)
    config = _ready_backend(config)
    password = config.mysql.password if config.mysql is not None else None
    check = options["--check"]
    backup = None
    if not check and (options.get("--backup-dir") or options.get("--backup-bucket")):
        planned = _schema_reports(config, True, password)
        if planned["changed"] and planned["from"] is not None:
            targets = make_targets(config, options.get("--backup-dir"), options.get("--backup-bucket"))
            keep = parse_keep(options.get("--backup-keep") or 0)
            backup = take_backup(config, targets, keep)
            print(describe_backup(backup).replace(f"{PROG}: backup", f"{PROG}: before the schema change, backup", 1),
                  file=sys.stderr, flush=True)
    report = _schema_reports(config, check, password)
    if backup is not None:
        report["backup"] = {k: backup[k] for k in ("id", "locations", "schema_revision")}
    print_report(report)
    return 0


def serve(config, extra_args):
    config = check_oci_artifact_store(_ready_backend(config))
    check_port_free(config)
    _print_warnings(config)
    if config.auth is not None:
        child_env, line = prepare_logins(config)
        config = dataclasses.replace(config, child_env=child_env)
        print(line, file=sys.stderr, flush=True)
    argv, env = build_command(config, extra_args)
    print(log_line(config), file=sys.stderr, flush=True)
    try:
        if config.drain > 0:
            return serve_draining(argv, env, config.drain, new_marker())
        # exec, not subprocess: dumb-init's signals then reach MLflow directly.
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        print(f"{PROG}: error: MLFLOW_LAUNCHER_MLFLOW_BIN: cannot run {argv[0]}: {exc.strerror}",
              file=sys.stderr)
        return 127


COMMANDS = ("serve", "db-upgrade", "db-create", "backup", "restore", "healthcheck", "print-command")


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
        config = load_config(environ)
        if command == "print-command":
            check_extra_args(extra_args)
            return print_command(config, extra_args, os.environ)
        # The env file configures this process as well: the OCI SDK reads proxies, the CA bundle
        # and region metadata from the environment when the launcher fetches the database secret.
        os.environ.update(environ)
        if command == "db-upgrade":
            return db_upgrade(config, extra_args)
        if command == "db-create":
            return db_create(resolve_backend(config), extra_args)
        if command == "backup":
            return backup_command(_ready_backend(config), extra_args)
        if command == "restore":
            return restore_command(_ready_backend(config), extra_args)
        check_extra_args(extra_args)
        return serve(config, extra_args)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc.variable}: {exc.message}", file=sys.stderr)
        # Docker reserves health exit code 2: a broken config is simply "unhealthy".
        return 1 if command == "healthcheck" else 2
