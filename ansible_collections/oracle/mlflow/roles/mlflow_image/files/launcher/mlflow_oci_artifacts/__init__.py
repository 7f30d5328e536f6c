"""MLflow artifact repository for oci://bucket@namespace/prefix (OCI Object Storage).

Registered for the `oci` scheme through the `mlflow.artifact_repository` entry point, so the tracking
server (MLFLOW_ARTIFACTS_DESTINATION) and clients with the image's packages resolve oci:// URIs here.
It shares the launcher's URI parser, transfer knobs and OCI identity (mlflow_launcher.config and
mlflow_launcher.oci_identity): the launcher validates at start exactly what this package uses.
"""

from .repository import OciArtifactRepository

__all__ = ["OciArtifactRepository"]
