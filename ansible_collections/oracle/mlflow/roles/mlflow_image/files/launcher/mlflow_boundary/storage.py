"""A full artifact volume is answered 507 at once, and a failed upload leaves nothing behind.

MLflow's local repository raises the OSError (ENOSPC) out of its upload routes, which answer a bare 500:
MLflow's client retries a 500 for minutes before it reports anything. This repository raises an
MlflowException that MLflow's own upload routes (FastAPI's under uvicorn, Flask's under gunicorn) answer
with its status, 507 Insufficient Storage (not retried), and a one-line JSON error. MLflow removes its
staged file after a failed write, but not the directories it made for it, which a client then sees listed
on the run as empty ones: those the upload made are removed again.
"""

import contextlib
import errno
import os

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import IO_ERROR
from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
INSUFFICIENT_STORAGE = 507
LOCAL_SCHEMES = ("", "file")


class NoSpace(MlflowException):
    """Answered 507 by MLflow's routes (they ask the exception for its status)."""

    def get_http_status_code(self):
        return INSUFFICIENT_STORAGE


def no_space(name, exc):
    return NoSpace(f"no space left on the server's artifact store: {name!r} was not stored ({exc.strerror}); "
                   "free space there, then upload it again", IO_ERROR)


class SpaceAwareLocalArtifactRepository(LocalArtifactRepository):
    """MLflow's local repository, with a full disk answered as NoSpace and the upload's directories removed."""

    def _missing_dirs(self, artifact_path):
        """The directories under the repository's root an upload into `artifact_path` would create,
        deepest first."""
        root = os.path.normpath(self.artifact_dir)
        missing, path = [], os.path.normpath(os.path.join(root, artifact_path or ""))
        while path.startswith(root + os.sep) and not os.path.exists(path):
            missing.append(path)
            path = os.path.dirname(path)
        return missing

    @contextlib.contextmanager
    def _guarded(self, name, artifact_path):
        created = self._missing_dirs(artifact_path)
        try:
            yield
        except OSError as exc:
            if exc.errno not in NO_SPACE:
                raise
            for directory in created:       # deepest first; rmdir leaves one that holds anything
                with contextlib.suppress(OSError):
                    os.rmdir(directory)
            raise no_space(name, exc) from exc

    def log_artifact(self, local_file, artifact_path=None):
        with self._guarded(os.path.basename(local_file), artifact_path):
            super().log_artifact(local_file, artifact_path)

    def log_artifact_from_stream(self, stream, artifact_file_name, artifact_path=None):
        with self._guarded(artifact_file_name, artifact_path):
            super().log_artifact_from_stream(stream, artifact_file_name, artifact_path)

    async def log_artifact_from_async_stream(self, chunks, artifact_file_name, artifact_path=None):
        with self._guarded(artifact_file_name, artifact_path):
            await super().log_artifact_from_async_stream(chunks, artifact_file_name, artifact_path)


def guard_local_repositories():
    """Serve local locations with the space-aware repository (where MLflow's own is registered, so an
    entry point that replaced it is left alone). Before the boundary wraps the registry. Idempotent."""
    from mlflow.store.artifact.artifact_repository_registry import (  # noqa: PLC0415
        get_registered_artifact_repositories)
    registry = get_registered_artifact_repositories()
    for scheme in LOCAL_SCHEMES:
        if registry.get(scheme) is LocalArtifactRepository:
            registry[scheme] = SpaceAwareLocalArtifactRepository
