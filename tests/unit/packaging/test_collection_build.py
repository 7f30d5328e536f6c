"""The collection tarball as `ansible-galaxy collection build` makes it: metadata, license, and nothing
a working tree gathers (test output, caches, virtualenvs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
COLLECTION = REPO_ROOT / "ansible_collections" / "oracle" / "mlflow"
GALAXY = REPO_ROOT / ".venv" / "bin" / "ansible-galaxy"
DEBIAN_GPL3 = Path("/usr/share/common-licenses/GPL-3")

# What a working tree of the collection may hold after tests, lint and local experiments.
DECOYS = [
    "tests/output/bot/ansible-test-sanity.json",
    ".venv/bin/python",
    "roles/mlflow_image/files/launcher/.venv/pyvenv.cfg",
    ".pytest_cache/v/cache/lastfailed",
    "roles/mlflow_image/files/launcher/.pytest_cache/README.md",
    ".cache/pip/x",
    ".ansible/collections/x",
    ".mypy_cache/x.json",
    ".ruff_cache/x",
    "roles/mlflow_image/files/launcher/mlflow_launcher.egg-info/PKG-INFO",
    "plugins/modules/__pycache__/image.cpython-311.pyc",
    "roles/mlflow_image/files/launcher/mlflow_launcher/__pycache__/cli.cpython-311.pyc",
    ".coverage",
    "changelogs/.plugin-cache.yaml",
    "oracle-mlflow-0.0.1.tar.gz",
]


@pytest.fixture(scope="module")
def galaxy() -> dict:
    return yaml.safe_load((COLLECTION / "galaxy.yml").read_text())


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    """The tarball built from a copy of the collection cluttered with DECOYS."""
    work = tmp_path_factory.mktemp("build")
    tree = work / "oracle" / "mlflow"
    shutil.copytree(COLLECTION, tree, ignore=shutil.ignore_patterns("output", "__pycache__"))
    for decoy in DECOYS:
        path = tree / decoy
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("decoy\n")
    out = work / "dist"
    proc = subprocess.run([str(GALAXY), "collection", "build", "--output-path", str(out), str(tree)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    (built,) = out.glob("oracle-mlflow-*.tar.gz")
    return built


def members(tarball: Path) -> set[str]:
    with tarfile.open(tarball) as tar:
        return set(tar.getnames())


def test_tarball_is_named_after_the_galaxy_version(tarball, galaxy):
    assert tarball.name == f"oracle-mlflow-{galaxy['version']}.tar.gz"


def test_tarball_holds_the_full_gpl3_text(tarball):
    with tarfile.open(tarball) as tar:
        text = tar.extractfile("LICENSE").read().decode()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE")
    assert "Version 3, 29 June 2007" in text
    assert "END OF TERMS AND CONDITIONS" in text and "How to Apply These Terms" in text
    if DEBIAN_GPL3.is_file():
        assert text == DEBIAN_GPL3.read_text()


def test_tarball_holds_no_working_tree_clutter(tarball):
    names = members(tarball)
    clutter = sorted(n for n in names
                     if any(part in {"output", ".venv", ".pytest_cache", ".cache", ".ansible", ".mypy_cache",
                                     ".ruff_cache", "__pycache__", ".coverage", ".plugin-cache.yaml"}
                            for part in n.split("/"))
                     or n.endswith((".pyc", ".tar.gz", ".egg-info")) or ".egg-info/" in n)
    assert clutter == []
    # What users need is all there.
    for needed in ("README.md", "CHANGELOG.rst", "meta/runtime.yml", "changelogs/changelog.yaml",
                   "plugins/modules", "roles/mlflow_server/tasks/absent.yml",
                   "roles/mlflow_image/files/.dockerignore", "roles/mlflow_image/files/requirements.lock"):
        assert needed in names, needed
    assert [n for n in names if n.startswith("plugins/modules/") and n.endswith(".py")]


def test_manifest_carries_license_and_links(tarball, galaxy):
    with tarfile.open(tarball) as tar:
        info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    assert info["license"] == ["GPL-3.0-or-later"]
    assert info["license_file"] is None
    repository = galaxy["repository"].rstrip("/")
    assert info["repository"] == repository
    assert info["homepage"].rstrip("/") == repository
    assert info["issues"] == f"{repository}/issues"
    assert info["documentation"].startswith(f"{repository}/")
    assert info["version"] == galaxy["version"]
