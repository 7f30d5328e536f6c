"""serve refuses to start on an address another process holds: MLflow would log the bind error and
exit 0, and a restart policy would loop on it without a word."""
import socket

import pytest

from mlflow_launcher import ConfigError, load_config, main
from mlflow_launcher.command import check_port_free


@pytest.fixture
def held_port():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


def test_a_held_port_is_one_line_naming_mlflow_port(base_env, held_port):
    config = load_config({**base_env, "MLFLOW_HOST": "127.0.0.1", "MLFLOW_PORT": str(held_port)})
    with pytest.raises(ConfigError) as info:
        check_port_free(config)
    assert info.value.variable == "MLFLOW_PORT"
    assert info.value.message == (f"127.0.0.1:{held_port} is already in use by another process on this host; "
                                  "stop it, or set another MLFLOW_PORT")


def test_a_wildcard_bind_conflicts_with_a_loopback_listener(base_env, held_port):
    with pytest.raises(ConfigError, match="already in use"):
        check_port_free(load_config({**base_env, "MLFLOW_PORT": str(held_port)}))


def test_a_free_port_passes_and_stays_free(base_env, held_port):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    config = load_config({**base_env, "MLFLOW_HOST": "127.0.0.1", "MLFLOW_PORT": str(port)})
    check_port_free(config)
    check_port_free(config)  # the check itself holds nothing


def test_an_address_the_host_does_not_have(base_env):
    with pytest.raises(ConfigError) as info:
        check_port_free(load_config({**base_env, "MLFLOW_HOST": "192.0.2.123", "MLFLOW_PORT": "5999"}))
    assert info.value.variable == "MLFLOW_HOST" and "is not an address of this host" in info.value.message


def test_serve_exits_2_before_exec(base_env, held_port, set_env, capsys, monkeypatch, launcher):
    calls = []
    monkeypatch.setattr(launcher.cli.os, "execvpe", lambda *args: calls.append(args))
    set_env({**base_env, "MLFLOW_HOST": "127.0.0.1", "MLFLOW_PORT": str(held_port)})
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlflow-launcher: error: MLFLOW_PORT: 127.0.0.1:") and err.count("\n") == 1
    assert calls == []
