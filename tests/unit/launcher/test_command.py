"""build_command / main: the argv and env handed to `mlflow server`."""
import json
import urllib.parse

import pytest

from mlflow_launcher import ConfigError, build_command, load_config, log_line, main

BIN = "/opt/mlflow/bin/mlflow"
PASSWORD = "p@ss:w/rd%#"


def command(env, extra_args=()):
    return build_command(load_config(env), extra_args)


def test_defaults(base_env, data_dir):
    argv, env = command(base_env)
    assert argv == [BIN, "server", "--host", "0.0.0.0", "--port", "5000", "--workers", "4",
                    "--app-name", "oci-mlflow", "--uvicorn-opts", "--timeout-keep-alive 75", "--serve-artifacts", "--artifacts-destination", f"{data_dir}/artifacts",
                    "--default-artifact-root", "mlflow-artifacts:/"]
    assert env["MLFLOW_BACKEND_STORE_URI"] == f"sqlite:///{data_dir}/mlflow.db"
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert env["OCIFS_IAM_TYPE"] == env["OCI_IAM_TYPE"] == "api_key"
    assert "MLFLOW_HOST" not in env


def test_default_data_dir_is_slash_mlflow():
    argv, env = command({"MLFLOW_HOST": "0.0.0.0"})
    assert env["MLFLOW_BACKEND_STORE_URI"] == "sqlite:////mlflow/mlflow.db"
    assert argv[argv.index("--artifacts-destination") + 1] == "/mlflow/artifacts"


def test_bin_is_overridable(base_env):
    argv, _ = command({**base_env, "MLFLOW_LAUNCHER_MLFLOW_BIN": "/x/mlflow"})
    assert argv[0] == "/x/mlflow"


def test_port_workers_host(base_env):
    argv, _ = command({**base_env, "MLFLOW_HOST": "::", "MLFLOW_PORT": "8080",
                       "MLFLOW_WORKERS": "2"})
    assert argv[2:8] == ["--host", "::", "--port", "8080", "--workers", "2"]


def test_gunicorn_opts_from_the_upstream_guide(base_env):
    argv, env = command({**base_env, "MLFLOW_GUNICORN_OPTS": "--log-level debug"})
    assert argv[10:12] == ["--gunicorn-opts", "--log-level debug --keep-alive 75"]
    assert "MLFLOW_GUNICORN_OPTS" not in env
    assert load_config({**base_env, "MLFLOW_GUNICORN_OPTS": "--log-level debug"}).server \
        == "gunicorn"


def test_uvicorn_opts(base_env):
    argv, env = command({**base_env, "MLFLOW_UVICORN_OPTS": "--log-level debug", "MLFLOW_KEEPALIVE_SECONDS": "120"})
    assert argv[10:12] == ["--uvicorn-opts", "--log-level debug --timeout-keep-alive 120"]
    assert "MLFLOW_UVICORN_OPTS" not in env


@pytest.mark.parametrize("variable, opts", [("MLFLOW_UVICORN_OPTS", "--timeout-keep-alive 30"),
                                            ("MLFLOW_UVICORN_OPTS", "--timeout-keep-alive=30"),
                                            ("MLFLOW_GUNICORN_OPTS", "-t 60 --keep-alive 30")])
def test_the_keep_alive_is_set_once(base_env, variable, opts):
    with pytest.raises(ConfigError, match="set MLFLOW_KEEPALIVE_SECONDS instead of passing --"):
        command({**base_env, variable: opts})


def test_mysql_uri_goes_to_env_not_argv(base_env):
    uri = "mysql+mysqlconnector://mlflow:s3cret@db.example:3307/tracking?charset=utf8mb4"
    argv, env = command({**base_env, "BACKEND_PROVIDER": "MySQL",
                         "MLFLOW_BACKEND_STORE_URI": uri})
    assert env["MLFLOW_BACKEND_STORE_URI"] == uri
    assert not any("s3cret" in arg for arg in argv)
    assert "--backend-store-uri" not in argv


def test_mysql_parts_encode_user_and_password(base_env):
    argv, env = command({**base_env, "BACKEND_PROVIDER": "mysql", "DBUSERNAME": "ml user",
                         "DBPASSWORD": PASSWORD, "DBHOST": "db.example"})
    uri = env["MLFLOW_BACKEND_STORE_URI"]
    parts = urllib.parse.urlsplit(uri)
    assert parts.scheme == "mysql+mysqlconnector"
    assert urllib.parse.unquote(parts.username) == "ml user"
    assert urllib.parse.unquote(parts.password) == PASSWORD
    assert (parts.hostname, parts.port, parts.path) == ("db.example", 3306, "/mlflow")
    assert not any(PASSWORD in arg or "p%40ss" in arg for arg in argv)
    for name in ("DBUSERNAME", "DBPASSWORD", "DBHOST", "DBPORT", "DBNAME"):
        assert name not in env


def test_mysql_parts_port_name_and_ipv6_host(base_env):
    _, env = command({**base_env, "BACKEND_PROVIDER": "mysql", "DBUSERNAME": "u",
                      "DBPASSWORD": "p", "DBHOST": "fd00::5", "DBPORT": "3307",
                      "DBNAME": "tracking"})
    parts = urllib.parse.urlsplit(env["MLFLOW_BACKEND_STORE_URI"])
    assert (parts.hostname, parts.port, parts.path) == ("fd00::5", 3307, "/tracking")


def test_sqlite_custom_uri(base_env, tmp_path):
    uri = f"sqlite:///{tmp_path}/other/db.sqlite"
    config = load_config({**base_env, "MLFLOW_BACKEND_STORE_URI": uri})
    assert config.backend_uri == uri
    assert config.local_dirs[0] == ("MLFLOW_BACKEND_STORE_URI", f"{tmp_path}/other")


def test_serve_artifacts_off(base_env, data_dir):
    argv, env = command({**base_env, "MLFLOW_SERVE_ARTIFACTS": "false"})
    assert argv[12:] == ["--no-serve-artifacts", "--default-artifact-root",
                        f"{data_dir}/artifacts"]
    assert "--artifacts-destination" not in argv


def test_destination_ignored_with_a_warning_when_not_serving(base_env):
    config = load_config({**base_env, "MLFLOW_SERVE_ARTIFACTS": "0",
                          "MLFLOW_ARTIFACTS_DESTINATION": "s3://anything"})
    assert config.artifacts_destination is None
    assert [w.split(":")[0] for w in config.warnings] == ["MLFLOW_ARTIFACTS_DESTINATION"]


@pytest.mark.parametrize("root", ["mlflow-artifacts:/exp", "https://mlflow.example/api",
                                  "file:///srv/art", "/srv/art"])
def test_default_artifact_root_accepted(base_env, root):
    argv, env = command({**base_env, "MLFLOW_DEFAULT_ARTIFACT_ROOT": root})
    assert argv[argv.index("--default-artifact-root") + 1] == root
    assert "MLFLOW_DEFAULT_ARTIFACT_ROOT" not in env


def test_file_destination(base_env, tmp_path):
    dest = f"file://{tmp_path}/art"
    config = load_config({**base_env, "MLFLOW_ARTIFACTS_DESTINATION": dest})
    argv, env = build_command(config)
    assert argv[argv.index("--artifacts-destination") + 1] == dest
    assert ("MLFLOW_ARTIFACTS_DESTINATION", f"{tmp_path}/art") in config.local_dirs
    assert "MLFLOW_ARTIFACTS_DESTINATION" not in env


def test_allowed_hosts_and_cors_via_env_not_argv(base_env):
    argv, env = command({**base_env, "MLFLOW_GUNICORN_OPTS": "--log-level debug",
                         "MLFLOW_SERVER_ALLOWED_HOSTS": " mlflow.example , mlflow.example:* ",
                         "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": "https://app.example"})
    assert env["MLFLOW_SERVER_ALLOWED_HOSTS"] == "mlflow.example,mlflow.example:*"
    assert env["MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"] == "https://app.example"
    assert "--allowed-hosts" not in argv and "--cors-allowed-origins" not in argv
    assert not any("example" in arg for arg in argv)


def test_wildcard_lists_warn(base_env):
    config = load_config({**base_env, "MLFLOW_SERVER_ALLOWED_HOSTS": "*",
                          "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": "*"})
    assert len(config.warnings) == 2
    assert config.child_env["MLFLOW_SERVER_ALLOWED_HOSTS"] == "*"


def test_job_execution_on_when_asked(base_env):
    _, env = command({**base_env, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "YES"})
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "true"


def test_iam_type_copied(base_env):
    _, env = command({**base_env, "OCIFS_IAM_TYPE": "resource_principal"})
    assert env["OCIFS_IAM_TYPE"] == env["OCI_IAM_TYPE"] == "resource_principal"


def test_other_variables_pass_through(base_env):
    _, env = command({**base_env, "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "10", "TZ": "UTC"})
    assert env["MLFLOW_SQLALCHEMYSTORE_POOL_SIZE"] == "10" and env["TZ"] == "UTC"


def test_log_line_redacts_the_password(base_env):
    config = load_config({**base_env, "BACKEND_PROVIDER": "mysql", "DBUSERNAME": "ml",
                          "DBPASSWORD": PASSWORD, "DBHOST": "db"})
    line = log_line(config)
    assert line.startswith("mlflow-launcher: starting mlflow server: host=0.0.0.0 port=5000 "
                           "workers=4 server=uvicorn backend=mysql+mysqlconnector://ml:***@db")
    assert "p%40ss" not in line and PASSWORD not in line and "\n" not in line
    assert "artifacts=" in line
    assert "p%40ss" not in repr(config)


# ------------------------------------------------------------------ main()

def test_serve_execs_mlflow(base_env, set_env, exec_calls, capsys, data_dir):
    set_env(base_env)
    main(["serve"])
    path, argv, env = exec_calls[0]
    assert path == BIN and argv[:2] == [BIN, "server"]
    assert env["MLFLOW_BACKEND_STORE_URI"] == f"sqlite:///{data_dir}/mlflow.db"
    assert (data_dir / "artifacts").is_dir()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mlflow-launcher: starting mlflow server:")


def test_serve_is_the_default_and_takes_extra_args(base_env, set_env, exec_calls):
    set_env(base_env)
    main(["--static-prefix", "/mlflow", "--expose-prometheus", "/tmp/p"])
    assert exec_calls[0][1][-4:] == ["--static-prefix", "/mlflow", "--expose-prometheus", "/tmp/p"]
    main(["serve", "--static-prefix", "/x"])
    assert exec_calls[1][1][-2:] == ["--static-prefix", "/x"]


@pytest.mark.parametrize("arg,variable", [("--port", "MLFLOW_PORT"),
                                          ("--backend-store-uri=sqlite:///x", "MLFLOW_BACKEND_STORE_URI"),
                                          ("--allowed-hosts", "MLFLOW_SERVER_ALLOWED_HOSTS"),
                                          ("-h", "MLFLOW_HOST")])
def test_extra_args_cannot_override_the_contract(base_env, set_env, exec_calls, capsys,
                                                 arg, variable):
    set_env(base_env)
    assert main(["serve", arg, "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"set {variable} instead" in err
    assert exec_calls == []


def test_unknown_command(capsys):
    assert main(["bogus"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_missing_binary_is_reported(base_env, set_env, capsys, tmp_path):
    set_env({**base_env, "MLFLOW_LAUNCHER_MLFLOW_BIN": str(tmp_path / "nope")})
    assert main([]) == 127
    assert "cannot run" in capsys.readouterr().err


def test_warnings_are_printed_before_the_log_line(base_env, set_env, exec_calls, capsys):
    set_env({**base_env, "MLFLOW_SERVER_ALLOWED_HOSTS": "*"})
    main([])
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("mlflow-launcher: warning: MLFLOW_SERVER_ALLOWED_HOSTS:")
    assert lines[1].startswith("mlflow-launcher: starting")


def test_print_command_json_redacts(base_env, set_env, exec_calls, capsys, data_dir):
    set_env({**base_env, "BACKEND_PROVIDER": "mysql", "DBUSERNAME": "u", "DBPASSWORD": PASSWORD,
             "DBHOST": "db", "MLFLOW_FLASK_SERVER_SECRET_KEY": "k3y"})
    assert main(["print-command", "--static-prefix", "/x"]) == 0
    out = capsys.readouterr().out
    assert PASSWORD not in out and "p%40ss" not in out and "k3y" not in out
    result = json.loads(out)
    assert result["argv"][:2] == [BIN, "server"] and result["argv"][-2:] == ["--static-prefix", "/x"]
    assert result["env"]["MLFLOW_BACKEND_STORE_URI"] == "mysql+mysqlconnector://u:***@db:3306/mlflow"
    assert result["env"]["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert "DBPASSWORD" in result["unset"] and "MLFLOW_HOST" in result["unset"]
    assert "MLFLOW_FLASK_SERVER_SECRET_KEY" not in result["env"]  # unchanged, so not listed
    assert exec_calls == [] and not data_dir.exists()


def test_print_command_config_error(capsys):
    assert main(["print-command"]) == 2
    err = capsys.readouterr().err
    assert err == ("mlflow-launcher: error: MLFLOW_HOST: is required; set MLFLOW_HOST=0.0.0.0 "
                   "to listen on all interfaces (127.0.0.1 for local access only)\n")


def test_config_error_str():
    assert str(ConfigError("X", "bad")) == "X: bad"


def test_the_app_is_the_images_own():
    from mlflow_launcher import check_extra_args
    with pytest.raises(ConfigError) as info:
        check_extra_args(["--app-name", "basic-auth"])
    assert info.value.variable == "--app-name" and "always runs the image's app (oci-mlflow" in info.value.message
