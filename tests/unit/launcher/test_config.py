"""load_config: defaults, normalisation, and one ConfigError per invalid variable."""
import pytest

from mlflow_launcher import ConfigError, load_config, main, prepare_dirs

GOOD_SECRET = "ocid1.vaultsecret.oc1.iad.amaaaaaaexampleuniqueid123"
PARTS = {"BACKEND_PROVIDER": "mysql", "DBUSERNAME": "u", "DBPASSWORD": "p", "DBHOST": "db"}
URI = "mysql+mysqlconnector://u:p@db:3306/mlflow"

# (case id, variables added to a valid base env, variable the error must name)
INVALID = [
    ("host-missing", {"MLFLOW_HOST": None}, "MLFLOW_HOST"),
    ("host-empty", {"MLFLOW_HOST": ""}, "MLFLOW_HOST"),
    ("host-bad-chars", {"MLFLOW_HOST": "my_host!"}, "MLFLOW_HOST"),
    ("host-bad-ipv4", {"MLFLOW_HOST": "256.1.1.1"}, "MLFLOW_HOST"),
    ("host-bracketed-ipv6", {"MLFLOW_HOST": "[::]"}, "MLFLOW_HOST"),
    ("port-text", {"MLFLOW_PORT": "http"}, "MLFLOW_PORT"),
    ("port-zero", {"MLFLOW_PORT": "0"}, "MLFLOW_PORT"),
    ("port-too-big", {"MLFLOW_PORT": "65536"}, "MLFLOW_PORT"),
    ("port-negative", {"MLFLOW_PORT": "-1"}, "MLFLOW_PORT"),
    ("port-superscript", {"MLFLOW_PORT": "5²"}, "MLFLOW_PORT"),
    ("workers-zero", {"MLFLOW_WORKERS": "0"}, "MLFLOW_WORKERS"),
    ("workers-over-cap", {"MLFLOW_WORKERS": "65"}, "MLFLOW_WORKERS"),
    ("workers-float", {"MLFLOW_WORKERS": "2.5"}, "MLFLOW_WORKERS"),
    ("gunicorn-unbalanced-quote", {"MLFLOW_GUNICORN_OPTS": "--log-level 'debug"},
     "MLFLOW_GUNICORN_OPTS"),
    ("uvicorn-unbalanced-quote", {"MLFLOW_UVICORN_OPTS": '--log-level "debug'},
     "MLFLOW_UVICORN_OPTS"),
    ("both-servers", {"MLFLOW_GUNICORN_OPTS": "-t 60", "MLFLOW_UVICORN_OPTS": "--timeout 5"},
     "MLFLOW_GUNICORN_OPTS"),
    ("provider-unknown", {"BACKEND_PROVIDER": "postgres"}, "BACKEND_PROVIDER"),
    ("sqlite-with-mysql-uri", {"MLFLOW_BACKEND_STORE_URI": URI}, "MLFLOW_BACKEND_STORE_URI"),
    ("sqlite-relative", {"MLFLOW_BACKEND_STORE_URI": "sqlite:///mlflow.db"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("sqlite-other-scheme", {"MLFLOW_BACKEND_STORE_URI": "postgresql://u:p@h/db"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("mysql-no-source", {"BACKEND_PROVIDER": "mysql"}, "BACKEND_PROVIDER"),
    ("mysql-uri-and-parts", {**PARTS, "MLFLOW_BACKEND_STORE_URI": URI}, "BACKEND_PROVIDER"),
    ("mysql-uri-and-secret", {"BACKEND_PROVIDER": "mysql", "MLFLOW_BACKEND_STORE_URI": URI,
                              "DB_SECRET_OCID": GOOD_SECRET}, "BACKEND_PROVIDER"),
    ("mysql-plain-scheme", {"BACKEND_PROVIDER": "mysql",
                            "MLFLOW_BACKEND_STORE_URI": "mysql://u:p@db/mlflow"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("mysql-pymysql", {"BACKEND_PROVIDER": "mysql",
                       "MLFLOW_BACKEND_STORE_URI": "mysql+pymysql://u:p@db/mlflow"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("mysql-sqlite-uri", {"BACKEND_PROVIDER": "mysql",
                          "MLFLOW_BACKEND_STORE_URI": "sqlite:////x.db"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("mysql-uri-no-user", {"BACKEND_PROVIDER": "mysql",
                           "MLFLOW_BACKEND_STORE_URI": "mysql+mysqlconnector://db/mlflow"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("mysql-uri-no-host", {"BACKEND_PROVIDER": "mysql",
                           "MLFLOW_BACKEND_STORE_URI": "mysql+mysqlconnector://u:p@/mlflow"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("mysql-uri-no-db", {"BACKEND_PROVIDER": "mysql",
                         "MLFLOW_BACKEND_STORE_URI": "mysql+mysqlconnector://u:p@db:3306/"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("mysql-uri-bad-port", {"BACKEND_PROVIDER": "mysql",
                            "MLFLOW_BACKEND_STORE_URI": "mysql+mysqlconnector://u:p@db:x/m"},
     "MLFLOW_BACKEND_STORE_URI"),
    ("secret-malformed", {"BACKEND_PROVIDER": "mysql", "DB_SECRET_OCID": "ocid1.secret.oc1..x"},
     "DB_SECRET_OCID"),
    ("db-wait-negative", {**PARTS, "MLFLOW_DB_WAIT_SECONDS": "-1"}, "MLFLOW_DB_WAIT_SECONDS"),
    ("db-wait-words", {**PARTS, "MLFLOW_DB_WAIT_SECONDS": "1m"}, "MLFLOW_DB_WAIT_SECONDS"),
    ("db-wait-huge", {**PARTS, "MLFLOW_DB_WAIT_SECONDS": "3601"}, "MLFLOW_DB_WAIT_SECONDS"),
    ("parts-no-user", {**PARTS, "DBUSERNAME": None}, "DBUSERNAME"),
    ("parts-no-password", {**PARTS, "DBPASSWORD": None}, "DBPASSWORD"),
    ("parts-no-host", {**PARTS, "DBHOST": None}, "DBHOST"),
    ("parts-bad-host", {**PARTS, "DBHOST": "db host"}, "DBHOST"),
    ("parts-bad-port", {**PARTS, "DBPORT": "99999"}, "DBPORT"),
    ("parts-bad-name", {**PARTS, "DBNAME": "ml/flow"}, "DBNAME"),
    ("serve-artifacts-bad", {"MLFLOW_SERVE_ARTIFACTS": "maybe"}, "MLFLOW_SERVE_ARTIFACTS"),
    ("destination-relative", {"MLFLOW_ARTIFACTS_DESTINATION": "artifacts"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("destination-s3", {"MLFLOW_ARTIFACTS_DESTINATION": "s3://bucket/x"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("destination-file-host", {"MLFLOW_ARTIFACTS_DESTINATION": "file://host/x"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("destination-mlflow-artifacts", {"MLFLOW_ARTIFACTS_DESTINATION": "mlflow-artifacts:/"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("destination-oci-dotdot", {"MLFLOW_ARTIFACTS_DESTINATION": "oci://bucket@ns/a/../b"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("oci-part-size", {"MLFLOW_ARTIFACTS_DESTINATION": "oci://b@ns/p",
                       "MLFLOW_OCI_PART_SIZE_MB": "0"}, "MLFLOW_OCI_PART_SIZE_MB"),
    ("oci-parallelism", {"MLFLOW_ARTIFACTS_DESTINATION": "oci://b@ns/p",
                         "MLFLOW_OCI_UPLOAD_PARALLELISM": "many"}, "MLFLOW_OCI_UPLOAD_PARALLELISM"),
    ("tmpdir-relative", {"MLFLOW_TMPDIR": "tmp"}, "MLFLOW_TMPDIR"),
    ("destination-oci-no-namespace", {"MLFLOW_ARTIFACTS_DESTINATION": "oci://bucket/prefix"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("destination-oci-bad-bucket", {"MLFLOW_ARTIFACTS_DESTINATION": "oci://bu ck@ns/p"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("destination-oci-bad-namespace", {"MLFLOW_ARTIFACTS_DESTINATION": "oci://b@NS!/p"},
     "MLFLOW_ARTIFACTS_DESTINATION"),
    ("root-gs", {"MLFLOW_DEFAULT_ARTIFACT_ROOT": "gs://b/x"}, "MLFLOW_DEFAULT_ARTIFACT_ROOT"),
    ("root-relative", {"MLFLOW_DEFAULT_ARTIFACT_ROOT": "./mlruns"},
     "MLFLOW_DEFAULT_ARTIFACT_ROOT"),
    ("root-oci-empty-bucket", {"MLFLOW_DEFAULT_ARTIFACT_ROOT": "oci://@ns/"},
     "MLFLOW_DEFAULT_ARTIFACT_ROOT"),
    ("root-proxy-without-serving", {"MLFLOW_SERVE_ARTIFACTS": "0",
                                    "MLFLOW_DEFAULT_ARTIFACT_ROOT": "mlflow-artifacts:/"},
     "MLFLOW_DEFAULT_ARTIFACT_ROOT"),
    ("allowed-hosts-empty-entry", {"MLFLOW_SERVER_ALLOWED_HOSTS": "a.example,,b.example"},
     "MLFLOW_SERVER_ALLOWED_HOSTS"),
    ("cors-trailing-comma", {"MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": "https://a.example,"},
     "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"),
    ("job-execution-bad", {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "sometimes"},
     "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"),
    ("iam-type-bad", {"OCIFS_IAM_TYPE": "user_principal"}, "OCIFS_IAM_TYPE"),
    ("data-dir-relative", {"MLFLOW_DATA_DIR": "data"}, "MLFLOW_DATA_DIR"),
    ("allowed-roots-relative", {"MLFLOW_ARTIFACTS_ALLOWED_ROOTS": "shared"}, "MLFLOW_ARTIFACTS_ALLOWED_ROOTS"),
    ("allowed-roots-s3", {"MLFLOW_ARTIFACTS_ALLOWED_ROOTS": "s3://b/x"}, "MLFLOW_ARTIFACTS_ALLOWED_ROOTS"),
    ("allowed-roots-star-and-more", {"MLFLOW_ARTIFACTS_ALLOWED_ROOTS": "*,/srv"}, "MLFLOW_ARTIFACTS_ALLOWED_ROOTS"),
    ("allowed-roots-bad-oci", {"MLFLOW_ARTIFACTS_ALLOWED_ROOTS": "oci://b/p"}, "MLFLOW_ARTIFACTS_ALLOWED_ROOTS"),
    ("telemetry-bad", {"MLFLOW_DISABLE_TELEMETRY": "perhaps"}, "MLFLOW_DISABLE_TELEMETRY"),
]


def _env(base_env, changes):
    env = dict(base_env)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.mark.parametrize("changes,variable", [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_invalid_variable_raises_config_error(base_env, changes, variable):
    with pytest.raises(ConfigError) as info:
        load_config(_env(base_env, changes))
    assert info.value.variable == variable
    assert "\n" not in info.value.message


@pytest.mark.parametrize("changes,variable", [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_main_reports_one_line_and_exits_2(base_env, set_env, exec_calls, capsys,
                                           changes, variable):
    set_env(_env(base_env, changes))
    assert main(["serve"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"mlflow-launcher: error: {variable}: ")
    assert exec_calls == []


def test_missing_host_suggests_all_interfaces(base_env):
    with pytest.raises(ConfigError, match="required.*0.0.0.0"):
        load_config(_env(base_env, {"MLFLOW_HOST": None}))


def test_error_messages_never_show_the_password(base_env):
    uri = "mysql+pymysql://u:hunter2@db/mlflow"
    with pytest.raises(ConfigError) as info:
        load_config({**base_env, "BACKEND_PROVIDER": "mysql", "MLFLOW_BACKEND_STORE_URI": uri})
    assert "hunter2" not in str(info.value)
    assert "mysql+mysqlconnector" in info.value.message


def test_parts_missing_names_every_missing_variable(base_env):
    with pytest.raises(ConfigError) as info:
        load_config({**base_env, "BACKEND_PROVIDER": "mysql", "DBHOST": "db"})
    assert info.value.variable == "DBUSERNAME"
    assert "DBUSERNAME, DBPASSWORD" in info.value.message


def test_more_than_one_source_names_them(base_env):
    with pytest.raises(ConfigError) as info:
        load_config({**base_env, **PARTS, "DB_SECRET_OCID": GOOD_SECRET})
    assert "DB_SECRET_OCID and DBUSERNAME/DBPASSWORD/DBHOST" in info.value.message


def test_no_source_lists_the_three_ways(base_env):
    with pytest.raises(ConfigError) as info:
        load_config({**base_env, "BACKEND_PROVIDER": "mysql"})
    for name in ("MLFLOW_BACKEND_STORE_URI", "DB_SECRET_OCID", "DBUSERNAME"):
        assert name in info.value.message


def test_vault_secret_is_read_at_serve_time_not_by_load_config(base_env):
    config = load_config({**base_env, "BACKEND_PROVIDER": "mysql", "DB_SECRET_OCID": GOOD_SECRET})
    assert config.db_secret_ocid == GOOD_SECRET
    assert config.backend_uri == f"vault:{GOOD_SECRET}"
    assert config.mysql is None


def test_parse_oci_uri(launcher):
    parse = launcher.config.parse_oci_uri
    assert parse("oci://my.bkt-1@axaxnpc/p/q/") == launcher.config.OciLocation("my.bkt-1", "axaxnpc", "p/q/")
    assert parse("oci://b@ns").prefix == parse("oci://b@ns/").prefix == ""
    with pytest.raises(ConfigError, match="write oci://bucket@namespace/prefix"):
        parse("oci://b/p")


def test_provider_lists_allowed_values(base_env):
    with pytest.raises(ConfigError, match="sqlite, mysql"):
        load_config({**base_env, "BACKEND_PROVIDER": "oracle"})


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.1", "::", "::1", "fe80::1%eth0",
                                  "mlflow", "mlflow.example.com", "a-b.c-d.example."])
def test_valid_hosts(base_env, host):
    assert load_config({**base_env, "MLFLOW_HOST": host}).host == host


@pytest.mark.parametrize("raw,expected", [("1", True), ("TRUE", True), ("Yes", True),
                                          ("on", True), ("0", False), ("false", False),
                                          ("NO", False), ("Off", False)])
def test_booleans(base_env, raw, expected):
    config = load_config({**base_env, "MLFLOW_SERVE_ARTIFACTS": raw})
    assert config.serve_artifacts is expected


def test_empty_values_mean_unset(base_env):
    config = load_config({**base_env, "MLFLOW_PORT": "", "MLFLOW_WORKERS": "",
                          "MLFLOW_GUNICORN_OPTS": "", "BACKEND_PROVIDER": ""})
    assert (config.port, config.workers, config.server) == (5000, 4, "uvicorn")


def test_load_config_touches_no_disk(base_env, data_dir):
    load_config(base_env)
    assert not data_dir.exists()


def test_oci_destination_needs_no_local_artifact_dir(base_env, launcher):
    config = load_config({**base_env, "MLFLOW_ARTIFACTS_DESTINATION": "oci://my.bkt-1@axaxnpc/p/",
                          "OCIFS_IAM_TYPE": "instance_principal"})
    data = str(base_env["MLFLOW_DATA_DIR"])
    assert config.artifacts_destination == "oci://my.bkt-1@axaxnpc/p/"
    assert config.local_dirs == (("MLFLOW_DATA_DIR", data), ("MLFLOW_TMPDIR", f"{data}/tmp"))
    assert config.child_env["OCIFS_IAM_TYPE"] == "instance_principal"


def test_oci_root_while_serving_warns_that_clients_bypass_the_proxy(base_env):
    uri = "oci://b@ns/p/"
    config = load_config({**base_env, "MLFLOW_ARTIFACTS_DESTINATION": uri,
                          "MLFLOW_DEFAULT_ARTIFACT_ROOT": uri})
    assert config.default_artifact_root == uri
    assert [w for w in config.warnings if w.startswith("MLFLOW_DEFAULT_ARTIFACT_ROOT: with an oci:// "
                                                        "root, clients read and write")]
    assert not load_config({**base_env, "MLFLOW_ARTIFACTS_DESTINATION": uri}).warnings


def test_oci_transfer_knobs(launcher):
    load = launcher.config.load_oci_transfer
    assert load({}) == launcher.config.OciTransfer(128 * 2**20, 16 * 2**20, 4)
    assert load({"MLFLOW_OCI_MULTIPART_THRESHOLD_MB": "1", "MLFLOW_OCI_PART_SIZE_MB": "2",
                 "MLFLOW_OCI_UPLOAD_PARALLELISM": "8"}) == launcher.config.OciTransfer(2**20, 2 * 2**20, 8)


@pytest.mark.parametrize("env,expected", [({}, "{data}/tmp"), ({"TMPDIR": "/scratch"}, "/scratch"),
                                          ({"TMPDIR": "/scratch", "MLFLOW_TMPDIR": "/big"}, "/big")])
def test_server_tmpdir_defaults_to_the_data_volume(base_env, env, expected):
    config = load_config({**base_env, **env})
    expected = expected.format(data=base_env["MLFLOW_DATA_DIR"])
    assert config.tmpdir == expected and config.child_env["TMPDIR"] == expected
    assert ("MLFLOW_TMPDIR", expected) in config.local_dirs
    assert "MLFLOW_TMPDIR" not in config.child_env


# ------------------------------------------------------------- writable directories

def test_prepare_dirs_creates_sqlite_and_artifact_dirs(base_env, data_dir):
    prepare_dirs(load_config(base_env))
    assert (data_dir / "artifacts").is_dir()


def test_unwritable_data_dir_is_a_clear_error(base_env, data_dir, monkeypatch, launcher):
    monkeypatch.setattr(launcher.command, "_writable", lambda path: False)
    with pytest.raises(ConfigError) as info:
        prepare_dirs(load_config(base_env))
    assert info.value.variable == "MLFLOW_DATA_DIR"
    assert str(data_dir) in info.value.message
    assert "uid" in info.value.message and "chown" in info.value.message


def test_unwritable_destination_names_its_variable(base_env, tmp_path, monkeypatch, launcher):
    blocked = tmp_path / "blocked"
    monkeypatch.setattr(launcher.command, "_writable", lambda path: path != str(blocked))
    config = load_config({**base_env, "MLFLOW_ARTIFACTS_DESTINATION": f"file://{blocked}"})
    with pytest.raises(ConfigError) as info:
        prepare_dirs(config)
    assert info.value.variable == "MLFLOW_ARTIFACTS_DESTINATION"


def test_unwritable_root_when_not_serving(base_env, tmp_path, monkeypatch, launcher):
    root = tmp_path / "root"
    monkeypatch.setattr(launcher.command, "_writable", lambda path: path != str(root))
    config = load_config({**base_env, "MLFLOW_SERVE_ARTIFACTS": "off",
                          "MLFLOW_DEFAULT_ARTIFACT_ROOT": str(root)})
    with pytest.raises(ConfigError) as info:
        prepare_dirs(config)
    assert info.value.variable == "MLFLOW_DEFAULT_ARTIFACT_ROOT"


def test_uncreatable_dir_is_a_clear_error(base_env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    config = load_config({**base_env, "MLFLOW_DATA_DIR": str(blocker / "data")})
    with pytest.raises(ConfigError, match="cannot create .* as uid"):
        prepare_dirs(config)


def test_unwritable_sqlite_file(base_env, data_dir, monkeypatch, launcher):
    data_dir.mkdir()
    (data_dir / "mlflow.db").write_bytes(b"")
    real_access = launcher.command.os.access
    monkeypatch.setattr(launcher.command.os, "access", lambda path, mode: (
        False if str(path).endswith("mlflow.db") else real_access(path, mode)))
    with pytest.raises(ConfigError, match="mlflow.db is not writable by uid"):
        prepare_dirs(load_config(base_env))


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root writes through mode 0500")
def test_real_read_only_directory(base_env, data_dir):
    data_dir.mkdir(mode=0o500)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            prepare_dirs(load_config(base_env))
    finally:
        data_dir.chmod(0o700)


def test_main_reports_unwritable_dir_in_one_line(base_env, set_env, exec_calls, capsys,
                                                 monkeypatch, launcher):
    monkeypatch.setattr(launcher.command, "_writable", lambda path: False)
    set_env(base_env)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mlflow-launcher: error: MLFLOW_DATA_DIR: ")
    assert exec_calls == []


def test_telemetry_is_off_unless_turned_on(base_env):
    assert load_config(base_env).child_env["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert load_config({**base_env, "MLFLOW_DISABLE_TELEMETRY": "no"}).child_env["MLFLOW_DISABLE_TELEMETRY"] == "false"


def test_allowed_roots_reach_the_server_normalised(base_env):
    config = load_config({**base_env, "MLFLOW_ARTIFACTS_ALLOWED_ROOTS": " oci://shared@ns/common/ , /srv/x "})
    assert config.child_env["MLFLOW_ARTIFACTS_ALLOWED_ROOTS"] == "oci://shared@ns/common/,/srv/x"
    assert "MLFLOW_ARTIFACTS_ALLOWED_ROOTS" not in load_config(base_env).child_env
    star = load_config({**base_env, "MLFLOW_ARTIFACTS_ALLOWED_ROOTS": "*"})
    assert [w for w in star.warnings if w.startswith("MLFLOW_ARTIFACTS_ALLOWED_ROOTS: * turns the artifact boundary off")]
