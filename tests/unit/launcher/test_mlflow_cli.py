"""Parse the launcher's argv with MLflow's own click command (no server started).

Proves the flag names against the pinned MLflow, and that allowed hosts reach MLflow from the
env, which its gunicorn check accepts (it refuses them only as command-line options).
"""
import pathlib
import tomllib

import pytest

from mlflow_launcher import build_command, load_config

cli = pytest.importorskip("mlflow.cli")
core = pytest.importorskip("click.core")
click = pytest.importorskip("click")

PYPROJECT = pathlib.Path(__file__).resolve().parents[3] / "ansible_collections" / "oracle" / "mlflow" / "roles" / \
    "mlflow_image" / "files" / "launcher" / "pyproject.toml"


@pytest.fixture(autouse=True)
def image_apps(monkeypatch):
    """MLflow's --app-name accepts the mlflow.app entry points installed; in the image that includes
    the image's own (launcher/pyproject.toml), which this test venv does not install."""
    apps = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"]["mlflow.app"]
    option = next(p for p in cli.server.params if p.name == "app_name")
    monkeypatch.setattr(option, "type", click.Choice([*option.type.choices, *apps]))


def parse(env, monkeypatch):
    argv, child_env = build_command(load_config(env), ["--static-prefix", "/x"])
    for name, value in child_env.items():
        monkeypatch.setenv(name, value)
    return cli.server.make_context("server", argv[2:])


def test_gunicorn_with_allowed_hosts_passes_mlflow_validation(base_env, monkeypatch, data_dir):
    ctx = parse({**base_env, "MLFLOW_GUNICORN_OPTS": "--log-level debug",
                 "MLFLOW_SERVER_ALLOWED_HOSTS": "mlflow.example,mlflow.example:*",
                 "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": "https://app.example"}, monkeypatch)
    params = ctx.params
    assert params["gunicorn_opts"] == "--log-level debug --keep-alive 75" and params["uvicorn_opts"] is None
    assert params["allowed_hosts"] == "mlflow.example,mlflow.example:*"
    assert ctx.get_parameter_source("allowed_hosts") == core.ParameterSource.ENVIRONMENT
    assert params["backend_store_uri"] == f"sqlite:///{data_dir}/mlflow.db"
    assert (params["host"], params["port"], params["workers"]) == ("0.0.0.0", 5000, "4")
    assert params["static_prefix"] == "/x"
    assert params["app_name"] == "oci-mlflow"
    cli._validate_server_args(
        ctx=ctx, gunicorn_opts=params["gunicorn_opts"], workers=params["workers"],
        waitress_opts=None, uvicorn_opts=None, allowed_hosts=params["allowed_hosts"],
        cors_allowed_origins=params["cors_allowed_origins"], x_frame_options=None,
        disable_security_middleware=False)


def test_artifact_flags(base_env, monkeypatch, data_dir):
    params = parse(base_env, monkeypatch).params
    assert params["serve_artifacts"] is True
    assert params["artifacts_destination"] == f"{data_dir}/artifacts"
    assert params["default_artifact_root"] == "mlflow-artifacts:/"
    params = parse({**base_env, "MLFLOW_SERVE_ARTIFACTS": "no"}, monkeypatch).params
    assert params["serve_artifacts"] is False
    assert params["default_artifact_root"] == f"{data_dir}/artifacts"


def test_the_keep_alive_reaches_uvicorn_as_mlflow_starts_it(base_env, monkeypatch):
    """MLflow's own uvicorn command line, parsed by the pinned uvicorn's click command."""
    uvicorn_main = pytest.importorskip("uvicorn.main")
    server = pytest.importorskip("mlflow.server")
    params = parse({**base_env, "MLFLOW_KEEPALIVE_SECONDS": "90"}, monkeypatch).params
    command = server._build_uvicorn_command(params["uvicorn_opts"], params["host"], params["port"],
                                            params["workers"], "mlflow.server.fastapi_app:app")
    assert command[1:3] == ["-m", "uvicorn"]
    assert uvicorn_main.main.make_context("uvicorn", command[3:]).params["timeout_keep_alive"] == 90
