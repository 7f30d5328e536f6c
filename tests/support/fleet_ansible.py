"""Ansible modules run across an inventory, results per host: host assertions for fleet tests.

The only place pytest-ansible is used (its host manager API). It announced its end of life for
December 2026, so nothing else should import it: replacing it means rewriting `AnsibleHosts.__call__`
(for instance over `ansible -m MODULE --tree DIR`), and callers keep getting plain dicts. Its pytest
plugin stays disabled (`-p no:pytest-ansible` in pytest.ini): started from a directory holding
galaxy.yml it symlinks the checkout into ./collections and sets ANSIBLE_COLLECTIONS_PATH for the
whole session, which would shadow `collections_path = .` in ansible.cfg.

    hosts = AnsibleHosts(fleet.inventory(tmp_path / "inventory.yml"))
    results = hosts("ansible.builtin.command", "id -un", become=False)
    assert {name: r["stdout"] for name, r in results.items()} == {"web1": "opc", "web2": "opc"}
"""

from __future__ import annotations

import warnings
from pathlib import Path


class HostsUnreachable(AssertionError):
    """Some hosts of the pattern could not be reached; `unreachable` and `contacted` per host."""

    def __init__(self, unreachable: dict, contacted: dict):
        super().__init__(f"unreachable: {sorted(unreachable)}: {unreachable}")
        self.unreachable, self.contacted = unreachable, contacted


class AnsibleHosts:
    """Runs one module at a time on the hosts of an inventory, in this process."""

    def __init__(self, inventory: str | Path):
        self.inventory = str(inventory)

    def __call__(self, module: str, *free_form: str, hosts: str = "all", become: bool = True,
                 **module_args) -> dict[str, dict]:
        """Run `module` (`free_form` for command-style modules) on `hosts`; {host name: result}.
        A failed task is a result with `failed: True`, not an exception; unreachable hosts raise."""
        from ansible.constants import COLLECTIONS_PATHS
        from ansible.plugins.loader import init_plugin_loader
        from pytest_ansible.errors import AnsibleConnectionFailure
        from pytest_ansible.host_manager.utils import get_host_manager

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the host manager's own announcement
            # Each run configures the collection loader again; harmless, and it says so every time.
            warnings.filterwarnings("ignore", "AnsibleCollectionFinder has already been configured")
            # The module lookup below needs Ansible's collection loader installed first; pytest-ansible's
            # disabled plugin would have done it (ansible.builtin is a collection to that loader).
            init_plugin_loader(COLLECTIONS_PATHS)
            manager = get_host_manager(inventory=self.inventory, become=become)
            try:
                dispatcher = manager[hosts]
            except KeyError:
                raise ValueError(f"no hosts match {hosts!r} in {self.inventory}") from None
            try:
                result = getattr(dispatcher, module)(*free_form, **module_args)
            except AnsibleConnectionFailure as failure:
                raise HostsUnreachable(failure.dark, failure.contacted) from None
        return {name: dict(result.contacted[name]) for name in result.contacted}
