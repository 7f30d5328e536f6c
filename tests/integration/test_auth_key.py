# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logins' secret key the mlflow_server role makes: one key for every host of the play.

Two inventory hosts on this machine (local connection, a configuration directory each) run the role's key
tasks (tasks/auth_key.yml), and each writes the key it was given where the test reads it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = """
- hosts: all
  gather_facts: false
  vars:
    mlflow_server_auth_enabled: true
  tasks:
    - name: Choose the key
      ansible.builtin.include_role:
        name: oracle.mlflow.mlflow_server
        tasks_from: auth_key.yml
    - name: Say which key this host got
      ansible.builtin.copy:
        content: "{{ _mlflow_server_auth_generated_key }}"
        dest: "{{ mlflow_server_config_dir }}/given"
        mode: "0600"
"""


@pytest.fixture
def hosts(tmp_path):
    dirs = {name: tmp_path / name for name in ("first", "second", "third")}
    for path in dirs.values():
        path.mkdir()
    (tmp_path / "inventory.yml").write_text("all:\n  hosts:\n" + "".join(
        f"    {name}: {{ansible_connection: local, mlflow_server_config_dir: '{path}'}}\n"
        for name, path in dirs.items()))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    return dirs


def run_play(tmp_path):
    venv = REPO_ROOT / ".venv" / "bin"
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_PYTHON_INTERPRETER": str(venv / "python")}
    command = [str(venv / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")]
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    return run


def choose(tmp_path, hosts):
    run = run_play(tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return run.stdout, {name: (path / "given").read_text() for name, path in hosts.items()}


def test_a_key_one_host_has_is_every_hosts(tmp_path, hosts):
    (hosts["second"] / "auth_secret.key").write_text("the-fleets-key-of-host-two\n")
    output, given = choose(tmp_path, hosts)
    assert set(given.values()) == {"the-fleets-key-of-host-two"}
    assert "the-fleets-key-of-host-two" not in output


def test_without_one_every_host_gets_the_same_new_key(tmp_path, hosts):
    output, given = choose(tmp_path, hosts)
    keys = set(given.values())
    assert len(keys) == 1 and len(keys.pop()) == 64
    _, again = choose(tmp_path, hosts)
    assert again != given     # nothing kept it (present.yml does): a new key, again one for all
    assert len(set(again.values())) == 1


def test_a_key_file_that_cannot_be_read_stops_the_play(tmp_path, hosts):
    """Taken for "no key", it would give the fleet a second key."""
    (hosts["third"] / "auth_secret.key").mkdir()
    run = run_play(tmp_path)
    assert run.returncode != 0 and not (hosts["first"] / "given").exists()
