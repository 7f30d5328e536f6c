"""The request log tests assert on: one entry per request the emulated cloud answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .principal import Principal

Listener = Callable[[dict], None]


class RequestLog:
    """Thread-safe, append-only list of request entries.

    Each entry: seq, time, service (the emulated service's module name: "object_storage", "vault",
    "ocir", "auth", "metadata"; None when no route matched), method, host (the Host header as sent,
    port included), path, query, status, principal ({type, id, credential}), error (the OCI error
    code, or None), policy (the IAM policy checks the request needed while enforcement is on, each
    {permission, compartment_id, target, dynamic_groups, allowed, policy, statement}; [] when none
    was made: see iam.authorize).
    `seq` keeps increasing across `clear()`, so a reader in another process can ask for
    "everything after the last entry I saw".
    """

    def __init__(self, listener: Listener | None = None):
        self._entries: list[dict] = []
        self._lock = threading.Lock()
        self._seq = 0
        self._listener = listener

    def record(self, *, method: str, host: str, path: str, query: str, status: int, principal: Principal,
               error: str | None = None, service: str | None = None, policy: list[dict] | None = None) -> dict:
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, "time": time.time(), "service": service, "method": method, "host": host,
                     "path": path,
                     "query": query, "status": status, "principal": principal.as_dict(), "error": error,
                     "policy": [dict(check) for check in policy or ()]}
            self._entries.append(entry)
        if self._listener:
            self._listener(entry)
        return entry

    def entries(self, since: int = 0, service: str | None = None) -> list[dict]:
        """Copies of the entries with seq > since (and of that service, when given)."""
        with self._lock:
            return [dict(entry, principal=dict(entry["principal"]), policy=[dict(c) for c in entry["policy"]])
                    for entry in self._entries
                    if entry["seq"] > since and service in (None, entry["service"])]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
