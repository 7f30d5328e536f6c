"""Requests, responses, errors, and the router that maps (method, host, path) to a service handler.

A service is a module with a list of `Route`s. Each route names its own authentication policy, so
whether a path is signed, open, or metadata-style is visible where the path is declared.
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from . import realm
from .principal import ANONYMOUS, Principal

if TYPE_CHECKING:
    from .state import State


class ApiError(Exception):
    """An error answered in OCI's shape: `{"code": ..., "message": ...}` with the HTTP status."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def not_authenticated(message: str) -> ApiError:
    return ApiError(401, "NotAuthenticated", message)


def not_found(message: str = "Authorization failed or requested resource not found.") -> ApiError:
    return ApiError(404, "NotAuthorizedOrNotFound", message)


@dataclass
class Request:
    """One HTTP request as the emulated service sees it, whatever transport it came through."""

    method: str
    host: str  # the Host header as sent (port included when the client used one): it is signed
    target: str  # origin-form request-target, "path?query": what `(request-target)` signs
    headers: Message
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # matched named groups of the route, decoded
    principal: Principal = ANONYMOUS
    policy: list[dict] = field(default_factory=list)  # the policy checks made (iam.authorize), for the log

    @property
    def hostname(self) -> str:
        return realm.hostname_of(self.host)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query_string(self) -> str:
        return self.target.partition("?")[2]

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The last value of query parameter `name`."""
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> dict:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError as exc:
            raise ApiError(400, "InvalidParameter", f"request body is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ApiError(400, "InvalidParameter", "request body must be a JSON object")
        return value


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None  # for the request log; not sent

    @classmethod
    def json(cls, data, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(data).encode(), "application/json", headers or {})

    @classmethod
    def text(cls, text: str | bytes, content_type: str = "text/plain") -> Response:
        return cls(200, text.encode() if isinstance(text, str) else text, content_type)

    @classmethod
    def error(cls, error: ApiError) -> Response:
        response = cls.json({"code": error.code, "message": error.message}, status=error.status)
        response.error_code = error.code
        return response

    def with_request_id(self, request_id: str | None) -> Response:
        """Echo the client's opc-request-id (or make one), as every OCI service does."""
        self.headers.setdefault("opc-request-id", request_id or uuid.uuid4().hex.upper())
        return self


Handler = Callable[[Request, "State"], Response]
Authenticator = Callable[[Request, "State"], Principal]


def anonymous(request: Request, state: State) -> Principal:
    """Authentication policy of routes that need none (the emulator's own control endpoints)."""
    return ANONYMOUS


@dataclass(frozen=True)
class Route:
    """`methods` like "GET" or "GET|HEAD"; `path` a regex matched in full (named groups become
    `request.params`); `hosts` fnmatch patterns of the host name, None for any host;
    `authenticate` the policy that returns the request's principal or raises ApiError;
    `logged` False for the emulator's own endpoints, which stay out of the request log;
    `service` the name the request log files it under (set by services.all_routes)."""

    methods: str
    path: str
    handler: Handler
    authenticate: Authenticator
    hosts: tuple[str, ...] | None = None
    logged: bool = True
    service: str | None = None

    def matches(self, method: str, hostname: str, path: str) -> re.Match | None:
        if method not in self.methods.split("|"):
            return None
        if self.hosts is not None and not any(fnmatch.fnmatchcase(hostname, p) for p in self.hosts):
            return None
        return re.fullmatch(self.path, path)


class Router:
    def __init__(self, routes: list[Route]):
        self.routes = list(routes)

    def match(self, request: Request) -> Route:
        """The first route for the request; its path parameters are stored on the request."""
        for route in self.routes:
            found = route.matches(request.method, request.hostname, request.path)
            if found:
                request.params = {name: unquote(value) for name, value in found.groupdict().items()
                                  if value is not None}
                return route
        raise not_found(f"The emulator has no {request.method} {request.path} on {request.hostname}.")
