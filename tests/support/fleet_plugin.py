"""pytest fixtures for fleets of test hosts (support.fleet): fresh OCI-instance look-alikes over SSH.

Loaded for the whole tree by tests/conftest.py (`pytest_plugins`, as `support.fleet_plugin`).

    def test_deploy(fleet_factory, oci_emulator, fleet_ansible, tmp_path):
        fleet = fleet_factory("web", 2, relay_ports=[oci_emulator.port], publish=[5000])
        inventory = fleet.inventory(tmp_path / "inventory.yml",
                                    host_vars=fleet_emulator_wiring(fleet, oci_emulator))
        ...  # ansible-playbook -i inventory ...
        assert all(r["rc"] == 0 for r in fleet_ansible(inventory)("ansible.builtin.command", "true").values())
        host = fleet.hosts[0]; host.published[5000]    # the host's MLflow on 127.0.0.1:<that port>

Figures (image build or cache, each fleet's start) are printed in the terminal summary.
"""

from __future__ import annotations

import atexit
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from .fleet import Fleet
from .fleet_ansible import AnsibleHosts
from .fleet_emulator import fleet_emulator_wiring  # noqa: F401 - importable from here too
from .fleet_image import ensure_image

_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def fleet_image(image_base: str) -> str:
    """The test-host image tag, built once (and not again while its content is unchanged)."""
    start = time.monotonic()
    tag = ensure_image(image_base)
    _FIGURES.append(f"test-host image {tag}: ready in {time.monotonic() - start:.1f} s")
    return tag


@pytest.fixture(scope="session")
def fleet_factory(fleet_image: str, tmp_path_factory):
    """`fleet_factory(name, count, relay_ports=(), publish=())` -> a Fleet of `count` fresh hosts
    `<name>1..N`, SSH-ready. Every fleet is removed at the end of the session (or by destroy())."""
    if shutil.which("socat") is None:
        raise RuntimeError("socat is missing (the fleet's loopback relays need it): run scripts/test-packages.sh")
    fleets: list[Fleet] = []

    def destroy_all() -> None:
        while fleets:
            fleets.pop().destroy()

    atexit.register(destroy_all)  # an interrupted session still leaves no hosts behind

    def make(name: str, count: int, relay_ports: Iterable[int] = (), publish: Iterable[int] = ()) -> Fleet:
        live = [f.name for f in fleets if f.hosts]
        if name in live:
            raise ValueError(f"fleet {name!r} is up already; destroy() it first or pick another name")
        start = time.monotonic()
        fleet = Fleet.up(name, count, fleet_image, tmp_path_factory.mktemp(f"fleet-{name}"),
                         relay_ports=relay_ports, publish=publish)
        fleets.append(fleet)
        _FIGURES.append(f"fleet {name}: {count} hosts SSH-ready in {time.monotonic() - start:.1f} s")
        return fleet

    yield make
    destroy_all()
    atexit.unregister(destroy_all)


@pytest.fixture
def fleet_ansible():
    """`fleet_ansible(fleet_or_inventory)` -> AnsibleHosts: `hosts(module, *free_form, hosts="all",
    become=True, **args)` runs a module on the inventory's hosts and answers {host: result}."""

    def hosts_of(target: Fleet | str | Path) -> AnsibleHosts:
        if isinstance(target, Fleet):
            target = target.inventory(target.state_dir / "inventory.yml")
        return AnsibleHosts(target)

    return hosts_of


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.write_sep("-", "fleet")
        for line in _FIGURES:
            terminalreporter.write_line(line)
