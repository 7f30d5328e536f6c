# Copyright (c) 2026 oracle.mlflow contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # The connection options of the modules that call an MLflow server's REST API (MLFLOW_API_ARGS in
    # module_utils/_mlflow_api.py); the environment fallbacks are the MLflow client's own variables.
    DOCUMENTATION = r"""
options:
  tracking_uri:
    description:
      - URL of the MLflow tracking server, V(http://) or V(https://), as the MLflow client takes it (for example
        V(https://mlflow.example.com) or V(http://127.0.0.1:5000)); reached from the managed node.
      - The server runs MLflow's basic-auth app (C(mlflow server --app-name basic-auth)).
      - If not set in the task, the environment variable E(MLFLOW_TRACKING_URI) is used.
    type: str
    required: true
    aliases: [url]
  auth_username:
    description:
      - The admin login the module authenticates with (HTTP basic auth), such as the server's
        E(MLFLOW_AUTH_ADMIN_USERNAME).
      - If not set in the task, the environment variable E(MLFLOW_TRACKING_USERNAME) is used.
    type: str
    required: true
  auth_password:
    description:
      - Password of O(auth_username). Keep it in Ansible Vault or read it with the P(oracle.mlflow.vault_secret#lookup)
        lookup.
      - If not set in the task, the environment variable E(MLFLOW_TRACKING_PASSWORD) is used.
    type: str
    required: true
  ca_path:
    description:
      - PEM file of the CA certificate(s) that signed the server's HTTPS certificate, when the system's trust store
        does not hold them (a private CA in front of the server).
      - If not set in the task, the environment variable E(MLFLOW_TRACKING_SERVER_CERT_PATH) is used.
    type: path
  validate_certs:
    description:
      - Verify the server's HTTPS certificate. Turn it off only for a throwaway test server; set O(ca_path) instead.
    type: bool
    default: true
  use_proxy:
    description:
      - Go through the proxy of the managed node's E(HTTPS_PROXY) / E(HTTP_PROXY) environment (E(NO_PROXY) applies).
        V(false) connects directly, for a server on the same host or network.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each answer of the server. At least V(1).
    type: int
    default: 30
notes:
  - The connection options can be set once for every module of this kind with C(module_defaults) and
    C(group/oracle.mlflow.mlflow).
  - Basic auth sends the logins with every request; over V(http://) they cross the network in clear, so use an
    V(https://) O(tracking_uri) for a server beyond the managed node itself. Redirects are not followed (the login
    would go to another address).
  - Failures are one line that says what to fix, and RV(error_kind) says which kind it was - V(unreachable) (no
    answer, or TLS verification failed), V(denied) (401 the admin login was refused, 403 the login is not an
    admin), V(invalid), V(missing), V(conflict) or V(error) (the server's own error code and message).
"""
