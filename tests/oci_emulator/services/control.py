"""The emulator's own endpoints, on its loopback address only and never in the request log:

    GET  /_emulator/requests[?since=SEQ][&service=NAME]   the request log (entries after SEQ, of one service)
    POST /_emulator/reset                  back to the start state, empty log
    POST /_emulator/seed/<kind>            JSON body -> a service's seed (api-key, auth-token, ...)

They exist for tests in other processes (ansible modules, containers on the host network) that
cannot reach the Python object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import realm
from ..routing import ApiError, Request, Response, Route, anonymous, not_found

if TYPE_CHECKING:
    from ..state import State

Seeder = Callable[["State", dict], dict]


def list_requests(request: Request, state: State) -> Response:
    try:
        since = int(request.arg("since", "0"))
    except ValueError:
        raise ApiError(400, "InvalidParameter", "since must be an integer") from None
    return Response.json(state.log.entries(since, request.arg("service")))


def reset(request: Request, state: State) -> Response:
    state.reset()
    return Response(204)


def routes(seeders: dict[str, Seeder]) -> list[Route]:
    """The control routes; `seeders` are the services' seed functions by kind."""

    def seed(request: Request, state: State) -> Response:
        seeder = seeders.get(request.params["kind"])
        if seeder is None:
            raise not_found(f"No seed kind {request.params['kind']!r}; known: {', '.join(sorted(seeders))}.")
        return Response.json(seeder(state, request.json()))

    def route(method: str, path: str, handler) -> Route:
        return Route(method, path, handler, anonymous, realm.LOOPBACK_HOSTS, logged=False)

    return [route("GET", r"/_emulator/requests", list_requests),
            route("POST", r"/_emulator/reset", reset),
            route("POST", r"/_emulator/seed/(?P<kind>[a-z0-9-]+)", seed)]
