"""The fleet fixture itself: three hosts that look like fresh OCI instances, reached over loopback only."""

from __future__ import annotations

import http.server
import subprocess
import threading

import pytest
import yaml
from support.fleet import fleet_emulator_wiring
from support.fleet_ansible import HostsUnreachable
from support.fleet_emulator import CA_PATH

COUNT = 3


class _Pong(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"outer-ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def outer_service():
    """A service on this machine's loopback only, standing in for a registry or MariaDB."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pong)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def fleet(fleet_factory, oci_emulator, outer_service):
    fleet = fleet_factory("fleettest", COUNT, relay_ports=[oci_emulator.port, outer_service], publish=[5000])
    yield fleet
    fleet.destroy()


@pytest.fixture(scope="module")
def wiring(fleet, oci_emulator):
    return fleet_emulator_wiring(fleet, oci_emulator)


def test_hosts_are_fresh_instances_reached_as_opc(fleet):
    assert [h.name for h in fleet.hosts] == [f"fleettest{i}" for i in range(1, COUNT + 1)]
    assert len({h.ssh_port for h in fleet.hosts}) == COUNT
    for host in fleet.hosts:
        assert host.container.startswith("oci-mlflow-fleet-fleettest")
        facts = host.run("id -un; hostname; sudo -n id -u; command -v docker || echo no-docker; "
                         "python3 -c 'import sys; print(sys.version_info >= (3, 8))'").stdout.split()
        assert facts == ["opc", host.name, "0", "no-docker", "True"]
        assert host.run("id -u", sudo=True).stdout.strip() == "0"
        assert host.run("systemctl is-system-running --wait", check=False).stdout.strip() in {"running", "degraded"}


def test_ssh_is_key_only(fleet):
    host = fleet.hosts[0]
    refused = subprocess.run(["ssh", "-p", str(host.ssh_port), "-o", "BatchMode=yes", "-o", "PubkeyAuthentication=no",
                              "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                              "opc@127.0.0.1", "true"], check=False, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 255 and "publickey" in refused.stderr


def test_each_host_reaches_an_outer_loopback_service_through_its_relay(fleet, outer_service):
    for host in fleet.hosts:
        assert host.run(f"curl -sf http://127.0.0.1:{outer_service}/").stdout == "outer-ok"


def test_published_ports_are_on_this_machines_loopback(fleet):
    host = fleet.hosts[1]
    assert set(host.published) == {5000}
    ports = subprocess.run(["docker", "port", host.container], capture_output=True, text=True, check=True).stdout
    assert f"5000/tcp -> 127.0.0.1:{host.published[5000]}" in ports
    assert f"22/tcp -> 127.0.0.1:{host.ssh_port}" in ports
    assert "0.0.0.0" not in ports


def test_each_host_is_its_own_instance_in_the_emulator(fleet, wiring, clean_oci_emulator):
    """After a per-test reset too (clean_oci_emulator): the named instances outlive it."""
    ids = {}
    for host in fleet.hosts:
        env = wiring[host.name]["oci_emulator_env"]
        metadata = env["OCI_METADATA_BASE_URL"]
        ids[host.name] = host.run(f"curl -sf -H 'Authorization: Bearer Oracle' {metadata}/instance/id").stdout
        assert host.run(f"stat -c %a {CA_PATH}").stdout.strip() == "644"
        assert host.run(f"cat {CA_PATH}").stdout.encode() == clean_oci_emulator.credentials.ca_file.read_bytes()
    assert ids == {name: vars_["instance_id"] for name, vars_ in wiring.items()}
    assert len(set(ids.values())) == COUNT
    seen = {e["path"] for e in clean_oci_emulator.requests_for("metadata")}
    assert seen == {f"/instances/{name}/opc/v2/instance/id" for name in ids}


def test_the_wiring_as_inventory_host_vars(fleet, wiring, tmp_path, fleet_ansible):
    inventory = fleet.inventory(tmp_path / "inventory.yml", host_vars=wiring)
    hosts = yaml.safe_load(inventory.read_text())["all"]["children"]["mlflow_servers"]["hosts"]
    first = fleet.hosts[0]
    assert hosts[first.name]["ansible_port"] == first.ssh_port
    assert hosts[first.name]["mlflow_server_extra_env"]["SSL_CERT_FILE"] == CA_PATH
    # The same inventory through Ansible (SSH as opc, become): each host answers with its own name.
    results = fleet_ansible(inventory)("ansible.builtin.command", "hostname")
    assert {name: r["stdout"] for name, r in results.items()} == {h.name: h.name for h in fleet.hosts}
    assert fleet_ansible(inventory)("ansible.builtin.command", "id -u")[first.name]["stdout"] == "0"


def test_a_stopped_host_refuses_ssh_and_comes_back(fleet, outer_service, fleet_ansible):
    host = fleet.hosts[-1]
    host.stop()
    assert not host.ssh_ready()
    with pytest.raises(HostsUnreachable) as down:
        fleet_ansible(fleet)("ansible.builtin.ping")
    assert (set(down.value.unreachable), set(down.value.contacted)) == ({host.name}, {h.name for h in fleet.hosts[:-1]})
    assert host.start() < 30
    assert host.run(f"curl -sf http://127.0.0.1:{outer_service}/").stdout == "outer-ok", "relays come back at boot"
