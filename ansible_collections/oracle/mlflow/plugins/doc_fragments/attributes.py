# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # Descriptions of the standard attributes; each module states its own support level.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    # For modules that only read; use together with DOCUMENTATION.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
"""

    # For members of the docker action group in meta/runtime.yml.
    ACTIONGROUP_DOCKER = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/oracle.mlflow.docker) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - oracle.mlflow.docker
"""

    # For members of the oci action group in meta/runtime.yml.
    ACTIONGROUP_OCI = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/oracle.mlflow.oci) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - oracle.mlflow.oci
"""

    # For members of the mlflow action group in meta/runtime.yml.
    ACTIONGROUP_MLFLOW = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/oracle.mlflow.mlflow) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - oracle.mlflow.mlflow
"""
