"""check_oci_artifact_store: the start-up check of an oci:// store, against the OCI emulator."""
import os

import pytest

from mlflow_launcher import ConfigError, check_oci_artifact_store, load_config
from oci_emulator import realm


@pytest.fixture
def config_for(base_env, oci_emulator_env, clean_oci_emulator):
    clean_oci_emulator.state.add_bucket("present")

    def make(bucket, iam_type="api_key", **env):
        return load_config({**base_env, "OCIFS_IAM_TYPE": iam_type, **env,
                            "MLFLOW_ARTIFACTS_DESTINATION": f"oci://{bucket}@{realm.NAMESPACE}/p/"})
    return make


@pytest.mark.parametrize("iam_type", ["api_key", "instance_principal"])
def test_a_present_bucket_passes_signed_by_the_identity(config_for, clean_oci_emulator, iam_type):
    config = config_for("present", iam_type)
    assert check_oci_artifact_store(config) == config
    calls = clean_oci_emulator.requests_for("object_storage")
    assert [(c["method"], c["status"], c["principal"]["type"]) for c in calls] == \
        [("HEAD", 200, iam_type)]


def test_missing_bucket_stops_the_start(config_for):
    with pytest.raises(ConfigError) as info:
        check_oci_artifact_store(config_for("absent"))
    assert info.value.variable == "MLFLOW_ARTIFACTS_DESTINATION"
    assert info.value.message.startswith(f"oci://absent@{realm.NAMESPACE}/p/: bucket 'absent' not "
                                         f"found in namespace '{realm.NAMESPACE}' or not authorized "
                                         "(OCI 404): create it")


def test_host_key_path_stops_the_start(config_for, oci_emulator_env, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".oci").mkdir(parents=True)
    config = open(os.path.join(oci_emulator_env["HOME"], ".oci", "config")).read()
    (home / ".oci" / "config").write_text(config.replace("~/.oci/", "/home/jdoe/.oci/"))
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(ConfigError) as info:
        check_oci_artifact_store(config_for("present"))
    assert info.value.variable == "MLFLOW_ARTIFACTS_DESTINATION"
    assert "host path that does not exist in the container; write key_file=~/.oci/" in info.value.message


def test_unreachable_oci_is_a_warning(config_for, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    config = config_for("present")
    warnings = check_oci_artifact_store(config).warnings[len(config.warnings):]
    assert len(warnings) == 1 and "Object Storage is unreachable from the container" in warnings[0]


def test_local_store_needs_no_oci(base_env):
    config = load_config(base_env)
    assert check_oci_artifact_store(config, {}) is config
