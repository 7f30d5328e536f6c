"""Backups of the tracking server's data, and their restore: `mlflow-launcher backup` and `restore`.

Run in a one-off container of the server's image with the server's own settings (env file, volumes,
network, OCI identity), so they read the database the server reads, with its credentials:
- sqlite: SQLite's online backup API copies mlflow.db (and basic_auth.db with logins) while the server
  runs: a consistent snapshot, not a file copy caught half-way through a write;
- MySQL: a logical dump taken inside one `START TRANSACTION WITH CONSISTENT SNAPSHOT` (InnoDB: every
  table as of one instant, writers not blocked) through mysql-connector, the image's own driver: the
  password stays in this process (no client program, no command line). With logins, the auth tables
  live in the same database and are in the dump;
- local artifacts (a local MLFLOW_ARTIFACTS_DESTINATION, or a local default root) as a tar; artifacts in
  Object Storage are not copied, and the manifest says so.

A backup is a directory `mlflow-<UTC time>-<schema revision>` of gzip files and a `manifest.json` (sizes
and SHA-256 of each file, the schema revisions, the row count of each table), written to a host
directory mounted in the container and/or streamed to an `oci://bucket@namespace/prefix` with the server's
identity (the image's oci:// artifact repository: multipart, nothing staged). The manifest is written last:
a backup without one is incomplete and never restored. Retention keeps the newest N complete backups.

A restore verifies the backup (its schema is one this image's MLflow knows, every checksum, the row
counts) before it changes anything, then replaces the database and the local artifacts; `db-upgrade`
brings the schema to the image's revision afterwards.

MLflow, the oci SDK and mysql-connector are imported inside the functions that use them.
"""

import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import sys
import tarfile
import zlib

from .config import MLFLOW_VERSION, PROG, ConfigError, auth_database_uri, redacted_line

VARIABLE = "backup"
FORMAT = 1
MANIFEST = "manifest.json"
NAME_RE = re.compile(r"^mlflow-(?P<time>[0-9]{8}T[0-9]{6}Z)-(?P<revision>[0-9A-Za-z_]+)$")
CHUNK = 1024 * 1024
GZIP_LEVEL = 6                   # 9 costs twice the CPU for a few percent on these files
STATEMENT_BYTES = 1024 * 1024    # an INSERT of the dump stays well under max_allowed_packet (16 MiB+)
ROWS_PER_FETCH = 1000
TRACKING_VERSION_TABLE = "alembic_version"
AUTH_VERSION_TABLE = "alembic_version_auth"
CHANGING = f"{PROG}: restore: the backup checks out; replacing the data now"
OBJECT_STORAGE_NOTE = ("artifacts in Object Storage are not copied: they stay in the bucket (keep it versioned "
                       "or replicated); the runs restored point at them")


def _fail(message, variable=VARIABLE):
    return ConfigError(variable, message)


def _quote_ident(name):
    return "`" + name.replace("`", "``") + "`"


# ---------------------------------------------------------------- writers and targets

class _Counted:
    """A write-only file object that sends every byte to several writers, counting and hashing them."""

    def __init__(self, writers):
        self.writers = writers
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data):
        data = bytes(data)
        for writer in self.writers:
            writer.write(data)
        self.size += len(data)
        self.sha256.update(data)
        return len(data)

    def flush(self):
        pass


class _LocalFile:
    def __init__(self, path):
        self.handle = open(path, "xb")  # noqa: SIM115 - closed by close()/abort()

    def write(self, data):
        self.handle.write(data)

    def close(self):
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()

    def abort(self):
        self.handle.close()


class DirTarget:
    """Backups as directories under a directory of the host, mounted in the container."""

    kind = "dir"

    def __init__(self, path):
        if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
            raise _fail(f"the backup directory {path} is not a directory this uid ({os.getuid()}) can "
                        "write: on the host, create it owned by that uid (the mlflow_backup role does)")
        self.path = path
        self.partial = None

    def where(self, backup_id):
        return os.path.join(self.path, backup_id)

    def begin(self, backup_id):
        self.partial = os.path.join(self.path, f".{backup_id}.partial")
        shutil.rmtree(self.partial, ignore_errors=True)
        os.mkdir(self.partial, 0o700)
        self.backup_id = backup_id

    def open(self, name):
        return _LocalFile(os.path.join(self.partial, name))

    def commit(self):
        with open(os.path.join(self.partial, MANIFEST), "rb") as handle:
            os.fsync(handle.fileno())
        os.rename(self.partial, self.where(self.backup_id))

    def abort(self):
        if self.partial:
            shutil.rmtree(self.partial, ignore_errors=True)

    def backups(self):
        """Complete backups, oldest first."""
        names = [n for n in os.listdir(self.path) if NAME_RE.match(n)
                 and os.path.isfile(os.path.join(self.path, n, MANIFEST))]
        return sorted(names, key=_sort_key)

    def incomplete(self):
        """What a backup that died left behind (never restored; removed by the next backup)."""
        return [n for n in os.listdir(self.path)
                if n.startswith(".mlflow-") and n.endswith(".partial")
                or NAME_RE.match(n) and not os.path.isfile(os.path.join(self.path, n, MANIFEST))]

    def delete(self, backup_id):
        shutil.rmtree(os.path.join(self.path, backup_id))

    def read(self, backup_id, name):
        return open(os.path.join(self.path, backup_id, name), "rb")  # noqa: SIM115


class _ObjectFile:
    def __init__(self, upload):
        self.upload = upload

    def write(self, data):
        self.upload.write(data)

    def close(self):
        self.upload.finish()

    def abort(self):
        self.upload.abort()


class BucketTarget:
    """Backups as objects `<prefix><backup id>/<file>` in an Object Storage bucket, written and read with the
    server's identity by the image's oci:// artifact repository (streamed, multipart)."""

    kind = "bucket"

    def __init__(self, uri, staging):
        from mlflow.exceptions import MlflowException  # noqa: PLC0415 - heavy; only a bucket target needs it
        from mlflow_oci_artifacts import OciArtifactRepository  # noqa: PLC0415
        self.uri = uri if uri.endswith("/") else uri + "/"
        self.staging = staging
        self.errors = MlflowException
        try:
            self.repo = OciArtifactRepository(self.uri)
        except MlflowException as exc:
            raise _fail(f"{uri}: {exc.message}") from None
        self.backup_id = None

    @contextlib.contextmanager
    def _calls(self):
        try:
            yield
        except self.errors as exc:
            raise _fail(f"{self.uri}: {' '.join(exc.message.split())[:400]}") from None

    def where(self, backup_id):
        return f"{self.uri}{backup_id}/"

    def begin(self, backup_id):
        self.backup_id = backup_id

    def open(self, name):
        with self._calls():
            return _ObjectFile(self.repo.stream_writer(f"{self.backup_id}/{name}"))

    def commit(self):
        pass        # the manifest, written last, is what makes the backup complete

    def abort(self):
        if self.backup_id:
            with contextlib.suppress(Exception):
                self.repo.delete_artifacts(self.backup_id)

    def _listing(self):
        with self._calls():
            return [f.path for f in self.repo.list_artifacts("") if f.is_dir and NAME_RE.match(f.path)]

    def _complete(self, backup_id):
        with self._calls():
            return any(f.path == f"{backup_id}/{MANIFEST}" for f in self.repo.list_artifacts(backup_id))

    def backups(self):
        return sorted((n for n in self._listing() if self._complete(n)), key=_sort_key)

    def incomplete(self):
        complete = self.backups()
        newest = complete[-1] if complete else None
        # Only those older than the newest complete one: a younger one may be a backup still running elsewhere.
        return [n for n in self._listing() if n not in complete and newest and _sort_key(n) < _sort_key(newest)]

    def delete(self, backup_id):
        with self._calls():
            self.repo.delete_artifacts(backup_id)

    def read(self, backup_id, name):
        """The object, downloaded to the staging directory (on the data volume) first."""
        os.makedirs(self.staging, mode=0o700, exist_ok=True)
        with self._calls():
            path = self.repo.download_artifacts(f"{backup_id}/{name}", self.staging)
        return _Unlinking(path)


class _Unlinking(io.FileIO):
    """A downloaded file that is deleted when closed."""

    def __init__(self, path):
        super().__init__(path, "rb")
        self.path = path

    def close(self):
        super().close()
        with contextlib.suppress(OSError):
            os.remove(self.path)


def _sort_key(backup_id):
    match = NAME_RE.match(backup_id)
    return (match["time"], backup_id) if match else ("", backup_id)


def make_targets(config, directory, bucket):
    targets = []
    if directory:
        targets.append(DirTarget(directory))
    if bucket:
        if not bucket.startswith("oci://"):
            raise _fail(f"{bucket!r}: the backup bucket must be an oci://bucket@namespace/prefix location")
        targets.append(BucketTarget(bucket, os.path.join(config.tmpdir, "backup-restore")))
    if not targets:
        raise _fail("give a backup directory (--dir) or an oci:// bucket (--bucket), or both")
    return targets


# ---------------------------------------------------------------- what gets backed up

def local_artifact_dir(config):
    """The local directory the server keeps artifacts in, or None when they live elsewhere (oci://)."""
    location = config.artifacts_destination if config.serve_artifacts else config.default_artifact_root
    if location and location.startswith("file://"):
        location = location[len("file://"):]
    return location if location and location.startswith("/") else None


def _artifact_note(config):
    location = config.artifacts_destination if config.serve_artifacts else config.default_artifact_root
    return location, OBJECT_STORAGE_NOTE if location and location.startswith("oci://") else \
        "artifacts outside this server's storage are not copied"


def _table_counts_sqlite(connection):
    tables = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _sqlite_revision(connection, table):
    try:
        row = connection.execute(f"SELECT version_num FROM {table}").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def sqlite_snapshot(source, dest):
    """Copy the live database `source` to `dest` with SQLite's online backup API (one step: a consistent
    snapshot; the server's writers wait for the copy, or it waits for them), and check the copy."""
    if not os.path.isfile(source):
        raise _fail(f"there is no database at {source}: nothing to back up (has the server ever started?)")
    with contextlib.suppress(FileNotFoundError):
        os.remove(dest)
    src = sqlite3.connect(source, timeout=60)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise _fail(f"the copy of {source} does not pass SQLite's quick_check ({verdict}): the "
                            "database itself is damaged")
            return _sqlite_revision(dst, TRACKING_VERSION_TABLE), _table_counts_sqlite(dst), \
                _sqlite_revision(dst, AUTH_VERSION_TABLE)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise _fail(f"cannot copy {source}: {redacted_line(exc)}") from None
    finally:
        src.close()


def _copy_stream(source, out):
    while chunk := source.read(CHUNK):
        out.write(chunk)


# ---------------------------------------------------------------- MySQL dump

def _string_literal(text):
    """A MySQL string literal (backslash escapes: the dump sets a sql_mode without NO_BACKSLASH_ESCAPES);
    newlines escaped, so every statement of the dump is one line."""
    escaped = (text.replace("\\", "\\\\").replace("'", "\\'").replace("\0", "\\0")
               .replace("\n", "\\n").replace("\r", "\\r").replace("\x1a", "\\Z"))
    return "'" + escaped + "'"


def sql_literal(value):
    """A Python value from mysql-connector as the SQL literal that stores it back."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)       # shortest text that reads back as the same double
    if isinstance(value, (bytes, bytearray)):
        return "X'" + bytes(value).hex() + "'"
    if isinstance(value, datetime.timedelta):   # TIME columns
        seconds = int(value.total_seconds())
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        return _string_literal(f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
                               f".{value.microseconds:06d}")
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return _string_literal(value.isoformat(sep=" ") if isinstance(value, datetime.datetime)
                               else value.isoformat())
    if isinstance(value, (set, frozenset)):
        return _string_literal(",".join(sorted(value)))
    return _string_literal(str(value))      # str, Decimal, JSON text


DUMP_HEADER = (
    "SET NAMES utf8mb4;",
    "SET time_zone = '+00:00';",
    "SET foreign_key_checks = 0;",
    "SET unique_checks = 0;",
    "SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO';",
)


def _mysql_connect(target):
    import mysql.connector  # noqa: PLC0415 - only BACKEND_PROVIDER=mysql needs it
    return mysql.connector.connect(user=target.user, password=target.password, host=target.host,
                                   port=target.port, database=target.database, connection_timeout=30,
                                   use_pure=True, charset="utf8mb4", autocommit=False)


class MysqlSnapshot:
    """One consistent read of the whole database: its revisions and row counts first, then the dump."""

    def __init__(self, target, connect=_mysql_connect):
        self.target = target
        self.connection = connect(target)
        cursor = self.connection.cursor()
        for statement in ("SET SESSION time_zone = '+00:00'",
                          "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                          "START TRANSACTION WITH CONSISTENT SNAPSHOT"):
            cursor.execute(statement)
        cursor.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
        self.tables = sorted(row[0] for row in cursor.fetchall())
        self.counts = {}
        for table in self.tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote_ident(table)}")
            self.counts[table] = cursor.fetchall()[0][0]
        self.revision = self._revision(cursor, TRACKING_VERSION_TABLE)
        self.auth_revision = self._revision(cursor, AUTH_VERSION_TABLE)
        cursor.close()

    def _revision(self, cursor, table):
        if table not in self.tables:
            return None
        cursor.execute(f"SELECT version_num FROM {table}")
        rows = cursor.fetchall()
        return rows[0][0] if rows else None

    def dump(self, out):
        """Write the dump, one statement per line, as the mysql client could also load it."""
        def line(text):
            out.write(text.encode("utf-8") + b"\n")
        line(f"-- oracle.mlflow backup of database {_quote_ident(self.target.database)}: MLflow schema revision "
             f"{self.revision}, {len(self.tables)} tables")
        for statement in DUMP_HEADER:
            line(statement)
        cursor = self.connection.cursor()
        for table in self.tables:
            cursor.execute(f"SHOW CREATE TABLE {_quote_ident(table)}")
            ddl = cursor.fetchall()[0][1]
            line(f"DROP TABLE IF EXISTS {_quote_ident(table)};")
            line(" ".join(ddl.split("\n")) + ";")
            cursor.execute(f"SELECT * FROM {_quote_ident(table)}")
            head = (f"INSERT INTO {_quote_ident(table)} ("
                    + ",".join(_quote_ident(c) for c in cursor.column_names) + ") VALUES ")
            batch, size = [], len(head)
            while rows := cursor.fetchmany(ROWS_PER_FETCH):
                for row in rows:
                    values = "(" + ",".join(sql_literal(v) for v in row) + ")"
                    if batch and size + len(values) + 1 > STATEMENT_BYTES:
                        line(head + ",".join(batch) + ";")
                        batch, size = [], len(head)
                    batch.append(values)
                    size += len(values) + 1
            if batch:
                line(head + ",".join(batch) + ";")
        cursor.close()

    def close(self):
        with contextlib.suppress(Exception):
            self.connection.rollback()
        with contextlib.suppress(Exception):
            self.connection.close()


def mysql_load(target, dump, connect=_mysql_connect):
    """Drop every table of the database, then run the dump's statements; returns the tables' row counts."""
    connection = connect(target)
    try:
        cursor = connection.cursor()
        cursor.execute("SET foreign_key_checks = 0")
        cursor.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
        for row in cursor.fetchall():        # (name, type)
            cursor.execute(f"DROP TABLE {_quote_ident(row[0])}")
        for raw in dump:
            statement = raw.decode("utf-8").rstrip("\n")
            if statement and not statement.startswith("--"):
                cursor.execute(statement)
                if cursor.with_rows:
                    cursor.fetchall()
        connection.commit()
        cursor.execute("SET foreign_key_checks = 1")
        cursor.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
        tables = sorted(row[0] for row in cursor.fetchall())
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote_ident(table)}")
            counts[table] = cursor.fetchall()[0][0]
        return counts
    finally:
        connection.close()


# ---------------------------------------------------------------- taking a backup

def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class _Backup:
    """Files written to every target at once, each counted and hashed; the manifest last."""

    def __init__(self, targets, backup_id):
        self.targets, self.backup_id, self.files = targets, backup_id, []
        for target in targets:
            target.begin(backup_id)

    def file(self, name, what, produce, compress=True):
        writers = [target.open(name) for target in self.targets]
        counted = _Counted(writers)
        try:
            if compress:
                with gzip.GzipFile(filename="", mode="wb", fileobj=counted, compresslevel=GZIP_LEVEL,
                                   mtime=0) as packed:
                    produce(packed)
            else:
                produce(counted)
        except BaseException:
            for writer in writers:
                with contextlib.suppress(Exception):
                    writer.abort()
            raise
        for writer in writers:
            writer.close()
        self.files.append({"name": name, "what": what, "size": counted.size,
                           "sha256": counted.sha256.hexdigest()})

    def commit(self, manifest):
        text = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
        self.file(MANIFEST, "manifest", lambda out: out.write(text), compress=False)
        for target in self.targets:
            target.commit()

    def abort(self):
        for target in self.targets:
            target.abort()


def _tar_artifacts(directory):
    def produce(out):
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            tar.add(directory, arcname=".", recursive=True)
    return produce


def _artifact_stats(directory):
    files = size = 0
    for root, _dirs, names in os.walk(directory):
        for name in names:
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(root, name)).st_size
                files += 1
    return files, size


def take_backup(config, targets, keep=0, now=_now, mysql_snapshot=MysqlSnapshot):
    """Back up the database (and local artifacts) to every target; returns the report dict. The files are
    the server's uid's only (0600): they hold the whole database."""
    umask = os.umask(0o077)
    try:
        return _take_backup(config, targets, keep, now, mysql_snapshot)
    finally:
        os.umask(umask)


def _take_backup(config, targets, keep, now, mysql_snapshot):
    started = now()
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    staging = os.path.join(config.tmpdir, f"backup-{stamp}")
    with contextlib.ExitStack() as cleanup:
        if config.mysql is not None:
            try:
                snapshot = mysql_snapshot(config.mysql)
            except ConfigError:
                raise
            except Exception as exc:  # noqa: BLE001 - driver errors vary; one line
                raise _fail(f"cannot read database {config.mysql.database!r} on {config.mysql.host}:"
                            f"{config.mysql.port}: {redacted_line(exc, config.mysql.password)}") from None
            cleanup.callback(snapshot.close)
            revision, counts, auth_revision = snapshot.revision, snapshot.counts, snapshot.auth_revision
            database = {"backend": "mysql", "database": config.mysql.database, "host": config.mysql.host}
            files = [("mlflow.sql.gz", "database", snapshot.dump)]
        else:
            os.makedirs(staging, mode=0o700, exist_ok=True)
            cleanup.callback(shutil.rmtree, staging, True)
            copy = os.path.join(staging, "mlflow.db")
            revision, counts = sqlite_snapshot(config.sqlite_file, copy)[:2]
            auth_revision = None
            database = {"backend": "sqlite", "file": os.path.basename(config.sqlite_file)}
            files = [("mlflow.db.gz", "database", _file_producer(copy))]
            auth_file = auth_database_uri(config)[len("sqlite:///"):] if config.auth is not None else None
            if auth_file and os.path.isfile(auth_file):
                auth_copy = os.path.join(staging, "basic_auth.db")
                auth_counts = sqlite_snapshot(auth_file, auth_copy)
                auth_revision = auth_counts[2]
                database["auth_tables"] = auth_counts[1]
                files.append(("basic_auth.db.gz", "auth database", _file_producer(auth_copy)))
        backup_id = f"mlflow-{stamp}-{revision or 'empty'}"
        artifacts_dir = local_artifact_dir(config)
        if artifacts_dir and os.path.isdir(artifacts_dir):
            count, size = _artifact_stats(artifacts_dir)
            artifacts = {"location": artifacts_dir, "included": True, "files": count, "bytes": size}
            files.append(("artifacts.tar.gz", "local artifacts", _tar_artifacts(artifacts_dir)))
        else:
            location, note = _artifact_note(config)
            artifacts = {"location": location, "included": False, "note": note}
        backup = _Backup(targets, backup_id)
        try:
            for name, what, produce in files:
                backup.file(name, what, produce)
            manifest = {
                "format": FORMAT, "id": backup_id, "created": started.isoformat(timespec="seconds"),
                "mlflow_version": MLFLOW_VERSION, "schema_revision": revision,
                "auth_schema_revision": auth_revision, "database": database, "tables": counts,
                "artifacts": artifacts, "files": backup.files,
            }
            backup.commit(manifest)
        except BaseException:
            backup.abort()
            raise
    deleted = apply_retention(targets, keep) if keep > 0 else {}
    return {"changed": True, "id": backup_id, "schema_revision": revision,
            "locations": [t.where(backup_id) for t in targets], "files": backup.files,
            "artifacts_included": artifacts["included"], "deleted": deleted}


def _file_producer(path):
    def produce(out):
        with open(path, "rb") as source:
            _copy_stream(source, out)
    return produce


def apply_retention(targets, keep):
    """Keep the newest `keep` complete backups in each target; also drop incomplete leftovers."""
    deleted = {}
    for target in targets:
        complete = target.backups()
        old = complete[:-keep] if len(complete) > keep else []
        gone = []
        for backup_id in old + target.incomplete():
            with contextlib.suppress(OSError):
                target.delete(backup_id)
                gone.append(backup_id)
        deleted[target.kind] = gone
    return deleted


# ---------------------------------------------------------------- restoring

def known_revisions():
    """(tracking revisions, auth revisions) this image's MLflow has migrations for."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - heavy; only restore needs it
    from mlflow.server.auth.db import utils as auth_utils  # noqa: PLC0415
    from mlflow.store.db import utils  # noqa: PLC0415
    url = "sqlite:////nonexistent/mlflow.db"    # the scripts' location does not depend on it
    tracking = {r.revision for r in ScriptDirectory.from_config(utils._get_alembic_config(url)).walk_revisions()}
    auth = {r.revision for r in ScriptDirectory.from_config(auth_utils._get_alembic_config(url)).walk_revisions()}
    return tracking, auth


def find_backup(target, backup_id):
    backups = target.backups()
    if backup_id in (None, "", "latest"):
        if not backups:
            raise _fail(f"there is no complete backup in {target.where('')} to restore")
        return backups[-1]
    if backup_id not in backups:
        near = ", ".join(backups[-3:]) or "none"
        raise _fail(f"no complete backup {backup_id!r} in {target.where('')} (the newest: {near})")
    return backup_id


def read_manifest(target, backup_id):
    try:
        with target.read(backup_id, MANIFEST) as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise _fail(f"the manifest of backup {backup_id} cannot be read: {redacted_line(exc)}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("id") != backup_id:
        raise _fail(f"the manifest of backup {backup_id} is not a format {FORMAT} manifest of that backup")
    return manifest


def check_backup(config, manifest, revisions=known_revisions):
    """Refuse, in one line, a backup this server cannot take: another backend, a newer schema."""
    backup_id = manifest["id"]
    backend = manifest.get("database", {}).get("backend")
    ours = "mysql" if config.mysql is not None else "sqlite"
    if backend != ours:
        raise _fail(f"backup {backup_id} is of a {backend} database; this server uses {ours}: restore it onto "
                    f"a server with the {backend} backend")
    tracking, auth = revisions()
    for label, revision, known in (("MLflow schema", manifest.get("schema_revision"), tracking),
                                   ("MLflow auth schema", manifest.get("auth_schema_revision"), auth)):
        if revision is not None and revision not in known:
            raise _fail(f"backup {backup_id} has {label} revision {revision}, newer than this image's MLflow "
                        f"{MLFLOW_VERSION} knows (it was made by MLflow {manifest.get('mlflow_version')}): "
                        "restore it with an image of that MLflow version or newer")


def _verified_copy(target, backup_id, entry, dest, unpack):
    """Copy one file of the backup to `dest` (unpacked when `unpack`), checking its size and SHA-256."""
    digest, size, unpack_error = hashlib.sha256(), 0, None
    with target.read(backup_id, entry["name"]) as source, open(dest, "wb") as out:
        reader = _Hashing(source, digest)
        if unpack:
            try:
                with gzip.GzipFile(fileobj=reader, mode="rb") as unpacked:
                    _copy_stream(unpacked, out)
            except (OSError, EOFError, zlib.error) as exc:   # a damaged file: its checksum says so below
                unpack_error = exc
        else:
            _copy_stream(reader, out)
        _copy_stream(reader, io.BytesIO())   # any trailing bytes count too
        size = reader.size
    if size != entry["size"] or digest.hexdigest() != entry["sha256"] or unpack_error is not None:
        raise _fail(f"backup {backup_id}: {entry['name']} is damaged ({size} bytes, SHA-256 "
                    f"{digest.hexdigest()[:12]}..., the manifest says {entry['size']} bytes, "
                    f"{entry['sha256'][:12]}...): nothing was changed; restore another backup")


class _Hashing:
    def __init__(self, source, digest):
        self.source, self.digest, self.size = source, digest, 0

    def read(self, n=-1):
        data = self.source.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _safe_members(tar, backup_id):
    for member in tar:
        name = os.path.normpath(member.name)
        if name.startswith(("/", "..")) or not (member.isfile() or member.isdir()):
            raise _fail(f"backup {backup_id}: artifacts.tar.gz holds {member.name!r}, which is not a file or "
                        "directory inside the artifact store: nothing was changed")
        yield name, member


def _unpack_artifacts(path, dest, backup_id):
    os.makedirs(dest, mode=0o750)
    with tarfile.open(path, mode="r:gz") as tar:
        for name, member in _safe_members(tar, backup_id):
            target = os.path.join(dest, name)
            if member.isdir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(member) as source, open(target, "wb") as out:
                _copy_stream(source, out)


def _replace_sqlite(staged, live):
    """The restored file in place of the live one; the old one's journal would otherwise be replayed onto it."""
    for suffix in ("-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(live + suffix)
    os.replace(staged, live)


def _swap_dir(staged, live):
    old = f"{live}.before-restore"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(live):
        os.rename(live, old)
    os.rename(staged, live)
    shutil.rmtree(old, ignore_errors=True)


def _compare_counts(backup_id, expected, got):
    wrong = sorted(t for t in set(expected) | set(got) if expected.get(t) != got.get(t))
    if wrong:
        first = wrong[0]
        raise _fail(f"backup {backup_id}: table {first} has {got.get(first)} rows after the restore, the manifest "
                    f"says {expected.get(first)} ({len(wrong)} tables differ)")


def restore_backup(config, target, backup_id=None, check=False, revisions=known_revisions, load=mysql_load,
                   say=None):
    """Restore a backup (None or 'latest': the newest) of `target`; returns the report dict."""
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    backup_id = find_backup(target, backup_id)
    manifest = read_manifest(target, backup_id)
    check_backup(config, manifest, revisions)
    report = {"id": backup_id, "schema_revision": manifest.get("schema_revision"),
              "artifacts_included": manifest["artifacts"]["included"], "check_mode": bool(check),
              "changed": not check, "location": target.where(backup_id)}
    if check:
        return report
    entries = {entry["name"]: entry for entry in manifest["files"]}
    data_dir = os.path.dirname(config.sqlite_file) if config.sqlite_file else None
    staging = os.path.join(config.tmpdir, f"restore-{backup_id}")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging, mode=0o700)
    staged = {}
    try:
        for name, entry in entries.items():
            unpack = name.endswith(".db.gz")
            # sqlite files are staged beside the live ones, so that putting them in place is a rename.
            folder = data_dir if unpack and data_dir else staging
            dest = os.path.join(folder, f".{name[:-3]}.restore" if unpack else name)
            staged[name] = dest
            _verified_copy(target, backup_id, entry, dest, unpack)
        artifacts_dir = local_artifact_dir(config)
        restore_artifacts = "artifacts.tar.gz" in staged and artifacts_dir
        if restore_artifacts:
            unpacked = f"{artifacts_dir.rstrip('/')}.restore"
            shutil.rmtree(unpacked, ignore_errors=True)
            _unpack_artifacts(staged["artifacts.tar.gz"], unpacked, backup_id)
        if config.mysql is None:
            with contextlib.closing(sqlite3.connect(staged["mlflow.db.gz"])) as copy:
                _compare_counts(backup_id, manifest["tables"], _table_counts_sqlite(copy))
        say(CHANGING)
        if config.mysql is not None:
            try:
                with gzip.open(staged["mlflow.sql.gz"], "rb") as dump:
                    counts = load(config.mysql, dump)
            except ConfigError:
                raise
            except Exception as exc:  # noqa: BLE001 - driver errors vary; one line
                raise _fail(f"loading backup {backup_id} into database {config.mysql.database!r} failed: "
                            f"{redacted_line(exc, config.mysql.password)}; the database is partly restored: "
                            "fix the cause and run the restore again") from None
            _compare_counts(backup_id, manifest["tables"], counts)
        else:
            _replace_sqlite(staged["mlflow.db.gz"], config.sqlite_file)
            if "basic_auth.db.gz" in staged:
                _replace_sqlite(staged["basic_auth.db.gz"], auth_database_uri(config)[len("sqlite:///"):])
        if restore_artifacts:
            _swap_dir(unpacked, artifacts_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for name, path in staged.items():
            if name.endswith(".db.gz"):     # put in place (renamed away) unless the restore stopped
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
    return report


# ---------------------------------------------------------------- the commands

def parse_options(command, args, options, flags=()):
    """`--name value` options and bare flags; anything else is one clear line."""
    values = dict(options)
    values.update((flag, False) for flag in flags)
    args = list(args)
    usage = f"usage: {command} " + " ".join(f"[{o} VALUE]" for o in options) \
        + "".join(f" [{f}]" for f in flags)
    while args:
        option = args.pop(0)
        if option in flags:
            values[option] = True
            continue
        if option not in options or not args:
            raise _fail(usage, command)
        values[option] = args.pop(0)
    return values


def parse_keep(value):
    if not re.fullmatch(r"[0-9]{1,4}", str(value)):
        raise _fail(f"--keep {value!r}: give the number of backups to keep (0: all)")
    return int(value)


def describe_backup(report):
    where = " and ".join(report["locations"])
    artifacts = "with the local artifacts" if report["artifacts_included"] else "artifacts not copied"
    size = sum(f["size"] for f in report["files"])
    line = f"{PROG}: backup {report['id']} ({size / 2**20:.1f} MiB, {artifacts}) in {where}"
    gone = sum(len(v) for v in report["deleted"].values())
    return line + (f"; {gone} older backups deleted (keep)" if gone else "")


def backup_command(config, extra_args):
    opts = parse_options("backup", extra_args, {"--dir": None, "--bucket": None, "--keep": "0"})
    targets = make_targets(config, opts["--dir"], opts["--bucket"])
    report = take_backup(config, targets, parse_keep(opts["--keep"]))
    print(describe_backup(report), file=sys.stderr, flush=True)
    print(json.dumps(report), flush=True)
    return 0


def restore_command(config, extra_args):
    opts = parse_options("restore", extra_args, {"--dir": None, "--bucket": None, "--id": "latest"},
                         flags=("--check",))
    if bool(opts["--dir"]) == bool(opts["--bucket"]):
        raise _fail("restore reads one place: give --dir or --bucket", "restore")
    target = make_targets(config, opts["--dir"], opts["--bucket"])[0]
    report = restore_backup(config, target, opts["--id"], check=opts["--check"])
    verb = "would restore" if report["check_mode"] else "restored"
    print(f"{PROG}: {verb} backup {report['id']} (schema revision {report['schema_revision']}) from "
          f"{report['location']}", file=sys.stderr, flush=True)
    print(json.dumps(report), flush=True)
    return 0
