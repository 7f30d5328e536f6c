"""Object Storage. For now only GetNamespace (`GET /n/`), which OCIR logins use to build
"<namespace>/<user>" and image paths; buckets and objects come with the artifact-store work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import realm
from ..routing import Request, Response, Route
from ..signature import signed

if TYPE_CHECKING:
    from ..state import State

HOSTS = (realm.service_host("objectstorage"), f"objectstorage.{realm.REGION}.oraclecloud.com", *realm.LOOPBACK_HOSTS)


def get_namespace(request: Request, state: State) -> Response:
    """The tenancy's namespace, as a JSON string (that is what OCI returns)."""
    return Response.json(state.namespace)


ROUTES = [Route("GET", r"/n/?", get_namespace, signed, HOSTS)]
SEEDERS: dict = {}
