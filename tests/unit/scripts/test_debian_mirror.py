"""scripts/debian-mirror.sh: which Debian mirror scripts/base-image.sh debootstraps from, read from
fake apt configuration directories (MLFLOW_APT_DIR); no network, no Docker engine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "scripts" / "debian-mirror.sh"
BASE_IMAGE = REPO_ROOT / "scripts" / "base-image.sh"

DEB822 = """\
Types: deb
# http://old.example.test/archive/debian/20250520T000000Z
URIs: http://mirror.example.test/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.test/debian-security
Suites: bookworm-security
Components: main
"""


@pytest.fixture()
def apt_dir(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    return tmp_path


def mirror(apt_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "MLFLOW_DEBIAN_MIRROR"}
    return subprocess.run([str(SCRIPT), *args], env={**base, "MLFLOW_APT_DIR": str(apt_dir), **env},
                          capture_output=True, text=True, timeout=30)


def found(apt_dir: Path, *args: str, **env: str) -> str:
    proc = mirror(apt_dir, *args, **env)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout.strip()


def test_deb822_sources(apt_dir):
    (apt_dir / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert found(apt_dir) == "http://mirror.example.test/debian"


def test_deb822_suite_match_beats_order_and_skips_disabled_and_source_stanzas(apt_dir):
    (apt_dir / "sources.list.d" / "a-vendor.sources").write_text(
        "Types: deb\nURIs: https://vendor.example.test/apt\nSuites: nodistro\nComponents: main\n")
    (apt_dir / "sources.list.d" / "b-debian.sources").write_text(
        "Types: deb\nURIs: http://off.example.test/debian\nSuites: bookworm\nEnabled: no\n\n"
        "Types: deb-src\nURIs: http://src.example.test/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs:\n http://proxy.example.test:3142/debian/\n http://second.example.test/debian\n"
        "Suites: bookworm\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n Suites: trap\n")
    (apt_dir / "sources.list.d" / "disabled.sources.off").write_text(
        "Types: deb\nURIs: http://ignored.example.test/debian\nSuites: bookworm\n")
    assert found(apt_dir) == "http://proxy.example.test:3142/debian"


def test_one_line_sources_list(apt_dir):
    (apt_dir / "sources.list").write_text(
        "# deb http://commented.example.test/debian bookworm main\n"
        "deb-src http://src.example.test/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://mirror.example.test/debian bookworm main contrib\n"
        "deb http://mirror.example.test/debian-security bookworm-security main\n")
    assert found(apt_dir) == "http://mirror.example.test/debian"


def test_one_line_list_in_sources_list_d(apt_dir):
    (apt_dir / "sources.list.d" / "mirror.list").write_text("deb http://mirror.example.test/debian/ trixie main\n")
    # Another suite than the host's: the Debian archive path still names a mirror of every suite.
    assert found(apt_dir, "bookworm") == "http://mirror.example.test/debian"
    assert found(apt_dir, "trixie") == "http://mirror.example.test/debian"


def test_override_wins_over_the_host_sources(apt_dir):
    (apt_dir / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert found(apt_dir, MLFLOW_DEBIAN_MIRROR="http://override.example.test/debian/") \
        == "http://override.example.test/debian"


def test_no_mirror_fails_with_one_line_naming_the_variable(apt_dir):
    (apt_dir / "sources.list.d" / "vendor.sources").write_text(
        "Types: deb\nURIs: https://vendor.example.test/apt\nSuites: nodistro\n")
    proc = mirror(apt_dir)
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "MLFLOW_DEBIAN_MIRROR" in lines[0] and str(apt_dir) in lines[0], proc.stderr


def test_base_image_stops_at_that_line_before_installing_anything(apt_dir, tmp_path):
    """No base image to use or pull (a stand-in docker that fails) and no mirror: base-image.sh ends
    with the line, and neither apt-get nor debootstrap runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool in ("docker", "apt-get", "debootstrap"):
        (bin_dir / tool).write_text(f"#!/bin/sh\necho {tool} \"$@\" >> {calls}\nexit 1\n")
        (bin_dir / tool).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_DEBIAN_MIRROR"}
    env.update(PATH=f"{bin_dir}:/usr/bin:/bin", MLFLOW_APT_DIR=str(apt_dir))
    proc = subprocess.run([str(BASE_IMAGE)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "MLFLOW_DEBIAN_MIRROR" in proc.stderr.splitlines()[-1], proc.stderr
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["docker"] * 3, calls.read_text()
