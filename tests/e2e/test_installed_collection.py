"""The collection as users get it: the tarball `ansible-galaxy collection build` makes, installed
offline into an empty collections path, used by FQCN from a directory outside this checkout (no
project ansible.cfg), and documented by `ansible-doc` without a word on stderr.

The image build is shared with the rest of the suite: the installed mlflow_image role stages the same
build context as the checkout's, so the image module's content hash makes its build a no-op.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from e2e_support import docker, inspect

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
COLLECTION = ROOT / "ansible_collections" / "oracle" / "mlflow"
# Apart from every other test's container, port and directories.
CONTAINER, PORT = "oci-mlflow-e2e-installed", 5075
URL = f"http://127.0.0.1:{PORT}"
# ansible-doc types that are not plugin types of a collection.
NOT_PLUGINS = {"keyword"}

pytestmark = pytest.mark.e2e


def venv_site_packages() -> str:
    out = subprocess.run([str(VENV_BIN / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def user(tmp_path_factory) -> dict:
    """A user's world: a working directory of their own, an empty config, and a collections path
    holding only what `ansible-galaxy collection install` put there (plus the ansible package's
    bundled collections, where community.docker comes from)."""
    work = tmp_path_factory.mktemp("installed-collection")
    home = work / "project"
    home.mkdir()
    assert ROOT not in home.parents
    config = work / "empty-ansible.cfg"
    config.write_text("")
    collections = work / "collections"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env.update(PATH=f"{VENV_BIN}:{env['PATH']}", ANSIBLE_CONFIG=str(config), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(collections), venv_site_packages()]))

    dist = work / "dist"
    proc = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist),
                           str(COLLECTION)], cwd=home, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    galaxy = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())
    tarball = dist / f"oracle-mlflow-{galaxy['version']}.tar.gz"
    # Galaxy is out of reach: --offline resolves the dependencies from what is installed.
    proc = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p",
                           str(collections), str(tarball)], cwd=home, env=env, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "WARNING" not in output, output
    assert f"oracle.mlflow:{galaxy['version']} was installed successfully" in output, output
    assert "'community.docker:" in output and "is already installed" in output, output
    return {"home": home, "env": env, "work": work, "version": galaxy["version"],
            "installed": collections / "ansible_collections" / "oracle" / "mlflow"}


def run(user: dict, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(VENV_BIN / argv[0]), *argv[1:]], cwd=user["home"], env=user["env"],
                          capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_oracle_mlflow_resolves_to_the_installed_copy_only(user):
    listing = json.loads(run(user, "ansible-galaxy", "collection", "list", "oracle.mlflow",
                             "--format", "json").stdout)
    assert listing == {str(user["installed"].parents[1]): {"oracle.mlflow": {"version": user["version"]}}}
    assert (user["installed"] / "LICENSE").is_file()
    assert not (user["home"] / "ansible.cfg").exists()


def documented(user: dict) -> dict[str, list[str]]:
    """Every plugin and role of the installed collection, as ansible-doc enumerates them, by type."""
    dump = json.loads(run(user, "ansible-doc", "--metadata-dump", "--no-fail-on-errors", "oracle.mlflow").stdout)
    return {kind: sorted(names) for kind, names in dump["all"].items() if names and kind not in NOT_PLUGINS}


def test_ansible_doc_finds_every_plugin_file_and_role(user):
    found = documented(user)
    plugins = user["installed"] / "plugins"
    # Each plugin file of a documentable type, and each role, is in the listing (a plugin whose
    # documentation does not load would be missing from it).
    for directory, kind in (("modules", "module"), ("lookup", "lookup"), ("inventory", "inventory"),
                            ("callback", "callback"), ("connection", "connection"), ("become", "become"),
                            ("cache", "cache"), ("vars", "vars"), ("strategy", "strategy")):
        for path in sorted((plugins / directory).glob("[!_]*.py")):
            assert f"oracle.mlflow.{path.stem}" in found.get(kind, []), (kind, path.name, found)
    for directory in ("filter", "test"):
        if list((plugins / directory).glob("[!_]*.py")):
            assert found.get(directory), f"plugins/{directory} has plugins ansible-doc does not list"
    roles = sorted(p.name for p in (user["installed"] / "roles").iterdir() if (p / "tasks").is_dir())
    assert found.get("role") == [f"oracle.mlflow.{name}" for name in roles]
    assert len(found.get("module", [])) >= 4


def test_ansible_doc_renders_every_plugin_and_role_with_nothing_on_stderr(user):
    rendered = []
    for kind, names in documented(user).items():
        for name in names:
            proc = run(user, "ansible-doc", "-t", kind, name, check=False)
            assert proc.returncode == 0 and proc.stderr == "", f"ansible-doc -t {kind} {name}:\n{proc.stderr}"
            assert name in proc.stdout and len(proc.stdout.splitlines()) > 5, proc.stdout
            # The header names where the documentation came from: the installed copy.
            assert str(user["installed"]) in proc.stdout.splitlines()[0], proc.stdout.splitlines()[0]
            rendered.append(name)
    assert "oracle.mlflow.mlflow_server" in rendered and "oracle.mlflow.mlflow_image" in rendered


@pytest.fixture(scope="module")
def current_image(image_base, tmp_path_factory):
    """The image as this checkout builds it (from its own ansible.cfg and local inventory): a no-op
    when the suite built it already. Staged afresh, as the installed role's is: the role never
    removes what an earlier checkout staged in its build directory."""
    work = tmp_path_factory.mktemp("checkout-build")
    playbook = work / "build.yml"
    ref_file = work / "image-ref"
    playbook.write_text("- name: Build the MLflow image from the checkout\n  hosts: mlflow_image_builders\n"
                        "  gather_facts: false\n  roles:\n    - role: oracle.mlflow.mlflow_image\n"
                        "  post_tasks:\n    - name: Write down the image reference\n"
                        "      ansible.builtin.copy:\n        content: '{{ mlflow_image_ref }}'\n"
                        f"        dest: {ref_file}\n        mode: '0644'\n")
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}", "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", "inventories/local",
                           "-e", json.dumps({"mlflow_image_base": image_base,
                                             "mlflow_image_build_dir": str(work / "image")})],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ref = ref_file.read_text()
    image = json.loads(docker("image", "inspect", ref).stdout)[0]
    return {"ref": ref, "id": image["Id"], "hash": image["Config"]["Labels"]["org.oracle.mlflow.build-hash"]}


@pytest.fixture(scope="module")
def site(user, image_base):
    root = user["work"] / "site"
    variables = {
        # What the local inventory gives this machine's builds (its HTTPS goes through a proxy).
        "mlflow_image_base": image_base,
        "mlflow_image_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
        "mlflow_image_build_dir": str(root / "image"),
        "mlflow_server_container_name": CONTAINER,
        "mlflow_server_host": "127.0.0.1",
        "mlflow_server_port": PORT,
        "mlflow_server_data_dir": str(root / "data"),
        "mlflow_server_config_dir": str(root / "etc"),
    }
    home = user["home"]
    (home / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
    (home / "vars.yml").write_text(yaml.safe_dump(variables))
    (home / "site.yml").write_text(
        "- name: Build and run MLflow with oracle.mlflow\n  hosts: localhost\n  vars_files: [vars.yml]\n"
        "  roles:\n    - role: oracle.mlflow.mlflow_image\n    - role: oracle.mlflow.mlflow_server\n")
    (home / "teardown.yml").write_text(
        "- name: Remove MLflow and its data\n  hosts: localhost\n  gather_facts: false\n"
        "  vars_files: [vars.yml]\n  roles:\n    - role: oracle.mlflow.mlflow_server\n"
        "      vars:\n        mlflow_server_state: absent\n        mlflow_server_purge_data: true\n")
    docker("rm", "-f", CONTAINER, check=False)
    yield {"root": root, **variables}
    docker("rm", "-f", CONTAINER, check=False)
    shutil.rmtree(root, ignore_errors=True)


def test_installed_roles_build_nothing_new_and_serve(user, site, current_image):
    started = time.monotonic()
    proc = run(user, "ansible-playbook", "-i", "hosts.yml", "site.yml")
    assert "failed=0" in proc.stdout, proc.stdout[-3000:]
    image = json.loads(docker("image", "inspect", current_image["ref"]).stdout)[0]
    # The same build context and arguments: the module's content hash found the image current.
    assert image["Config"]["Labels"]["org.oracle.mlflow.build-hash"] == current_image["hash"]
    assert image["Id"] == current_image["id"], "the installed role rebuilt the image"
    container = inspect(CONTAINER)
    assert container["State"]["Running"] and container["Image"] == current_image["id"]
    assert container["Config"]["Labels"]["org.oracle.mlflow.managed-by"] == "oracle.mlflow.mlflow_server"
    assert time.monotonic() - started < 240


def test_client_round_trip(site, tmp_path):
    client = MlflowClient(tracking_uri=URL)
    exp_id = client.create_experiment(f"installed-{time.time_ns()}")
    run_id = client.create_run(exp_id).info.run_id
    client.log_param(run_id, "source", "tarball")
    client.log_metric(run_id, "score", 0.75, step=1)
    artifact = tmp_path / "note.txt"
    artifact.write_text("from the installed collection\n")
    client.log_artifact(run_id, str(artifact))
    client.set_terminated(run_id)

    got = MlflowClient(tracking_uri=URL).get_run(run_id)
    assert got.data.params == {"source": "tarball"} and got.data.metrics == {"score": 0.75}
    assert got.info.status == "FINISHED"
    downloaded = Path(client.download_artifacts(run_id, "note.txt", str(tmp_path / "dl")))
    assert downloaded.read_text() == "from the installed collection\n"
    assert list(Path(site["mlflow_server_data_dir"], "artifacts").rglob("note.txt"))


def test_installed_teardown_removes_everything(user, site):
    run(user, "ansible-playbook", "-i", "hosts.yml", "teardown.yml")
    assert inspect(CONTAINER) is None
    assert not Path(site["mlflow_server_data_dir"]).exists()
    assert not Path(site["mlflow_server_config_dir"]).exists()
