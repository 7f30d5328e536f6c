"""What roles do first on a fresh instance, on one test host: pip in a venv and a stock docker.io.

Opt-in (FLEET_PACKAGES=1): they fetch packages from the mirrors, 30-60 s, and prove the image
rather than the fixture (tests/fleet/test_fleet_hosts.py covers the fixture in seconds).
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("FLEET_PACKAGES") != "1", reason="set FLEET_PACKAGES=1")


@pytest.fixture(scope="module")
def host(fleet_factory):
    fleet = fleet_factory("fleetpkg", 1)
    yield fleet.hosts[0]
    fleet.destroy()


def test_pip_in_a_venv_uses_the_same_index_and_mirrors_as_outside(host):
    host.run("python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -q requests==2.32.5")
    assert host.run("/tmp/venv/bin/python -c 'import requests; print(requests.__version__)'").stdout.strip() == "2.32.5"


def test_a_stock_docker_io_runs_a_nested_engine(host):
    host.docker_installed()
    info = host.run("docker info --format '{{.Driver}} {{.DockerRootDir}}'", sudo=True).stdout.split()
    assert info == ["overlay2", "/var/lib/docker"]
    assert "docker0" in host.run("ip -br link").stdout, "its own bridge, in the host's own namespace"
