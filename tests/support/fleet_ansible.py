"""Ansible modules run across an inventory, results per host: host assertions for fleet tests.

The only place pytest-ansible is used (its host manager API). It announced its end of life for
December 2026, so nothing else should import it: replacing it means rewriting `_run_in_child` (for
instance over `ansible -m MODULE --tree DIR`), and callers keep getting plain dicts.

Two things keep it contained:
- its pytest plugin stays disabled (`-p no:pytest-ansible` in pytest.ini): started from a directory
  holding galaxy.yml it symlinks the checkout into ./collections and sets ANSIBLE_COLLECTIONS_PATH for
  the whole session, which would shadow `collections_path = .` in ansible.cfg;
- the host manager runs in a child process (this file as a script): in-process it installs Ansible's
  collection finder in sys.meta_path for good, and every later `import ansible_collections.oracle...`
  of the unit tests then fails ("collection metadata was not loaded").

    hosts = AnsibleHosts(fleet.inventory(tmp_path / "inventory.yml"))
    results = hosts("ansible.builtin.command", "id -un", become=False)
    assert {name: r["stdout"] for name, r in results.items()} == {"web1": "opc", "web2": "opc"}
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # ansible.cfg is read from the working directory


class HostsUnreachable(AssertionError):
    """Some hosts of the pattern could not be reached; `unreachable` and `contacted` per host."""

    def __init__(self, unreachable: dict, contacted: dict):
        super().__init__(f"unreachable: {sorted(unreachable)}: {unreachable}")
        self.unreachable, self.contacted = unreachable, contacted


class AnsibleHosts:
    """Runs one module at a time on the hosts of an inventory."""

    def __init__(self, inventory: str | Path):
        self.inventory = str(inventory)

    def __call__(self, module: str, *free_form: str, hosts: str = "all", become: bool = True,
                 timeout: float = 600, **module_args) -> dict[str, dict]:
        """Run `module` (`free_form` for command-style modules) on `hosts`; {host name: result}.
        A failed task is a result with `failed: True`, not an exception; unreachable hosts raise."""
        request = {"inventory": self.inventory, "hosts": hosts, "become": become, "module": module,
                   "free_form": list(free_form), "args": module_args}
        child = subprocess.run([sys.executable, __file__], input=json.dumps(request), capture_output=True,
                               text=True, cwd=REPO_ROOT, timeout=timeout, check=False)
        if child.returncode:
            raise RuntimeError(f"ansible {module} on {hosts} failed to run:\n{child.stderr[-4000:]}")
        answer = json.loads(child.stdout.splitlines()[-1])
        if "error" in answer:
            raise ValueError(answer["error"])
        if answer["unreachable"]:
            raise HostsUnreachable(answer["unreachable"], answer["contacted"])
        return answer["contacted"]


def _run_in_child(request: dict) -> dict:
    """The pytest-ansible part: host manager -> module dispatcher -> per-host results."""
    from ansible.constants import COLLECTIONS_PATHS
    from ansible.plugins.loader import init_plugin_loader
    from pytest_ansible.errors import AnsibleConnectionFailure
    from pytest_ansible.host_manager.utils import get_host_manager

    warnings.simplefilter("ignore")  # the host manager's deprecation notice; stdout carries the answer
    # The module lookup needs Ansible's collection loader first; the disabled plugin would have done it.
    init_plugin_loader(COLLECTIONS_PATHS)
    manager = get_host_manager(inventory=request["inventory"], become=request["become"])
    try:
        dispatcher = manager[request["hosts"]]
    except KeyError:
        return {"error": f"no hosts match {request['hosts']!r} in {request['inventory']}"}
    try:
        result = getattr(dispatcher, request["module"])(*request["free_form"], **request["args"])
    except AnsibleConnectionFailure as failure:
        return {"contacted": failure.contacted or {}, "unreachable": failure.dark or {}}
    return {"contacted": {name: dict(result.contacted[name]) for name in result.contacted}, "unreachable": {}}


if __name__ == "__main__":
    answer = _run_in_child(json.loads(sys.stdin.read()))
    print("\n" + json.dumps(answer, default=str))
