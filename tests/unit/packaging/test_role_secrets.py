"""Every role option that can hold a secret is no_log in its argument_specs, so role argument validation
and ansible-doc treat it as one (a value shown by a failed validation would otherwise be printed)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[3] / "ansible_collections" / "oracle" / "mlflow" / "roles"
SECRET_NAME = re.compile(r"(password|auth_token|secret_key|passphrase|backend_store_uri)$")


def test_every_secret_option_is_no_log():
    checked = []
    for specs_file in sorted(ROLES.glob("*/meta/argument_specs.yml")):
        for entry in yaml.safe_load(specs_file.read_text())["argument_specs"].values():
            for name, spec in entry.get("options", {}).items():
                if SECRET_NAME.search(name):
                    assert spec.get("no_log") is True, f"{specs_file.parent.parent.name}: {name} needs no_log: true"
                    checked.append(name)
    assert {"mlflow_server_backend_store_uri", "mlflow_server_db_admin_password",
            "mlflow_registry_auth_token"} <= set(checked)
