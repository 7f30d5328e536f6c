"""The emulated services. Each module declares ROUTES (see routing.Route) and SEEDERS (kind ->
function(state, json) used by POST /_emulator/seed/<kind>); adding a service means adding a module
and listing it in CLOUD_SERVICES."""

from __future__ import annotations

import dataclasses

from ..routing import Route
from . import auth, control, identity, metadata, object_storage, ocir, vault, virtual_network

CLOUD_SERVICES = (metadata, auth, identity, object_storage, ocir, vault, virtual_network)


def all_routes() -> list[Route]:
    seeders = {kind: seeder for service in CLOUD_SERVICES for kind, seeder in service.SEEDERS.items()}
    return [dataclasses.replace(route, service=service_name(service)) for service in CLOUD_SERVICES
            for route in service.ROUTES] + control.routes(seeders)


def service_name(service) -> str:
    """How the request log names a service: its module name ("object_storage", "vault", "ocir", ...)."""
    return service.__name__.rpartition(".")[2]
