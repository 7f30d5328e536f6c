"""The changelog the release is cut from: antsibull-changelog accepts it and its fragments, and its
newest release is the version galaxy.yml builds.

Unreleased fragments are expected (each change adds one; the release is cut later with
`antsibull-changelog release`): only malformed ones fail here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.compat.version import LooseVersion
from ansible.parsing.plugin_docs import read_docstring

REPO_ROOT = Path(__file__).resolve().parents[3]
COLLECTION = REPO_ROOT / "ansible_collections" / "oracle" / "mlflow"
CHANGELOG = REPO_ROOT / ".venv" / "bin" / "antsibull-changelog"


def antsibull(*args: str, cwd: Path = COLLECTION) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHANGELOG), *args], cwd=cwd, capture_output=True, text=True)


def releases() -> dict:
    return yaml.safe_load((COLLECTION / "changelogs" / "changelog.yaml").read_text())["releases"]


def test_fragments_and_changelog_yaml_lint_clean():
    proc = antsibull("lint")
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr
    proc = antsibull("lint-changelog-yaml", "--strict", "changelogs/changelog.yaml")
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def test_latest_release_is_the_galaxy_version():
    version = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"]
    latest = max(releases(), key=LooseVersion)
    assert latest == version, f"changelog.yaml's newest release is {latest}, galaxy.yml builds {version}"


def test_every_plugin_is_recorded_in_the_release_its_docs_name():
    """antsibull-changelog lists new plugins per release by their version_added: each plugin's
    version_added must be the release that lists it, or the one still to be cut (galaxy.yml's)."""
    recorded = {}
    for version, release in releases().items():
        for module in release.get("modules", []):
            recorded[("modules", module["name"])] = version
        for plugin_type, plugins in release.get("plugins", {}).items():
            for plugin in plugins:
                recorded[(plugin_type, plugin["name"])] = version
    galaxy_version = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"]
    documented = 0
    for path in sorted((COLLECTION / "plugins").glob("*/[!_]*.py")):
        if path.parent.name in ("action", "doc_fragments", "module_utils", "filter", "test"):
            continue  # not plugins of their own, or (filter, test) documented per function elsewhere
        doc = read_docstring(str(path))["doc"]
        version_added = str(doc["version_added"])
        where = recorded.get((path.parent.name, path.stem))
        assert where == version_added or (where is None and version_added == galaxy_version), (
            f"{path.parent.name}/{path.name}: version_added {version_added}, recorded in {where}")
        documented += 1
    assert documented >= 5


@pytest.fixture()
def scratch(tmp_path):
    """A copy of the collection's changelog setup, to feed the linter fragments."""
    tree = tmp_path / "ansible_collections" / "oracle" / "mlflow"
    tree.mkdir(parents=True)
    shutil.copy(COLLECTION / "galaxy.yml", tree)
    shutil.copytree(COLLECTION / "changelogs", tree / "changelogs",
                    ignore=shutil.ignore_patterns(".plugin-cache.yaml"))
    fragments = tree / "changelogs" / "fragments"
    fragments.mkdir(exist_ok=True)
    return fragments


def test_an_unreleased_fragment_is_fine(scratch):
    (scratch / "new-thing.yml").write_text("minor_changes:\n  - mlflow_server - a new knob.\n"
                                           "trivial:\n  - tests for it.\n")
    proc = antsibull("lint", cwd=scratch.parents[1])
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def test_a_malformed_fragment_fails(scratch):
    (scratch / "broken.yml").write_text("minor_changes: not a list\nnew_stuff:\n  - x\n")
    proc = antsibull("lint", cwd=scratch.parents[1])
    assert proc.returncode != 0
    assert "broken.yml" in proc.stdout and "new_stuff" in proc.stdout, proc.stdout
