"""The docker --env-file the Ansible role bind-mounts, and its precedence."""
import json

import pytest

from mlflow_launcher import ConfigError, main, merged_environ, read_env_file


def write(path, text):
    path.write_text(text)
    return str(path)


def test_parsing(tmp_path):
    path = write(tmp_path / "mlflow.env",
                 "# comment\n\n  MLFLOW_HOST=0.0.0.0\nDBPASSWORD= a'b\"c # not a comment\n"
                 "EMPTY=\nEQ=a=b\r\n   # indented comment\n")
    assert read_env_file(path) == {"MLFLOW_HOST": "0.0.0.0",
                                   "DBPASSWORD": " a'b\"c # not a comment",
                                   "EMPTY": "", "EQ": "a=b"}


@pytest.mark.parametrize("line", ["NOEQUALS", "=value", "BAD KEY=x"])
def test_bad_line_names_the_line_number(tmp_path, line):
    path = write(tmp_path / "mlflow.env", f"A=1\n# c\n{line}\n")
    with pytest.raises(ConfigError) as info:
        read_env_file(path)
    assert info.value.variable == "MLFLOW_ENV_FILE"
    assert "line 3" in info.value.message and path in info.value.message


def test_process_env_wins(tmp_path):
    path = write(tmp_path / "mlflow.env", "MLFLOW_PORT=6000\nMLFLOW_WORKERS=2\n")
    merged = merged_environ({"MLFLOW_ENV_FILE": path, "MLFLOW_PORT": "7000"})
    assert merged["MLFLOW_PORT"] == "7000" and merged["MLFLOW_WORKERS"] == "2"


def test_default_path_is_optional(monkeypatch, launcher, tmp_path):
    assert merged_environ({"A": "1"}) == {"A": "1"}  # conftest points the default at tmp_path
    monkeypatch.setattr(launcher.envfile, "DEFAULT_ENV_FILE", write(tmp_path / "d.env", "B=2\n"))
    assert merged_environ({"A": "1"}) == {"A": "1", "B": "2"}


def test_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        merged_environ({"MLFLOW_ENV_FILE": str(tmp_path / "nope.env")})


def test_unreadable_file(tmp_path, monkeypatch, launcher):
    path = write(tmp_path / "mlflow.env", "A=1\n")
    monkeypatch.setattr(launcher.envfile, "_readable", lambda p: False)
    with pytest.raises(ConfigError) as info:
        read_env_file(path)
    assert path in info.value.message
    assert f"not readable by uid {launcher.envfile.os.getuid()}" in info.value.message


def test_main_uses_the_file_and_keeps_secrets_out_of_the_output(
        tmp_path, data_dir, set_env, capsys):
    path = write(tmp_path / "mlflow.env",
                 f"MLFLOW_HOST=0.0.0.0\nMLFLOW_DATA_DIR={data_dir}\nBACKEND_PROVIDER=mysql\n"
                 "DBUSERNAME=u\nDBPASSWORD=pw#1\nDBHOST=db\nMLFLOW_WORKERS=3\n")
    set_env({"MLFLOW_ENV_FILE": path, "MLFLOW_WORKERS": "5"})
    assert main(["print-command"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out)
    assert result["argv"][result["argv"].index("--workers") + 1] == "5"
    assert "pw" not in out


def test_main_bad_file_one_line(tmp_path, set_env, capsys):
    set_env({"MLFLOW_ENV_FILE": write(tmp_path / "mlflow.env", "oops\n")})
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mlflow-launcher: error: MLFLOW_ENV_FILE: ")
