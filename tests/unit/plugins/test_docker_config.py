"""module_utils/_docker_config.py: the docker client config file, read and written without docker."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from ansible_collections.oracle.mlflow.plugins.module_utils._docker_config import (
    DockerConfig,
    DockerConfigError,
    default_config_path,
)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_default_path_follows_docker_config(monkeypatch, tmp_path):
    assert default_config_path() == str(tmp_path / "home" / ".docker" / "config.json")  # HOME from conftest
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "dc"))
    assert default_config_path() == str(tmp_path / "dc" / "config.json")


def test_new_file_and_directory_are_private(tmp_path):
    path = tmp_path / "new" / ".docker" / "config.json"
    config = DockerConfig(str(path))
    assert not config.exists and config.get_auth("r.example") is None

    config.set_auth("r.example", "ns/jdoe", "s:e:cret")
    config.write()

    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    entry = json.loads(path.read_text())["auths"]["r.example"]
    assert base64.b64decode(entry["auth"]).decode() == "ns/jdoe:s:e:cret"
    assert DockerConfig(str(path)).get_auth("r.example") == ("ns/jdoe", "s:e:cret")


def test_other_entries_and_settings_are_kept(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"auths": {"other.example": {"auth": "eDp5"}, "https://r.example/v1/": {"auth": "YTpi"}},
                                "proxies": {"default": {"httpProxy": "http://proxy:3128"}}}))
    path.chmod(0o644)
    config = DockerConfig(str(path))
    assert config.get_auth("r.example") == ("a", "b")  # keys with a scheme count for the host
    assert not config.private

    config.set_auth("r.example", "BEARER_TOKEN", "t")
    config.write()

    data = json.loads(path.read_text())
    assert set(data["auths"]) == {"other.example", "r.example"}
    assert data["proxies"] == {"default": {"httpProxy": "http://proxy:3128"}}
    assert mode(path) == 0o600


def test_remove(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"auths": {"r.example": {"auth": "YTpi"}, "keep.example": {}}}))
    config = DockerConfig(str(path))

    assert config.remove_auth("r.example") is True
    assert config.remove_auth("r.example") is False
    config.write()
    assert json.loads(path.read_text()) == {"auths": {"keep.example": {}}}


def test_credential_helpers(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credHelpers": {"iad.ocir.io": "ocir"}}))
    assert DockerConfig(str(path)).credential_helper("iad.ocir.io") == "ocir"
    assert DockerConfig(str(path)).credential_helper("phx.ocir.io") is None
    path.write_text(json.dumps({"credsStore": "desktop"}))
    assert DockerConfig(str(path)).credential_helper("phx.ocir.io") == "desktop"


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_broken_file(tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(DockerConfigError, match="fix or remove it"):
        DockerConfig(str(path))


def test_empty_file_is_an_empty_config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("")
    assert DockerConfig(str(path)).auths == {}
