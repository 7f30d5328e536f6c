"""oracle.mlflow.docker_host on a fresh Debian 12 test host over SSH (the fleet fixture): check mode on a fresh
host does not fail and writes nothing, an engine installed by hand is left as it is, and a host without
passwordless sudo fails with one line.

A fresh host prepared by the role (engine under systemd with the log rotation, the modules' venv), then left
unchanged by a second run and by check mode, and an engine restarted once for changed log settings, are proven
on the fleet's three hosts in tests/e2e/test_fleet_rollout.py: one preparation of fresh hosts, not two."""

from __future__ import annotations

import pytest

from support.docker_host_play import docker_host_play as play


@pytest.fixture(scope="module")
def fleet(fleet_factory):
    # One host: fresh for check mode, then with an engine installed by hand, then without passwordless sudo.
    fleet = fleet_factory("dh-docker-host", 1)
    yield fleet
    fleet.destroy()


@pytest.fixture(scope="module")
def inventory(fleet, tmp_path_factory):
    return fleet.inventory(tmp_path_factory.mktemp("dh") / "hosts.yml")


def test_check_mode_on_fresh_hosts_does_not_fail(fleet, inventory):
    run = play(inventory, "--check", "--limit", fleet.hosts[0].name)
    assert run.returncode == 0, run.output[-3000:]
    assert run.recap[fleet.hosts[0].name]["changed"] > 0
    # check mode wrote nothing
    assert fleet.hosts[0].run("test ! -e /etc/docker/daemon.json && ! command -v dockerd", check=False).returncode == 0


def test_an_engine_installed_by_hand_is_left_as_it_is(fleet, inventory):
    host = fleet.hosts[0]
    host.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io"
             " >/dev/null && echo '{\"log-driver\": \"local\"}' > /etc/docker/daemon.json && systemctl restart docker",
             sudo=True)
    state = "md5sum /etc/docker/daemon.json; systemctl show -p ExecMainPID docker; dpkg-query -W docker.io apparmor 2>&1"
    before = host.run(state, sudo=True, check=False).stdout
    run = play(inventory, "--limit", host.name)
    assert run.returncode == 0, run.output[-3000:]
    assert host.run(state, sudo=True, check=False).stdout == before
    assert host.run("test ! -e /opt/oracle-mlflow/engine-managed", check=False).returncode == 0
    assert play(inventory, "--limit", host.name).recap[host.name]["changed"] == 0


def test_no_passwordless_sudo_fails_with_one_line(fleet, inventory):
    host = fleet.hosts[0]
    host.run("echo 'opc ALL=(ALL) ALL' > /etc/sudoers.d/90-cloud-init-users", sudo=True)
    run = play(inventory, "--limit", host.name)
    assert run.returncode != 0 and run.recap[host.name]["failed"] == 1
    assert "cannot become root as opc: sudo asks for a password" in run.output
    assert "Missing sudo password" not in run.output
