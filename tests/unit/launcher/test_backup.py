"""mlflow-launcher backup / restore on sqlite and a backup directory: what lands in the backup, what a
restore puts back, and what either refuses before it changes anything.

The MySQL dump runs against MariaDB and the oci:// target against the OCI emulator, both in the image
(tests/e2e/test_backup_restore.py); here only the dump's literals are checked.
"""
import datetime
import decimal
import gzip
import hashlib
import json
import os
import sqlite3
import threading

import pytest

from mlflow_launcher import ConfigError, load_config, main
from mlflow_launcher.backup import (
    CHANGING, DirTarget, restore_backup, sql_literal, sqlite_snapshot, take_backup,
)

REVISION = "1a2b3c4d5e6f"


def known(tracking=(REVISION,), auth=()):
    return lambda: (set(tracking), set(auth))


def make_db(path, rows=3, revision=REVISION):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
        db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO runs (name) VALUES (?)", [(f"run-{i}",) for i in range(rows)])
    db.close()


def names(path):
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT name FROM runs ORDER BY id")]


@pytest.fixture
def server(base_env, data_dir, tmp_path):
    """A sqlite server's data directory with a database and an artifact, and its config."""
    os.makedirs(data_dir / "artifacts" / "1" / "run" / "artifacts")
    os.makedirs(data_dir / "tmp")
    make_db(data_dir / "mlflow.db")
    (data_dir / "artifacts" / "1" / "run" / "artifacts" / "model.bin").write_bytes(b"\x00weights" * 1000)
    backups = tmp_path / "backups"
    backups.mkdir()
    return load_config(base_env), data_dir, backups


def clock(*stamps):
    times = iter(datetime.datetime(2026, 1, 2, 3, 4, s, tzinfo=datetime.timezone.utc) for s in stamps)
    return lambda: next(times)


def test_a_backup_holds_the_database_the_artifacts_and_a_manifest(server):
    config, data_dir, backups = server
    report = take_backup(config, [DirTarget(str(backups))], now=clock(5))
    backup_id = f"mlflow-20260102T030405Z-{REVISION}"
    assert report["id"] == backup_id and report["artifacts_included"]
    folder = backups / backup_id
    assert sorted(os.listdir(backups)) == [backup_id]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["schema_revision"] == REVISION and manifest["tables"] == {"alembic_version": 1, "runs": 3}
    assert manifest["artifacts"]["included"] and manifest["artifacts"]["files"] == 1
    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert {e["name"] for e in manifest["files"]} == {"mlflow.db.gz", "artifacts.tar.gz"}
    copy = data_dir / "tmp" / "check.db"
    copy.write_bytes(gzip.decompress((folder / "mlflow.db.gz").read_bytes()))
    assert names(copy) == ["run-0", "run-1", "run-2"]
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert {oct(f.stat().st_mode & 0o777) for f in folder.iterdir()} == {"0o600"}
    # Nothing is left in the server's temp space.
    assert sorted(os.listdir(data_dir / "tmp")) == ["check.db"]


def test_the_sqlite_copy_is_consistent_while_a_writer_commits(server, tmp_path):
    """The online backup API: every copy is one committed state, whatever the writer was doing."""
    _config, data_dir, _ = server
    stop = threading.Event()

    def writer():
        db = sqlite3.connect(data_dir / "mlflow.db", timeout=30)
        while not stop.is_set():
            with db:   # two rows per transaction: a torn copy would hold an odd count
                db.executemany("INSERT INTO runs (name) VALUES (?)", [("a",), ("b",)])
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        counts = [sqlite_snapshot(str(data_dir / "mlflow.db"), str(tmp_path / f"c{i}.db"))[1]["runs"]
                  for i in range(5)]
    finally:
        stop.set()
        thread.join()
    assert all(count % 2 == 1 for count in counts), counts     # 3 to start with, then pairs


def test_restore_puts_back_the_database_and_the_artifacts(server):
    config, data_dir, backups = server
    take_backup(config, [DirTarget(str(backups))], now=clock(5))
    make_db(data_dir / "lost.db", rows=0)
    os.replace(data_dir / "lost.db", data_dir / "mlflow.db")        # the data changed
    (data_dir / "mlflow.db-journal").write_bytes(b"stale")           # a journal of that other file
    model = data_dir / "artifacts" / "1" / "run" / "artifacts" / "model.bin"
    model.unlink()
    (data_dir / "artifacts" / "new.txt").write_text("after the backup")
    lines = []
    report = restore_backup(config, DirTarget(str(backups)), "latest", revisions=known(), say=lines.append)
    assert report["changed"] and lines == [CHANGING]
    assert names(data_dir / "mlflow.db") == ["run-0", "run-1", "run-2"]
    assert not (data_dir / "mlflow.db-journal").exists()
    assert model.read_bytes() == b"\x00weights" * 1000
    assert not (data_dir / "artifacts" / "new.txt").exists()
    assert sorted(os.listdir(data_dir)) == ["artifacts", "mlflow.db", "tmp"]
    assert os.listdir(data_dir / "tmp") == []


def test_retention_keeps_the_newest_and_drops_leftovers(server):
    config, _data_dir, backups = server
    target = DirTarget(str(backups))
    ids = [take_backup(config, [target], keep=2, now=clock(s))["id"] for s in (1, 2)]
    (backups / ".mlflow-20260102T030403Z-x.partial").mkdir()          # a backup that died
    report = take_backup(config, [target], keep=2, now=clock(3))
    assert sorted(os.listdir(backups)) == [ids[1], report["id"]]
    assert report["deleted"] == {"dir": [ids[0], ".mlflow-20260102T030403Z-x.partial"]}


def test_restore_refuses_a_newer_schema_and_a_damaged_file_before_any_change(server):
    config, data_dir, backups = server
    report = take_backup(config, [DirTarget(str(backups))], now=clock(5))
    before = (data_dir / "mlflow.db").read_bytes()
    with pytest.raises(ConfigError, match=f"has MLflow schema revision {REVISION}, newer than this image's MLflow"):
        restore_backup(config, DirTarget(str(backups)), report["id"], revisions=known(tracking=("older",)))
    packed = backups / report["id"] / "mlflow.db.gz"
    packed.write_bytes(packed.read_bytes()[:-8] + b"12345678")
    lines = []
    with pytest.raises(ConfigError, match="mlflow.db.gz is damaged .* nothing was changed"):
        restore_backup(config, DirTarget(str(backups)), report["id"], revisions=known(), say=lines.append)
    assert lines == [] and (data_dir / "mlflow.db").read_bytes() == before
    assert sorted(os.listdir(data_dir)) == ["artifacts", "mlflow.db", "tmp"]
    with pytest.raises(ConfigError, match="no complete backup 'mlflow-x'"):
        restore_backup(config, DirTarget(str(backups)), "mlflow-x", revisions=known())


def test_the_commands_answer_one_line_and_json(server, base_env, set_env, capsys):
    _config, _data_dir, backups = server
    set_env(base_env)
    assert main(["backup", "--dir", str(backups), "--keep", "3"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out.splitlines()[-1])
    assert err.startswith(f"mlflow-launcher: backup {report['id']} (") and "with the local artifacts" in err
    assert main(["backup", "--dir", str(backups), "--keep", "many"]) == 2
    assert "--keep 'many': give the number of backups to keep" in capsys.readouterr().err
    assert main(["restore", "--id", "latest"]) == 2
    assert "restore reads one place: give --dir or --bucket" in capsys.readouterr().err
    assert main(["backup"]) == 2
    assert "give a backup directory (--dir) or an oci:// bucket (--bucket)" in capsys.readouterr().err


def test_a_server_that_never_started_has_nothing_to_back_up(base_env, tmp_path):
    (tmp_path / "backups").mkdir()
    with pytest.raises(ConfigError, match="there is no database at .*nothing to back up"):
        take_backup(load_config(base_env), [DirTarget(str(tmp_path / "backups"))])


@pytest.mark.parametrize("value,literal", [
    (None, "NULL"), (True, "1"), (42, "42"), (0.1, "0.1"), (-1.5e-300, "-1.5e-300"),
    (b"\x00\xff", "X'00ff'"), (b"", "X''"), (decimal.Decimal("1.50"), "'1.50'"),
    ("it's a\\b\n\r\x00\x1a", "'it\\'s a\\\\b\\n\\r\\0\\Z'"), ("日本", "'日本'"),
    (datetime.datetime(2026, 1, 2, 3, 4, 5, 678), "'2026-01-02 03:04:05.000678'"),
    (datetime.date(2026, 1, 2), "'2026-01-02'"), (datetime.timedelta(hours=26, seconds=5), "'26:00:05.000000'"),
])
def test_dump_literals(value, literal):
    assert sql_literal(value) == literal
    assert "\n" not in sql_literal(value)
