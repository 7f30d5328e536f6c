"""oracle.mlflow.docker_host on fresh Debian 12 test hosts over SSH (the fleet fixture): a fresh host is prepared
(engine under systemd with the log rotation, the modules' venv), a second run changes nothing, check mode on a
fresh host does not fail, an engine installed by hand is left as it is, and a host without passwordless sudo
fails with one line.

Measured by hand on this kind of machine (2 cores): one fresh host 44 s, two in parallel 91-120 s (pip
installing oci into each venv dominates), the idempotent rerun 10 s; check mode on a fresh host 7 s."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "tests" / "fleet" / "docker_host.yml"
VENV_BIN = ROOT / ".venv" / "bin"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def play(inventory, *args, extra=None):
    cmd = [str(VENV_BIN / "ansible-playbook"), str(PLAYBOOK), "-i", str(inventory), *args]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "ANSIBLE_NOCOLOR": "1", "HOME": str(Path.home())})
    proc.seconds = time.monotonic() - start
    proc.output = proc.stdout + proc.stderr
    proc.recap = {m[0]: dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m[1:])))
                  for m in RECAP.findall(proc.stdout)}
    return proc


@pytest.fixture(scope="module")
def fleet(fleet_factory):
    # Two hosts: one prepared fresh (tests/e2e/test_fleet_rollout.py prepares three more through deploy.yml),
    # one with an engine installed by hand, then without passwordless sudo.
    fleet = fleet_factory("dh-docker-host", 2)
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


def test_fresh_hosts_are_prepared_then_left_unchanged(fleet, inventory):
    hosts = fleet.hosts[:1]
    first = play(inventory, "--limit", ",".join(h.name for h in hosts))
    assert first.returncode == 0, first.output[-3000:]
    for host in hosts:
        assert first.recap[host.name]["changed"] > 0
        assert host.run("systemctl is-active docker && systemctl is-enabled docker").returncode == 0
        daemon = json.loads(host.run("cat /etc/docker/daemon.json").stdout)
        assert daemon == {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}
        # dockerd applies it: a container created from an empty image gets the rotation
        log_config = host.run(
            "tar cf - --files-from /dev/null | docker import - dh-empty >/dev/null"
            " && docker create --name dh-logcheck dh-empty /none >/dev/null"
            " && docker inspect -f '{{json .HostConfig.LogConfig}}' dh-logcheck;"
            " docker rm dh-logcheck >/dev/null; docker rmi dh-empty >/dev/null", sudo=True).stdout
        assert json.loads(log_config.strip().splitlines()[0]) == {
            "Type": "json-file", "Config": {"max-file": "3", "max-size": "10m"}}
        versions = host.run("/opt/oracle-mlflow/venv/bin/python -c "
                            "'import docker, oci, requests; print(docker.__version__, oci.__version__, requests.__version__)'")
        assert versions.stdout.split() == ["7.1.0", "2.189.0", "2.32.5"]
    assert "/opt/oracle-mlflow/venv/bin/python" in first.stdout   # the play's interpreter from then on

    pid = {h.name: h.run("systemctl show -p ExecMainPID docker").stdout for h in hosts}
    again = play(inventory, "--limit", ",".join(h.name for h in hosts))
    assert again.returncode == 0, again.output[-3000:]
    assert all(again.recap[h.name]["changed"] == 0 for h in hosts), again.output[-3000:]
    assert pid == {h.name: h.run("systemctl show -p ExecMainPID docker").stdout for h in hosts}   # no restart
    check = play(inventory, "--check", "--limit", ",".join(h.name for h in hosts))
    assert check.returncode == 0 and all(check.recap[h.name]["changed"] == 0 for h in hosts), check.output[-3000:]


def test_changed_log_settings_restart_the_engine_once(fleet, inventory):
    host = fleet.hosts[0]
    before = host.run("systemctl show -p ExecMainPID docker").stdout
    run = play(inventory, "--limit", host.name, extra={"docker_host_log_max_size": "20m"})
    assert run.returncode == 0 and run.recap[host.name]["changed"] == 2, run.output[-3000:]   # the file, the restart
    assert json.loads(host.run("cat /etc/docker/daemon.json").stdout)["log-opts"]["max-size"] == "20m"
    assert host.run("systemctl show -p ExecMainPID docker").stdout != before
    assert play(inventory, "--limit", host.name, extra={"docker_host_log_max_size": "20m"}).recap[host.name]["changed"] == 0


def test_an_engine_installed_by_hand_is_left_as_it_is(fleet, inventory):
    host = fleet.hosts[1]
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
    host = fleet.hosts[1]
    host.run("echo 'opc ALL=(ALL) ALL' > /etc/sudoers.d/90-cloud-init-users", sudo=True)
    run = play(inventory, "--limit", host.name)
    assert run.returncode != 0 and run.recap[host.name]["failed"] == 1
    assert "cannot become root as opc: sudo asks for a password" in run.output
    assert "Missing sudo password" not in run.output
