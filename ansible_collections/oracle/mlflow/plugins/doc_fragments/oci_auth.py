# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # The options of every OCI module (OciModule merges them): authentication and timeout; the spec is
    # OCI_COMMON_ARGS in module_utils/_oci_auth.py.
    DOCUMENTATION = r"""
options:
  auth_type:
    description:
      - How the module authenticates to OCI.
      - V(api_key) signs with the API key of a profile of the OCI config file (O(config_file), O(config_profile)), as set up
        by C(oci setup config).
      - V(security_token) uses a session profile of the OCI config file made by C(oci session authenticate) (its
        C(security_token_file) and C(key_file)); an expired session is reported with the command that refreshes it.
      - V(instance_principal) uses the identity of the OCI compute instance the module runs on, through the instance
        metadata service. Off OCI, the module says so after a short probe instead of retrying for minutes.
      - V(resource_principal) uses the resource principal that OCI services such as Data Science, Functions and Container
        Instances give their workloads through the E(OCI_RESOURCE_PRINCIPAL_VERSION) and other E(OCI_RESOURCE_PRINCIPAL_*)
        environment variables.
      - If not set in the task, the environment variable E(OCI_CLI_AUTH) is used, then E(OCI_ANSIBLE_AUTH_TYPE), then the default.
    type: str
    choices: [api_key, instance_principal, resource_principal, security_token]
    default: api_key
  config_file:
    description:
      - OCI config file, for O(auth_type=api_key) and O(auth_type=security_token). Key paths in it may start with C(~).
      - If not set in the task, the environment variable E(OCI_CLI_CONFIG_FILE) is used, then E(OCI_CONFIG_FILE), then the default.
    type: path
    default: ~/.oci/config
  config_profile:
    description:
      - Profile (section) of O(config_file) to use.
      - If not set in the task, the environment variable E(OCI_CLI_PROFILE) is used, then E(OCI_CONFIG_PROFILE), then the default.
    type: str
    default: DEFAULT
  region:
    description:
      - OCI region, as an identifier (V(us-ashburn-1)) or a region key (V(iad), any case).
      - If not set in the task, the environment variable E(OCI_CLI_REGION) is used, then E(OCI_REGION), then the region of
        the principal (the C(region) of the config profile, the instance's region, or E(OCI_RESOURCE_PRINCIPAL_REGION)).
      - A region the installed OCI SDK does not know is an error, unless it is declared, with its realm, in
        E(OCI_REGION_METADATA) or C(~/.oci/regions-config.json) (custom and newly opened regions), as for every OCI SDK.
    type: str
  timeout:
    description:
      - Seconds to wait for each answer, of OCI (connecting takes at most 10 of them) and of any other endpoint the module
        talks to, such as a registry and its token realm. At least V(1).
      - Calls to OCI APIs that are throttled, fail on OCI's side or lose their connection are retried twice, within twice
        this time (not with E(OCI_SDK_DEFAULT_RETRY_ENABLED=false)).
    type: int
    default: 30
requirements:
  - the OCI SDK for Python (C(oci)) 2.100 or newer on the managed node
notes:
  - The OCI options can be set once for every OCI module of the collection with C(module_defaults) and C(group/oracle.mlflow.oci).
  - Environment variables are read on the managed node, from the module's environment (set them with C(environment:) on the
    task or play when needed).
"""

    # The same options for lookup plugins, which read them with get_option: the environment fallbacks as
    # env entries, listed last-wins as Ansible reads them (so the first name of each module fallback wins).
    LOOKUP = r"""
options:
  auth_type:
    description:
      - How the lookup authenticates to OCI, on the controller.
      - V(api_key) signs with the API key of a profile of the OCI config file (O(config_file), O(config_profile)).
      - V(security_token) uses a session profile made by C(oci session authenticate).
      - V(instance_principal) uses the identity of the OCI compute instance the controller runs on.
      - V(resource_principal) uses the resource principal OCI services give their workloads (E(OCI_RESOURCE_PRINCIPAL_VERSION)
        and the other E(OCI_RESOURCE_PRINCIPAL_*) variables).
      - When both E(OCI_CLI_AUTH) and E(OCI_ANSIBLE_AUTH_TYPE) are set, E(OCI_CLI_AUTH) wins, as for the modules.
    type: str
    choices: [api_key, instance_principal, resource_principal, security_token]
    default: api_key
    env:
      - name: OCI_ANSIBLE_AUTH_TYPE
      - name: OCI_CLI_AUTH
  config_file:
    description:
      - OCI config file, for O(auth_type=api_key) and O(auth_type=security_token). Key paths in it may start with C(~).
      - When both E(OCI_CLI_CONFIG_FILE) and E(OCI_CONFIG_FILE) are set, E(OCI_CLI_CONFIG_FILE) wins.
    type: path
    default: ~/.oci/config
    env:
      - name: OCI_CONFIG_FILE
      - name: OCI_CLI_CONFIG_FILE
  config_profile:
    description:
      - Profile (section) of O(config_file) to use.
      - When both E(OCI_CLI_PROFILE) and E(OCI_CONFIG_PROFILE) are set, E(OCI_CLI_PROFILE) wins.
    type: str
    default: DEFAULT
    env:
      - name: OCI_CONFIG_PROFILE
      - name: OCI_CLI_PROFILE
  region:
    description:
      - OCI region, as an identifier (V(us-ashburn-1)) or a region key (V(iad), any case).
      - When not set, the region of the principal (the C(region) of the config profile, the instance's region, or
        E(OCI_RESOURCE_PRINCIPAL_REGION)). When both E(OCI_CLI_REGION) and E(OCI_REGION) are set, E(OCI_CLI_REGION) wins.
      - A region the installed OCI SDK does not know is an error, unless it is declared in E(OCI_REGION_METADATA) or
        C(~/.oci/regions-config.json).
    type: str
    env:
      - name: OCI_REGION
      - name: OCI_CLI_REGION
  timeout:
    description:
      - Seconds to wait for each answer of OCI (connecting takes at most 10 of them). At least V(1).
      - Calls that are throttled, fail on OCI's side or lose their connection are retried twice, within twice this time
        (not with E(OCI_SDK_DEFAULT_RETRY_ENABLED=false)).
    type: int
    default: 30
requirements:
  - the OCI SDK for Python (C(oci)) 2.100 or newer on the controller
notes:
  - Lookups run on the controller, with the controller's environment and OCI identity; C(module_defaults) do not apply to
    them.
"""
